"""A session that could not validly sit (quorum not reached) is kept with its record but does
not count as held on the compliance board, in the attendance rates or in the drill-down; the
board says why (DOMAIN.md "Organizational life")."""

import datetime as dt

import pytest
import time_machine

from dangjian.orglife import compliance, services
from dangjian.orglife.models import Session
from tests.orglife.helpers import at, schedule, seat_committee

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
URL = "/api/v1/orglife"


def members_meeting(secretary, branch, present, *, day=5):
    s = schedule(secretary, branch, "members_meeting", start=at(2026, 8, day))
    for m in present:
        services.attendance_mark(actor=secretary, session=s, member_id=m.pk, status="present")
    services.session_update(actor=secretary, session=s, minutes="会议记录：" + "学习讨论。" * 30)
    return services.session_close(actor=secretary, session=s, now=at(2026, 8, day, 12))


def item(rows, session_type, period):
    return next(
        i for i in rows["items"] if i["session_type"] == session_type and i["period"] == period
    )


def board_row(secretary, branch, period="2026-Q3"):
    with time_machine.travel(dt.datetime(2026, 10, 10, 10, tzinfo=TZ), tick=False):
        b = compliance.board(secretary, org=branch.pk, period=period)
        d = compliance.branch_detail(secretary, org=branch.pk, period=period)["branch"]
    return next(r for r in b["branches"] if r["org_id"] == branch.pk), d


def test_exactly_half_present_is_kept_but_not_counted(secretary, branch, ten):
    s = members_meeting(secretary, branch, ten[:5])
    assert (s.state, s.quorum_ok) == ("held", False)
    assert s.quorum_note == (
        "应到有表决权党员10人，实到5人，未超过半数（至少需6人），党员大会不能召开"
    )
    assert Session.objects.filter(pk=s.pk).exists()
    row, detail = board_row(secretary, branch)
    missing = next(m for m in row["missing"] if m["session_type"] == "members_meeting")
    assert missing == {
        "session_type": "members_meeting",
        "session_type_label": "党员大会",
        "period": "2026-Q3",
        "period_label": "2026年第3季度",
        "held": 1,
        "invalid": 1,
        "note": "已召开1次，其中1次未达法定人数，不计入",
    }
    assert row["invalid"] == 1
    it = item(detail, "members_meeting", "2026-Q3")
    assert (it["status"], it["note"]) == ("missed", "已召开1次，其中1次未达法定人数，不计入")
    # Not in the attendance rates: no valid session, no rate.
    assert row["attendance_rate"] is None and detail["members"] == []
    (listed,) = [x for x in detail["sessions"] if x["id"] == s.pk]
    assert (listed["quorum_ok"], listed["counted"]) == (False, False)


def test_half_plus_one_present_counts(secretary, branch, ten):
    s = members_meeting(secretary, branch, ten[:6])
    assert (s.quorum_ok, s.quorum_note) == (True, "")
    row, detail = board_row(secretary, branch)
    assert "members_meeting" not in [m["session_type"] for m in row["missing"]]
    assert row["invalid"] == 0
    it = item(detail, "members_meeting", "2026-Q3")
    assert (it["status"], it["held"], it["invalid"], it["note"]) == ("done", 1, 0, "已召开1次")
    assert row["attendance_rate"] == "60.0"
    rates = {m["member_id"]: m["rate"] for m in detail["members"]}
    assert rates[ten[0].pk] == "100.0" and rates[ten[9].pk] == "0.0"


def test_an_invalid_session_beside_a_valid_one(secretary, branch, ten):
    members_meeting(secretary, branch, ten[:3], day=5)
    members_meeting(secretary, branch, ten[:8], day=20)
    row, detail = board_row(secretary, branch)
    it = item(detail, "members_meeting", "2026-Q3")
    assert (it["status"], it["note"]) == ("done", "已召开2次，其中1次未达法定人数，不计入")
    assert row["invalid_items"][0]["note"] == "已召开2次，其中1次未达法定人数，不计入"
    # Only the valid session's roll: 8 of 10.
    assert row["attendance_rate"] == "80.0"


def test_committee_meeting_short_of_the_elected_committee_is_not_counted(secretary, branch, ten):
    seat_committee(branch, ten[:4])
    s = schedule(secretary, branch, "committee_meeting", start=at(2026, 7, 3))
    for m in ten[:2]:
        services.attendance_mark(actor=secretary, session=s, member_id=m.pk, status="present")
    services.session_update(actor=secretary, session=s, minutes="会议记录：" + "讨论。" * 40)
    services.session_close(actor=secretary, session=s, now=at(2026, 7, 3, 12))
    _row, detail = board_row(secretary, branch)
    it = item(detail, "committee_meeting", "2026-07")
    assert (it["status"], it["note"]) == ("missed", "已召开1次，其中1次未达法定人数，不计入")


def test_api_and_pages_say_why(api, client, secretary, branch, ten):
    s = members_meeting(secretary, branch, ten[:5])
    body = api.get(secretary, f"{URL}/sessions/{s.pk}/validity").json()
    assert (body["quorum_ok"], body["counted"]) == (False, False)
    with time_machine.travel(dt.datetime(2026, 10, 10, 10, tzinfo=TZ), tick=False):
        r = api.get(secretary, f"{URL}/compliance/?org={branch.pk}&period=2026-Q3")
        row = next(x for x in r.json()["branches"] if x["org_id"] == branch.pk)
        assert row["invalid"] == 1
        client.force_login(secretary)
        page = client.get(f"/orglife/compliance/?org={branch.pk}&period=2026-Q3").content
        assert "已召开1次，其中1次未达法定人数，不计入".encode() in page
        page = client.get(f"/orglife/compliance/branch/{branch.pk}/?period=2026-Q3").content
        assert "未达法定人数，不计入".encode() in page
        page = client.get(f"/orglife/sessions/{s.pk}/").content
        assert "记录保留，但不计入组织生活完成情况和出勤率".encode() in page


def test_my_attendance_rate_leaves_out_invalid_sessions(api, secretary, branch, ten):
    from tests.orglife.helpers import member_user

    u = member_user(ten[0])
    members_meeting(secretary, branch, ten[:5], day=5)  # invalid: present, not counted
    members_meeting(secretary, branch, ten[1:7], day=20)  # valid: ten[0] absent
    assert api.get(u, f"{URL}/my/attendance/").json()["rate"] == "0.0"


def test_the_migration_judges_archived_members_meetings(secretary, branch, ten):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("dangjian.orglife.migrations.0002_session_quorum")
    short = members_meeting(secretary, branch, ten[:5], day=5)
    enough = members_meeting(secretary, branch, ten[:6], day=20)
    seat_committee(branch, ten[:4])
    committee = schedule(secretary, branch, "committee_meeting", start=at(2026, 8, 3))
    Session.objects.update(quorum_ok=None, quorum_note="")
    migration.judge_members_meetings(apps, None)
    got = dict(Session.objects.values_list("pk", "quorum_ok"))
    assert got == {short.pk: False, enough.pk: True, committee.pk: None}
    assert (
        Session.objects.get(pk=short.pk).quorum_note == "应到有表决权党员10人，实到5人，未超过半数"
    )
