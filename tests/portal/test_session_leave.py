"""A member on the phone (issue 18): taps a session on 我的组织生活 for its agenda and
materials, and asks for leave before it starts; the row reads 请假 awaiting the recorder's
approval, audited. Refused, with the reason, once it has started, after check-in, or for someone
not on its roster; a session out of reach is 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.orglife import services
from dangjian.orglife.models import Attendance, AttendanceStatus
from tests.orglife.helpers import people

pytestmark = pytest.mark.django_db


def _session(world, *, hours: int = 26, topic: str = "学习新修订的党章"):
    start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + dt.timedelta(
        hours=hours
    )
    members = people(world.orgs["grid_branch"], 2)
    members[0].user = world.users["member"]
    members[0].save(update_fields=["user"])
    s = services.session_schedule(
        actor=world.users["community"],
        org=world.orgs["grid_branch"],
        session_type="party_lesson",
        topic=topic,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="社区党群服务中心三楼",
    )
    return s, members[0]


def test_the_member_taps_a_session_for_its_agenda_and_materials(world, client):
    s, _m = _session(world)
    client.force_login(world.users["member"])
    listing = client.get("/m/orglife/").content.decode()
    assert f'href="/m/orglife/sessions/{s.pk}/"' in listing
    r = client.get(f"/m/orglife/sessions/{s.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "学习新修订的党章" in html and "社区党群服务中心三楼" in html
    assert "党课" in html and world.orgs["grid_branch"].name in html
    assert 'id="session-materials"' in html and "暂无会议材料" in html
    assert 'id="leave-form"' in html


def test_the_member_asks_for_leave_and_it_awaits_approval(world, client):
    s, m = _session(world)
    client.force_login(world.users["member"])
    r = client.post(f"/m/orglife/sessions/{s.pk}/", {"reason": "出差在外，电话13900001111"})
    assert r.status_code == 302 and r["Location"] == f"/m/orglife/sessions/{s.pk}/"
    row = Attendance.objects.get(session=s, member=m)
    assert row.status == AttendanceStatus.LEAVE and not row.leave_approved
    assert row.reason.startswith("出差在外") and "13900001111" not in row.reason
    entry = AuditEntry.objects.get(action="orglife.attendance.leave_request")
    assert entry.after["status"] == "leave"
    html = client.get(f"/m/orglife/sessions/{s.pk}/").content.decode()
    assert "待记录人批准" in html
    # The recorder approves it where attendance is marked.
    services.attendance_mark(
        actor=world.users["community"],
        session=s,
        member_id=m.pk,
        status=AttendanceStatus.LEAVE,
        reason=row.reason,
        leave_approved=True,
    )
    assert "请假已批准" in client.get(f"/m/orglife/sessions/{s.pk}/").content.decode()


def test_a_leave_without_a_reason_names_the_field(world, client):
    s, m = _session(world)
    client.force_login(world.users["member"])
    r = client.post(f"/m/orglife/sessions/{s.pk}/", {"reason": "  "})
    assert r.status_code == 400
    assert "请假原因：请填写请假原因" in r.content.decode()
    assert Attendance.objects.get(session=s, member=m).status == AttendanceStatus.PENDING
    assert not AuditEntry.objects.filter(action="orglife.attendance.leave_request").exists()


def test_no_leave_once_the_session_has_started(world, client):
    s, m = _session(world, hours=0)
    s.starts_at = timezone.now() - dt.timedelta(minutes=5)
    s.save(update_fields=["starts_at"])
    client.force_login(world.users["member"])
    html = client.get(f"/m/orglife/sessions/{s.pk}/").content.decode()
    assert 'id="leave-form"' not in html
    r = client.post(f"/m/orglife/sessions/{s.pk}/", {"reason": "临时有事"})
    assert r.status_code == 400 and "已开始，不能再请假" in r.content.decode()
    assert Attendance.objects.get(session=s, member=m).status == AttendanceStatus.PENDING


def test_someone_not_on_the_roster_cannot_ask_and_an_outsider_reads_404(world, client):
    s, _m = _session(world)
    client.force_login(world.users["community"])  # sees the session, is not on its roster
    r = client.post(f"/m/orglife/sessions/{s.pk}/", {"reason": "有事"})
    assert r.status_code == 400 and "不在本次组织生活的名单中" in r.content.decode()
    assert not AuditEntry.objects.filter(action="orglife.attendance.leave_request").exists()
    client.force_login(world.users["street3"])
    assert client.get(f"/m/orglife/sessions/{s.pk}/").status_code == 404
    assert client.post(f"/m/orglife/sessions/{s.pk}/", {"reason": "有事"}).status_code == 404
