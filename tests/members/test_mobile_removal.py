"""Mobile members out of contact: suspended after 6 months, removal 2 years after the suspension
(not after the last contact)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dangjian.members import selectors, services
from dangjian.members.models import Member
from tests.members.helpers import member

pytestmark = pytest.mark.django_db


def at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def away(world):
    """Left and last heard of on 2024-01-10; suspended on 2024-09-15 (eight months later)."""
    u = world.users["street"]
    with at(dt.date(2024, 1, 10)):
        m = member(u, world.orgs["grid_branch"], name="失联甲")
        reg = services.member_register_mobile(
            actor=u, member=m, destination="广东省深圳市", left_on=dt.date(2024, 1, 10)
        )
    return m, reg


def codes(reg, day):
    reg.refresh_from_db()
    reg.member.refresh_from_db()
    # Left out: "no report for 12 months", which also fires on these dates.
    return [c for c in selectors.warnings_of(reg, day) if c != "report_overdue"]


def test_removal_counts_from_the_suspension(world, api, away):
    m, reg = away
    u = world.users["street"]
    # Before the suspension: the six-month warning (suspend), on the anniversary, not before.
    assert codes(reg, dt.date(2024, 7, 9)) == []
    assert codes(reg, dt.date(2024, 7, 10)) == ["out_of_contact"]
    with at(dt.date(2024, 9, 20)):
        services.member_update(
            actor=u, member=m, status="suspended", suspended_on=dt.date(2024, 9, 15)
        )
    assert Member.objects.get(pk=m.pk).suspended_on == dt.date(2024, 9, 15)
    # Suspended: no more "suspend" warning; the removal warning waits 2 years from 2024-09-15.
    assert codes(reg, dt.date(2024, 9, 20)) == []
    # 30 months after the last contact (the old rule) is not enough.
    assert codes(reg, dt.date(2026, 7, 10)) == []
    assert codes(reg, dt.date(2026, 9, 14)) == []
    assert codes(reg, dt.date(2026, 9, 15)) == ["out_of_contact_removal"]
    assert codes(reg, dt.date(2026, 9, 16)) == ["out_of_contact_removal"]

    def listed(day):
        with at(day):
            api._tokens.clear()
            r = api.get(u, "/api/v1/members/mobile/", warning="out_of_contact_removal")
            assert r.status_code == 200, r.content
            warned = api.get(u, "/api/v1/members/mobile/warnings").json()["items"]
            return [i["id"] for i in r.json()["items"]], [
                w["code"] for w in warned if w["code"] != "report_overdue"
            ]

    assert listed(dt.date(2026, 9, 14)) == ([], [])
    assert listed(dt.date(2026, 9, 15)) == ([reg.pk], ["out_of_contact_removal"])
    with at(dt.date(2026, 9, 15)):
        api._tokens.clear()
        r = api.get(u, "/api/v1/members/mobile/warnings").json()["items"][0]  # most severe
        assert r["label"] == "停止党籍满2年仍未恢复联系，应予除名"
        assert api.get(u, f"/api/v1/members/{m.pk}").json()["suspended_on"] == "2024-09-15"


def test_suspension_date_kept_by_the_status(world, away):
    m, _reg = away
    u = world.users["street"]
    with at(dt.date(2024, 9, 15)):
        services.member_update(actor=u, member=m, status="suspended")
        assert Member.objects.get(pk=m.pk).suspended_on == dt.date(2024, 9, 15)
    with at(dt.date(2024, 10, 1)):
        # Another change keeps the date; a future date and a date without the status: 422.
        services.member_update(actor=u, member=m, work_unit="某公司")
        assert Member.objects.get(pk=m.pk).suspended_on == dt.date(2024, 9, 15)
        with pytest.raises(ValidationError) as e:
            services.member_update(actor=u, member=m, suspended_on=dt.date(2024, 10, 2))
        assert e.value.message_dict == {"suspended_on": ["停止党籍日期不能晚于今天"]}
        services.member_update(actor=u, member=m, status="full")
        assert Member.objects.get(pk=m.pk).suspended_on is None
        with pytest.raises(ValidationError) as e:
            services.member_update(actor=u, member=m, suspended_on=dt.date(2024, 9, 1))
        assert e.value.message_dict == {
            "suspended_on": ["党员状态不是停止党籍，不能填写停止党籍日期"]
        }
        assert Member.objects.get(pk=m.pk).suspended_on is None
