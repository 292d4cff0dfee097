"""The compliance engine across month, quarter and year ends (time-machine), the colours,
attendance rates, the six-element quality check, and the query count for a subtree."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.orglife import compliance, feedback, services
from tests.orglife.helpers import at, hold, member_user, people, seat_committee
from tests.world import org

pytestmark = pytest.mark.django_db

TZ = dt.timezone(dt.timedelta(hours=8))


def travel(y, m, d, hh=10):
    return time_machine.travel(dt.datetime(y, m, d, hh, tzinfo=TZ), tick=False)


def hold_q3(actor, branch, group, ten, *, lesson=None):
    lesson = lesson or at(2026, 9, 30, 21)
    seat_committee(branch, ten[:5])
    hold(actor, branch, "members_meeting", at(2026, 8, 5), present_all=True)
    for month in (7, 8, 9):
        hold(actor, branch, "committee_meeting", at(2026, month, 3), present_all=True)
        hold(actor, branch, "theme_day", at(2026, month, 1))
        hold(actor, group, "group_meeting", at(2026, month, 10))
    hold(actor, branch, "party_lesson", lesson, hours=1)


def row_of(board, branch):
    return next(r for r in board["branches"] if r["org_id"] == branch.pk)


@pytest.fixture
def group(world):
    return world.orgs["unit_group"]


def test_quarter_done_after_its_end_is_green(world, secretary, branch, group, ten):
    hold_q3(secretary, branch, group, ten)
    with travel(2026, 10, 1):
        b = compliance.board(secretary, org=branch.pk, period="2026-Q3")
    r = row_of(b, branch)
    assert r["missed"] == 0 and r["colour"] == "green"
    # the yearly review meeting, evaluation and talks, and the secretary's own party lesson
    # (the committee's secretary seat): the year is open
    assert r["due"] == 4 and r["secretary_lesson"]["status"] == "due"
    assert b["period_label"] == "2026年第3季度"


def test_a_lesson_after_midnight_belongs_to_the_next_quarter(world, secretary, branch, group, ten):
    hold_q3(secretary, branch, group, ten, lesson=at(2026, 10, 1, 0, 30))
    with travel(2026, 10, 1):
        r = row_of(compliance.board(secretary, org=branch.pk, period="2026-Q3"), branch)
    assert r["missed"] == 1 and r["colour"] == "amber"
    assert r["missing"] == [
        {
            "session_type": "party_lesson",
            "session_type_label": "党课",
            "period": "2026-Q3",
            "period_label": "2026年第3季度",
            "held": 0,
            "invalid": 0,
            "note": "",
        }
    ]
    with travel(2026, 10, 2):
        q4 = row_of(compliance.board(secretary, org=branch.pk, period="2026-Q4"), branch)
    assert q4["missed"] == 0


def test_inside_the_quarter_its_items_are_due_past_months_missed(world, secretary, branch, ten):
    with travel(2026, 9, 30, 23):
        r = compliance.evaluate(
            branch.path, compliance.parse_period("2026-Q3"), dt.date(2026, 9, 30), detail=True
        )[0]
    by = {(i["session_type"], i["period"]): i["status"] for i in r["items"]}
    assert by[("members_meeting", "2026-Q3")] == "due"
    assert by[("committee_meeting", "2026-07")] == "missed"
    assert by[("committee_meeting", "2026-09")] == "due"
    assert by[("theme_day", "2026-08")] == "missed"
    assert r["colour"] == "red"
    with travel(2026, 10, 1, 0):
        r = compliance.evaluate(
            branch.path, compliance.parse_period("2026-Q3"), dt.date(2026, 10, 1), detail=True
        )[0]
    by = {(i["session_type"], i["period"]): i["status"] for i in r["items"]}
    assert by[("members_meeting", "2026-Q3")] == "missed"
    assert by[("committee_meeting", "2026-09")] == "missed"


def test_yearly_items_due_on_new_years_eve_missed_on_new_years_day(world, secretary, branch):
    people(branch, 3)  # fewer than 7 full members: no committee required
    hold(secretary, branch, "review_meeting", at(2026, 12, 20))
    with travel(2026, 12, 31, 23):
        r = row_of(compliance.board(secretary, org=branch.pk, period="2026-12"), branch)
        items = compliance.evaluate(
            branch.path, compliance.parse_period("2026"), dt.date(2026, 12, 31), detail=True
        )[0]["items"]
    yearly = {i["session_type"]: i["status"] for i in items if i["frequency"] == "year"}
    assert yearly == {
        "review_meeting": "done",
        "member_evaluation": "due",
        "heart_talk": "due",
    }
    assert not any(i["session_type"] == "committee_meeting" for i in items)
    assert r["due"] >= 2
    with travel(2027, 1, 1, 0):
        items = compliance.evaluate(
            branch.path, compliance.parse_period("2026"), dt.date(2027, 1, 1), detail=True
        )[0]["items"]
    yearly = {i["session_type"]: i["status"] for i in items if i["frequency"] == "year"}
    assert yearly["member_evaluation"] == "missed" and yearly["review_meeting"] == "done"


def test_committee_required_from_seven_full_members(world, secretary, branch):
    people(branch, 6)
    span = compliance.parse_period("2026-11")
    rows = compliance.evaluate(branch.path, span, dt.date(2026, 12, 1), detail=True)
    assert not any(i["session_type"] == "committee_meeting" for i in rows[0]["items"])
    people(branch, 1)
    rows = compliance.evaluate(branch.path, span, dt.date(2026, 12, 1), detail=True)
    assert any(i["session_type"] == "committee_meeting" for i in rows[0]["items"])


def test_group_meeting_needs_every_group(world, secretary, branch, group):
    people(branch, 3)
    second = org(branch, "2号楼党小组", "group", world.unit)
    hold(secretary, group, "group_meeting", at(2026, 11, 5))
    span = compliance.parse_period("2026-11")
    items = compliance.evaluate(branch.path, span, dt.date(2026, 12, 1), detail=True)[0]["items"]
    assert {i["status"] for i in items if i["session_type"] == "group_meeting"} == {"missed"}
    hold(secretary, second, "group_meeting", at(2026, 11, 6))
    items = compliance.evaluate(branch.path, span, dt.date(2026, 12, 1), detail=True)[0]["items"]
    assert {i["status"] for i in items if i["session_type"] == "group_meeting"} == {"done"}


def test_joint_session_counts_for_each_participant(world, secretary, branch):
    other = org(world.orgs["community_committee"], "驻区单位党支部", "branch", world.grid2)
    people(branch, 3)
    people(other, 3)
    hold(secretary, branch, "theme_day", at(2026, 11, 1), joint_org_ids=[other.pk])
    rows = compliance.evaluate(
        world.orgs["community_committee"].path,
        compliance.parse_period("2026-11"),
        dt.date(2026, 12, 1),
        detail=True,
    )
    for r in rows:
        st = {i["status"] for i in r["items"] if i["session_type"] == "theme_day"}
        assert st == {"done"}, r["org_name"]


def test_periods_before_establishment_are_not_required(world, secretary, branch):
    branch.established_on = dt.date(2026, 11, 15)
    branch.save()
    people(branch, 3)
    items = compliance.evaluate(
        branch.path, compliance.parse_period("2026"), dt.date(2026, 12, 20), detail=True
    )[0]["items"]
    months = {i["period"] for i in items if i["session_type"] == "theme_day"}
    assert months == {"2026-11", "2026-12"}


def test_colours_by_missed_count(settings):
    assert compliance.colour_of(0) == "green"
    assert compliance.colour_of(1) == "amber"
    assert compliance.colour_of(2) == "red"
    settings.DANGJIAN = {**settings.DANGJIAN, "ORGLIFE_AMBER_MAX_MISSED": 2}
    assert compliance.colour_of(2) == "amber"


def test_frequencies_are_settings(settings, world, branch):
    people(branch, 3)
    settings.DANGJIAN = {**settings.DANGJIAN, "ORGLIFE_FREQUENCIES": {"party_lesson": "month"}}
    items = compliance.evaluate(
        branch.path, compliance.parse_period("2026-Q4"), dt.date(2027, 1, 5), detail=True
    )[0]["items"]
    assert len([i for i in items if i["session_type"] == "party_lesson"]) == 3


def test_bad_period_is_a_chinese_field_error():
    from django.core.exceptions import ValidationError

    for bad in ("2026-Q5", "2026-13", "26", "2026-1"):
        with pytest.raises(ValidationError) as exc:
            compliance.parse_period(bad)
        assert "期间格式" in exc.value.message_dict["period"][0]


def test_attendance_rates_leave_out_approved_leave(world, secretary, branch, ten):
    from tests.orglife.helpers import schedule

    s = schedule(secretary, branch, "theme_day", start=at(2026, 11, 1))
    for m in ten[:6]:
        services.attendance_mark(actor=secretary, session=s, member_id=m.pk, status="present")
    services.attendance_mark(
        actor=secretary,
        session=s,
        member_id=ten[6].pk,
        status="leave",
        reason="住院",
        leave_approved=True,
    )
    services.session_update(actor=secretary, session=s, minutes="记录")
    services.session_close(actor=secretary, session=s, now=at(2026, 11, 1, 12))
    r = compliance.evaluate(branch.path, compliance.parse_period("2026-11"), dt.date(2026, 12, 1))
    assert r[0]["attendance_rate"] == "66.7"  # 6 of 9 (the approved leave left out)
    members = {
        m["member_id"]: m
        for m in compliance.member_attendance(branch.path, compliance.parse_period("2026-11"))
    }
    assert members[ten[0].pk]["rate"] == "100.0"
    assert members[ten[6].pk]["rate"] is None and members[ten[6].pk]["approved_leave"] == 1
    assert members[ten[9].pk]["rate"] == "0.0"


def test_six_elements_each_checked(world, secretary, branch, ten, settings, tmp_path):
    from dangjian.core.files import file_store_bytes
    from tests.orglife.helpers import schedule

    s = schedule(secretary, branch, "theme_day", start=at(2026, 11, 1), topic="植树")
    q = compliance.session_quality(s)
    assert {e["code"]: e["ok"] for e in q["elements"]} == {
        "party_flavor": False,
        "content": False,
        "form": False,
        "record": False,
        "supervision": False,
        "effect": False,
    }
    users = [member_user(m) for m in ten[:3]]
    services.session_update(
        actor=secretary,
        session=s,
        topic="重温入党誓词 学习党章",
        place="龙桥社区党群服务中心",
        host=ten[0],
        recorder=ten[1],
        minutes="学习讨论" * 30,
    )
    for m in ten:
        services.attendance_mark(actor=secretary, session=s, member_id=m.pk, status="present")
    settings.DANGJIAN = {**settings.DANGJIAN, "FILES_DIR": str(tmp_path)}
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    s.photos.add(file_store_bytes(actor=secretary, name="a.png", content=png))
    services.session_close(actor=secretary, session=s, now=at(2026, 11, 1, 12))
    for u, score in zip(users, (5, 4, 3), strict=True):
        feedback.rating_submit(actor=u, session=s, score=score)
    s.refresh_from_db()
    q = compliance.session_quality(s)
    assert {e["code"] for e in q["elements"] if not e["ok"]} == {"supervision"}
    services.session_review(actor=world.users["street"], session=s, note="规范")
    s.refresh_from_db()
    q = compliance.session_quality(s)
    assert q["ok"] and q["score"] == 6 and q["rating_avg"] == "4.00"


def test_board_query_count_does_not_grow_with_branches(world, secretary, branch):
    committee = world.orgs["community_committee"]

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            compliance.board(secretary, org=committee.pk, period="2026")
        return len(ctx.captured_queries)

    people(branch, 8)
    hold(secretary, branch, "theme_day", at(2026, 3, 1))
    few = count_queries()
    for i in range(5):
        b = org(committee, f"新建党支部{i}", "branch", world.grid2)
        people(b, 8)
        hold(secretary, b, "theme_day", at(2026, 4, 1))
    assert count_queries() == few
    assert few <= 10
