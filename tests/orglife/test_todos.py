"""Organizational life's to-dos (mark attendance, archive, rate) and notifications (scheduled,
changed)."""

import datetime as dt

import pytest
import time_machine

from dangjian.core import todo
from dangjian.core.models import Notification
from dangjian.orglife import feedback, services
from dangjian.orglife.models import Attendance
from tests.orglife.helpers import at, hold, member_user, schedule

pytestmark = pytest.mark.django_db


def sources(user, key):
    return [t.object_id for t in todo.inbox(user, limit=None, only=[key])]


def test_sessions_to_mark_and_archive_wait_on_the_managers(world, branch, ten, secretary):
    with time_machine.travel(at(2026, 11, 1), tick=False):
        s = schedule(secretary, branch, start=at(2026, 11, 20))
    with time_machine.travel(at(2026, 11, 19), tick=False):
        assert sources(secretary, "orglife.mark") == []  # not started yet
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        assert sources(secretary, "orglife.mark") == [s.pk]
        assert sources(world.users["street3"], "orglife.mark") == []
        assert sources(world.users["city"], "orglife.mark") == []  # far above: not theirs
        item = todo.inbox(secretary, only=["orglife.mark"])[0]
        assert item.url == f"/orglife/sessions/{s.pk}/" and item.due == s.ends_at
        Attendance.objects.filter(session=s).update(status="present")
        assert sources(secretary, "orglife.mark") == []
        assert sources(secretary, "orglife.record") == []  # not over yet
    with time_machine.travel(at(2026, 11, 20, 12), tick=False):
        assert sources(secretary, "orglife.record") == [s.pk]
        services.session_update(actor=secretary, session=s, minutes="会议记录：" + "学习。" * 30)
        services.session_close(actor=secretary, session=s)
        assert sources(secretary, "orglife.record") == []


def test_the_roster_is_told_when_a_session_is_scheduled_or_moved(world, branch, ten, secretary):
    users = [member_user(m) for m in ten[:3]]
    with time_machine.travel(at(2026, 11, 1), tick=False):
        s = schedule(secretary, branch, start=at(2026, 11, 20), place="党群服务中心")
        for u in users:
            n = Notification.objects.get(recipient=u)
            assert n.kind == "orglife.session" and n.title == "组织生活安排通知"
            assert "2026-11-20 09:00" in n.body and "党群服务中心" in n.body
        services.session_update(actor=secretary, session=s, minutes="草稿")  # not a change of time
        assert Notification.objects.filter(recipient=users[0]).count() == 1
        services.session_update(
            actor=secretary, session=s, starts_at=at(2026, 11, 21), ends_at=at(2026, 11, 21, 11)
        )
        changed = Notification.objects.get(recipient=users[0], title="组织生活时间地点变更")
        assert "2026-11-21 09:00" in changed.body
        assert not Notification.objects.filter(recipient=secretary).exists()


def test_a_member_who_attended_rates_the_session(world, branch, ten, secretary):
    u = member_user(ten[0])
    with time_machine.travel(at(2026, 11, 20, 12), tick=False):
        s = hold(secretary, branch, "members_meeting", at(2026, 11, 20), present_all=True)
        assert sources(u, "orglife.rate") == [s.pk]
        assert todo.inbox(u, only=["orglife.rate"])[0].url == f"/m/orglife/sessions/{s.pk}/rate/"
        assert sources(member_user(ten[1]), "orglife.rate") == [s.pk]
        feedback.rating_submit(actor=u, session=s, score=5)
        assert sources(u, "orglife.rate") == []
    with time_machine.travel(at(2026, 11, 20) + dt.timedelta(days=40), tick=False):
        assert sources(member_user(ten[2]), "orglife.rate") == []  # too long ago


def test_a_leave_asked_for_on_the_phone_waits_on_the_recorder(world, branch, ten, secretary):
    """The member's 请假 (awaiting approval) is the session's recorder's to-do, opening the
    session's roster, until the recorder marks the row; no one else's."""
    from dangjian.orglife import checkin

    ten[1].user = secretary  # the recorder's file is the secretary's account
    ten[1].save(update_fields=["user"])
    u = member_user(ten[0])
    with time_machine.travel(at(2026, 11, 1), tick=False):
        s = schedule(secretary, branch, start=at(2026, 11, 20), recorder=ten[1])
        assert sources(secretary, "orglife.leave") == []
        row = checkin.attendance_leave_request(actor=u, session=s, reason="出差在外")
        assert sources(secretary, "orglife.leave") == [row.pk]
        item = todo.inbox(secretary, only=["orglife.leave"])[0]
        assert item.url == f"/orglife/sessions/{s.pk}/#attendance" and item.due == s.starts_at
        assert ten[0].name in item.subject and item.title == "审批请假"
        assert todo.counts(secretary)["orglife.leave"] == 1
        assert sources(world.users["street3"], "orglife.leave") == []
        assert sources(u, "orglife.leave") == []
        services.attendance_mark(
            actor=secretary,
            session=s,
            member_id=ten[0].pk,
            status="leave",
            reason=row.reason,
            leave_approved=True,
        )
        assert sources(secretary, "orglife.leave") == []
        # Asked again and refused by the recorder (leave not approved): answered all the same.
        checkin.attendance_leave_request(actor=u, session=s, reason="仍在外地")
        assert sources(secretary, "orglife.leave") == [row.pk]
        services.attendance_mark(
            actor=secretary, session=s, member_id=ten[0].pk, status="leave", reason="未批准"
        )
        assert sources(secretary, "orglife.leave") == []
