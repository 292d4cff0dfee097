"""Scheduling, the roster, attendance, check-in by QR, votes, validity, close."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Forbidden
from dangjian.orglife import feedback, plans, services
from dangjian.orglife.models import Attendance, SessionState
from tests.orglife.helpers import at, member_user, people, schedule, seat_committee
from tests.world import org

pytestmark = pytest.mark.django_db


def mark(actor, s, members, status="present", **kw):
    for m in members:
        services.attendance_mark(actor=actor, session=s, member_id=m.pk, status=status, **kw)


def test_schedule_writes_the_roster_with_votes_for_full_members(secretary, branch, ten):
    probationary = people(branch, 2, status="probationary")
    s = schedule(secretary, branch)
    rows = {a.member_id: a for a in Attendance.objects.filter(session=s)}
    assert len(rows) == 12
    assert all(rows[m.pk].has_vote for m in ten)
    assert not any(rows[m.pk].has_vote for m in probationary)
    assert s.month == 202611
    assert AuditEntry.objects.filter(action="orglife.session.schedule").count() == 1


def test_schedule_validates_every_field_in_chinese(secretary, branch):
    with pytest.raises(ValidationError) as exc:
        services.session_schedule(
            actor=secretary,
            org=branch,
            session_type="picnic",
            topic=" ",
            starts_at=at(2026, 11, 20, 10),
            ends_at=at(2026, 11, 20, 9),
        )
    errors = exc.value.message_dict
    assert "类型" in errors["session_type"][0]
    assert errors["topic"] == ["请填写主题"]
    assert errors["ends_at"] == ["结束时间须晚于开始时间"]


def test_schedule_out_of_scope_reads_as_absent(world, branch):
    outsider = world.users["street3"]
    with pytest.raises(Http404):
        schedule(outsider, branch)


def test_members_meeting_quorum_five_of_ten_short_six_enough(secretary, branch, ten):
    s = schedule(secretary, branch)
    mark(secretary, s, ten[:5])
    v = services.validity(s)
    assert not v.valid
    assert "应到有表决权党员10人，实到5人" in v.message and "不能召开" in v.message
    mark(secretary, s, ten[5:6])
    assert services.validity(s).valid


def test_probationary_present_do_not_make_the_quorum(secretary, branch, ten):
    prob = people(branch, 4, status="probationary")
    s = schedule(secretary, branch)
    mark(secretary, s, ten[:5] + prob)
    assert not services.validity(s).valid


def test_resolution_needs_more_than_half_of_all_members_with_a_vote(secretary, branch, ten):
    s = schedule(secretary, branch)
    mark(secretary, s, ten[:8])
    v = services.vote_record(
        actor=secretary, session=s, kind="resolution", subject="甲", yes=5, no=3, abstain=0
    )
    assert not v.passed and v.entitled == 10  # 5 of 8 present is a majority, not of 10
    v = services.vote_record(
        actor=secretary, session=s, kind="resolution", subject="乙", yes=6, no=2, abstain=0
    )
    assert v.passed
    verdict = services.validity(s)
    assert not verdict.valid and "未通过" in verdict.message


def test_votes_cannot_exceed_members_present(secretary, branch, ten):
    s = schedule(secretary, branch)
    mark(secretary, s, ten[:6])
    with pytest.raises(ValidationError) as exc:
        services.vote_record(
            actor=secretary, session=s, kind="resolution", subject="甲", yes=6, no=1, abstain=0
        )
    assert "超过到会有表决权党员6人" in exc.value.message_dict["yes"][0]


def test_election_four_fifths_with_approved_leave_left_out(secretary, branch, ten):
    s = schedule(secretary, branch)
    mark(secretary, s, ten[:2], status="leave", reason="出差", leave_approved=True)
    mark(secretary, s, ten[2:8])  # 6 of 8 voters
    v = services.vote_record(
        actor=secretary, session=s, kind="election", subject="选举书记", yes=6, no=0, abstain=0
    )
    assert not v.passed and v.excused == 2
    assert "至少需7人" in services.validity(s).message
    mark(secretary, s, ten[8:9])  # 7 of 8
    v = services.vote_record(
        actor=secretary, session=s, kind="election", subject="选举委员", yes=7, no=0, abstain=0
    )
    assert v.passed


def test_unapproved_leave_still_counts_among_voters(secretary, branch, ten):
    s = schedule(secretary, branch)
    mark(secretary, s, ten[:2], status="leave", reason="家中有事")
    mark(secretary, s, ten[2:9])  # 7 of 10 voters: not more than 4/5
    v = services.vote_record(
        actor=secretary, session=s, kind="election", subject="选举", yes=7, no=0, abstain=0
    )
    assert not v.passed and v.excused == 0


def test_committee_meeting_needs_more_than_half_of_its_members(secretary, branch, ten):
    seat_committee(branch, ten[:5])
    s = schedule(secretary, branch, "committee_meeting")
    assert Attendance.objects.filter(session=s).count() == 5
    mark(secretary, s, ten[:2])
    v = services.validity(s)
    assert not v.valid and "委员5人，到会2人" in v.message
    mark(secretary, s, ten[2:3])
    assert services.validity(s).valid


def test_committee_meeting_needs_its_members(secretary, branch, ten):
    with pytest.raises(ValidationError) as exc:
        schedule(secretary, branch, "committee_meeting")
    assert "支部委员" in exc.value.message_dict["committee_ids"][0]


def test_absence_and_leave_need_a_reason(secretary, branch, ten):
    s = schedule(secretary, branch)
    with pytest.raises(ValidationError) as exc:
        services.attendance_mark(actor=secretary, session=s, member_id=ten[0].pk, status="absent")
    assert exc.value.message_dict["reason"] == ["缺席或请假须填写原因"]


def test_recorder_marks_attendance_other_members_may_not(world, secretary, branch, ten):
    rec_user = member_user(ten[0], "m-recorder")
    other_user = member_user(ten[1], "m-other")
    s = schedule(secretary, branch, recorder=ten[0])
    services.attendance_mark(actor=rec_user, session=s, member_id=ten[2].pk, status="present")
    with pytest.raises(Forbidden):
        services.attendance_mark(actor=other_user, session=s, member_id=ten[3].pk, status="present")


def test_group_meeting_only_by_a_group(world, secretary, branch):
    with pytest.raises(ValidationError) as exc:
        schedule(secretary, branch, "group_meeting")
    assert exc.value.message_dict["org"] == ["党小组会应由党小组召开"]


SEC = dt.timedelta(seconds=1)


# --- check-in by QR ------------------------------------------------------------------------------


def test_checkin_in_window_once(secretary, branch, ten):
    user = member_user(ten[0])
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    token = services.checkin_token(s, at(2026, 11, 20, 9, 5))
    row = services.session_checkin(actor=user, session=s, token=token, now=at(2026, 11, 20, 9, 5))
    assert row.status == "present" and row.method == "qr"
    with pytest.raises(Conflict) as exc:
        services.session_checkin(actor=user, session=s, token=token, now=at(2026, 11, 20, 9, 6))
    assert "请勿重复签到" in exc.value.message


@pytest.mark.parametrize(
    ("when", "ok"),
    [
        ((8, 29), False),  # opens 30 minutes before 9:00
        ((8, 30), True),
        ((11, 30), True),  # closes 30 minutes after 11:00
        ((11, 31), False),
    ],
)
def test_checkin_window_both_sides(secretary, branch, ten, when, ok):
    user = member_user(ten[0])
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    now = at(2026, 11, 20, *when)
    token = services.checkin_token(s, now)
    if ok:
        assert services.session_checkin(actor=user, session=s, token=token, now=now)
    else:
        with pytest.raises(Conflict) as exc:
            services.session_checkin(actor=user, session=s, token=token, now=now)
        assert "签到" in exc.value.message and "签到时间为" in exc.value.message


def test_checkin_to_a_foreign_session_is_refused_unless_invited(world, secretary, branch, ten):
    other_branch = org(
        world.orgs["community_committee"], "龙桥社区第二网格党支部", "branch", world.grid2
    )
    stranger = people(other_branch, 1)[0]
    user = member_user(stranger)
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    token = services.checkin_token(s, at(2026, 11, 20, 9))
    with pytest.raises(Forbidden) as exc:
        services.session_checkin(actor=user, session=s, token=token, now=at(2026, 11, 20, 9))
    assert "也未受邀参加" in exc.value.message
    assert not Attendance.objects.filter(session=s, member=stranger).exists()
    services.session_invite(actor=secretary, session=s, member_ids=[stranger.pk])
    row = services.session_checkin(actor=user, session=s, token=token, now=at(2026, 11, 20, 9))
    assert row.role == "invitee" and row.status == "present"


def test_checkin_with_another_sessions_token_is_refused(secretary, branch, ten):
    user = member_user(ten[0])
    s1 = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    s2 = schedule(secretary, branch, start=at(2026, 11, 21, 9))
    with pytest.raises(Conflict) as exc:
        services.session_checkin(
            actor=user,
            session=s1,
            token=services.checkin_token(s2, at(2026, 11, 20, 9)),
            now=at(2026, 11, 20, 9),
        )
    assert "二维码无效" in exc.value.message
    assert services.session_for_token("forged:token") is None


def test_the_checkin_code_changes_every_minute_and_a_forwarded_one_goes_stale(
    secretary, branch, ten
):
    user = member_user(ten[0])
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    shown = at(2026, 11, 20, 9, 0) + SEC * 10
    token = services.checkin_token(s, shown)
    assert token != services.checkin_token(s, at(2026, 11, 20, 9, 1) + SEC * 10)
    # Scanned a moment after it was renewed: still good (its own minute and the next).
    assert services.session_for_token(token, at(2026, 11, 20, 9, 1) + SEC * 50).pk == s.pk
    # A photo of it sent on and scanned two minutes later: refused, nothing recorded.
    with pytest.raises(Conflict) as exc:
        services.session_checkin(
            actor=user, session=s, token=token, now=at(2026, 11, 20, 9, 2) + SEC * 5
        )
    assert "二维码每分钟更新" in exc.value.message
    assert not Attendance.objects.filter(session=s, status="present").exists()
    assert services.session_for_token(token, at(2026, 11, 20, 8, 59)) is None  # not yet valid


def test_leader_attends_as_an_ordinary_member(world, secretary, branch, ten):
    city_branch = org(world.orgs["city_committee"], "市委办公室党支部", "branch", world.city)
    leader = people(city_branch, 1, prefix="市领导")[0]
    s = schedule(world.users["admin"], branch, leader_ids=[leader.pk])
    row = Attendance.objects.get(session=s, member=leader)
    assert row.role == "leader" and not row.has_vote
    assert Attendance.objects.filter(session=s, has_vote=True).count() == 10


def test_joint_session_counts_members_of_each_organization(world, secretary, branch, ten):
    other = org(world.orgs["community_committee"], "驻区单位党支部", "branch", world.grid2)
    people(other, 3)
    s = schedule(secretary, branch, "theme_day", joint_org_ids=[other.pk])
    assert Attendance.objects.filter(session=s).count() == 13
    assert Attendance.objects.filter(session=s, has_vote=True).count() == 10
    assert s.participants.get().org_id == other.pk


# --- close ---------------------------------------------------------------------------------------


def test_close_marks_the_unmarked_absent_and_freezes_the_record(secretary, branch, ten):
    user = member_user(ten[0])
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    mark(secretary, s, ten[:6])
    with pytest.raises(ValidationError) as exc:
        services.session_close(actor=secretary, session=s, now=at(2026, 11, 20, 11))
    assert exc.value.message_dict["minutes"] == ["请先填写会议记录再归档"]
    services.session_update(actor=secretary, session=s, minutes="记录")
    s = services.session_close(actor=secretary, session=s, now=at(2026, 11, 20, 11))
    assert s.state == SessionState.HELD
    assert Attendance.objects.filter(session=s, status="absent", reason="未签到").count() == 4
    with pytest.raises(Conflict):
        services.session_update(actor=secretary, session=s, topic="改")
    with pytest.raises(Conflict) as exc:
        services.session_checkin(
            actor=user,
            session=s,
            token=services.checkin_token(s, at(2026, 11, 20, 11)),
            now=at(2026, 11, 20, 11),
        )
    assert "已结束归档" in exc.value.message


def test_close_before_the_start_is_refused(secretary, branch, ten):
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    services.session_update(actor=secretary, session=s, minutes="记录")
    with pytest.raises(Conflict):
        services.session_close(actor=secretary, session=s, now=at(2026, 11, 20, 8, 59))


def test_rating_by_present_members_once_after_close(secretary, branch, ten):
    user = member_user(ten[0])
    absent_user = member_user(ten[1])
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    mark(secretary, s, ten[:1])
    services.session_update(actor=secretary, session=s, minutes="记录")
    services.session_close(actor=secretary, session=s, now=at(2026, 11, 20, 11))
    with pytest.raises(ValidationError):
        feedback.rating_submit(actor=user, session=s, score=0)
    feedback.rating_submit(actor=user, session=s, score=5)
    # The rater is sealed in the audit trail: reviewers read the score, not who gave it.
    row = AuditEntry.objects.get(action="orglife.rating.submit")
    assert (row.actor_id, row.actor_name, row.after, row.sealed) == (None, "", {"score": 5}, True)
    assert row.org_path == s.org_path
    with pytest.raises(Conflict):
        feedback.rating_submit(actor=user, session=s, score=4)
    with pytest.raises(Forbidden):
        feedback.rating_submit(actor=absent_user, session=s, score=1)
    with pytest.raises(ValidationError):
        feedback.rating_submit(actor=user, session=s, score=6)


def test_review_only_by_a_higher_level(world, secretary, branch, ten):
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    services.session_update(actor=secretary, session=s, minutes="记录")
    services.session_close(actor=secretary, session=s, now=at(2026, 11, 20, 11))
    services.session_review(actor=secretary, session=s, note="记录规范")  # community above grid
    assert s.__class__.objects.get(pk=s.pk).reviewed_at is not None
    with pytest.raises(Forbidden):
        branch_sec = member_user(ten[0])
        services.session_review(actor=branch_sec, session=s, note="x")


def test_plan_months_within_the_quarter(secretary, branch):
    with time_machine.travel(dt.datetime(2026, 7, 1, 10), tick=False):
        with pytest.raises(ValidationError) as exc:
            plans.plan_create(
                actor=secretary,
                org=branch,
                year=2026,
                quarter=3,
                items=[{"session_type": "party_lesson", "month": 10, "topic": "党课"}],
            )
        assert "7至9月" in exc.value.message_dict["items.0.month"][0]
        plan = plans.plan_create(
            actor=secretary,
            org=branch,
            year=2026,
            quarter=3,
            items=[{"session_type": "party_lesson", "month": 9, "topic": "党课"}],
        )
        assert plan.items.count() == 1
        with pytest.raises(ValidationError):
            plans.plan_create(actor=secretary, org=branch, year=2026, quarter=3)
