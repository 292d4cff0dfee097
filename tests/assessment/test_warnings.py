"""Two-colour member warnings: each rule on both sides of its thresholds, clearing with
history, notifications, and who sees what (API and phone)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.assessment.models import MemberWarning
from dangjian.assessment.services.warnings import warnings_recompute
from dangjian.core.models import Notification
from dangjian.dues import calc
from dangjian.dues.models import DuesPaymentMonth
from dangjian.members.models import MemberCategory
from dangjian.members.models.checkin import CheckinService, CommunityCheckin
from dangjian.members.models.mobile import MobileRegistration
from tests.dues.helpers import dues_member
from tests.orglife.helpers import at, hold, member_user, people

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 7)


def _active(member, rule):
    return MemberWarning.objects.filter(member=member, rule=rule, active=True).first()


def test_missed_organizational_life_yellow_then_red(world):
    org = world.orgs["grid_branch"]
    m = people(org, 3)[0]
    admin = world.users["admin"]
    hold(admin, org, "theme_day", at(2026, 8, 10))
    warnings_recompute(today=TODAY)
    assert _active(m, "orglife_missed") is None
    hold(admin, org, "theme_day", at(2026, 9, 10))
    warnings_recompute(today=TODAY)
    w = _active(m, "orglife_missed")
    assert w.colour == "yellow" and "2次" in w.reason
    hold(admin, org, "theme_day", at(2026, 10, 10))
    hold(admin, org, "theme_day", at(2026, 11, 10))
    warnings_recompute(today=TODAY)
    w.refresh_from_db()
    assert w.colour == "red" and w.escalated_on == TODAY


def _dues(world, months_behind: int, **kw):
    start = calc.add_months(calc.month_of(timezone.localdate()), -months_behind)
    return dues_member(world, month=start.strftime("%Y-%m"), **kw)


def test_dues_arrears_three_and_six_months(world):
    two, three, six = _dues(world, 2), _dues(world, 3), _dues(world, 6)
    warnings_recompute()
    assert _active(two, "dues_arrears") is None
    assert _active(three, "dues_arrears").colour == "yellow"
    assert _active(six, "dues_arrears").colour == "red"


def test_a_warning_clears_itself_and_the_history_stays(world):
    from tests.dues.helpers import pay

    m = _dues(world, 3)
    member_user(m, "m-dues")
    warnings_recompute()
    w = _active(m, "dues_arrears")
    start = calc.add_months(calc.month_of(timezone.localdate()), -3)
    pay(world, m, [calc.add_months(start, k).strftime("%Y-%m") for k in range(3)])
    out = warnings_recompute()
    assert out["cleared"] == 1
    w.refresh_from_db()
    assert not w.active and w.cleared_on == timezone.localdate()
    # The cause comes back: a new row, the old one kept.
    DuesPaymentMonth.objects.filter(member=m).update(reversed=True)
    warnings_recompute()
    assert MemberWarning.objects.filter(member=m, rule="dues_arrears").count() == 2


def test_member_is_notified_once(world, django_capture_on_commit_callbacks):
    m = _dues(world, 3)
    u = member_user(m, "m-notify")
    m.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        warnings_recompute()
    with django_capture_on_commit_callbacks(execute=True):
        out = warnings_recompute()
    assert out == {"raised": 0, "escalated": 0, "cleared": 0, "active": 1}
    assert Notification.objects.filter(recipient=u, kind="assessment.warning").count() == 1


def test_mobile_member_no_report_and_out_of_contact(world):
    org = world.orgs["grid_branch"]
    a, b, c = people(org, 3)
    MobileRegistration.objects.create(
        member=a,
        destination="广东深圳",
        left_on=dt.date(2025, 1, 1),
        last_contact_on=dt.date(2026, 11, 1),
        last_report_on=dt.date(2026, 1, 1),
    )
    MobileRegistration.objects.create(
        member=b,
        destination="广东深圳",
        left_on=dt.date(2025, 1, 1),
        last_contact_on=dt.date(2026, 11, 1),
        last_report_on=dt.date(2025, 12, 1),
    )
    MobileRegistration.objects.create(
        member=c,
        destination="广东深圳",
        left_on=dt.date(2025, 1, 1),
        last_contact_on=dt.date(2026, 6, 1),
        last_report_on=dt.date(2026, 6, 1),
    )
    warnings_recompute(today=TODAY)
    assert _active(a, "mobile_no_report") is None
    assert _active(b, "mobile_no_report").colour == "yellow"
    assert _active(c, "mobile_no_report").colour == "red"


def test_in_service_member_without_community_service(world):
    org = world.orgs["grid_branch"]
    none, old, recent, retired = people(org, 4)
    for m in (none, old, recent):
        MemberCategory.objects.create(member=m, code="in_service")
    for m, served in ((old, dt.date(2025, 11, 1)), (recent, dt.date(2026, 5, 1))):
        ch = CommunityCheckin.objects.create(
            member=m,
            name=m.name,
            community=world.nodes["community"],
            area_path=world.nodes["community"].path,
            reported_on=dt.date(2025, 1, 1),
        )
        CheckinService.objects.create(checkin=ch, served_on=served, content="清扫楼道", hours=2)
    warnings_recompute(today=TODAY)
    assert "尚未" in _active(none, "no_checkin_service").reason
    assert _active(old, "no_checkin_service").colour == "yellow"
    assert _active(recent, "no_checkin_service") is None
    assert _active(retired, "no_checkin_service") is None


def test_who_sees_what(world, api, client):
    m = _dues(world, 3)
    u = member_user(m, "m-own")
    other = _dues(world, 6)
    warnings_recompute()
    mine = api.get(u, "/api/v1/assessment/warnings/").json()
    assert [w["member_id"] for w in mine["items"]] == [m.pk]
    sec = api.get(world.users["community"], "/api/v1/assessment/warnings/").json()
    assert {w["member_id"] for w in sec["items"]} == {m.pk, other.pk}
    counts = api.get(world.users["county"], "/api/v1/assessment/warnings/counts").json()
    assert counts == [
        {
            "org_id": world.orgs["grid_branch"].pk,
            "org_name": "龙桥社区第一网格党支部",
            "yellow": 1,
            "red": 1,
        }
    ]
    assert api.get(world.users["street3"], "/api/v1/assessment/warnings/").json()["count"] == 0
    assert api.get(world.users["street3"], "/api/v1/assessment/warnings/counts").json() == []
    client.force_login(u)
    page = client.get("/m/assessment/warnings/")
    assert page.status_code == 200 and "黄色预警" in page.content.decode()
    client.force_login(world.users["community"])
    page = client.get("/m/assessment/warnings/branch/")
    assert page.status_code == 200 and other.name in page.content.decode()
