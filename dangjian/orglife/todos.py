"""Organizational life's to-dos (``core.todo``) and notifications (``core.notify``).

To-dos wait on the recorder (``Session.recorder``) and on those who manage the host
organization or the one just above it (``orglife.manage``): a session under way or over with
members not yet marked (登记出席), and a session over with everyone marked, to record and
archive (归档); and the recorder's, a member's leave asked for on the phone (审批请假) until the
row is marked. Read through ``selectors.session_list`` (the ``orglife.view`` scope).

A member who attended a session held in the last month rates it on the phone (会后评价).

Notifications: the roster is told when a session is scheduled and when its time or place
changes (``tell_roster``, called by ``services.session_schedule`` / ``session_update``).
"""

from __future__ import annotations

import datetime as dt
import zlib

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone

from dangjian.core import notify, scope, todo, tree
from dangjian.orglife import selectors
from dangjian.orglife.models import (
    Attendance,
    AttendanceStatus,
    Rating,
    Session,
    SessionState,
)

MANAGE = "orglife.manage"
MODULE = "组织生活"
KIND_SCHEDULED = "orglife.session"


def _mine(user):
    """Scheduled sessions this user records or manages (host organization, or its parent)."""
    q = Q(recorder__user_id=user.pk)
    for p in scope.reach_of(user, MANAGE).org_paths:
        q |= tree.subtree_q("org_path", p) & Q(org_len__lte=len(p) + tree.STEP_WIDTH)
    pending = Attendance.objects.filter(session=OuterRef("pk"), status=AttendanceStatus.PENDING)
    return (
        selectors.session_list(user, state=SessionState.SCHEDULED)
        .annotate(org_len=Length("org_path"), unmarked=Exists(pending))
        .filter(q, starts_at__lte=timezone.now())
    )


def _to_mark(user):
    return _mine(user).filter(unmarked=True)


def _to_record(user):
    return _mine(user).filter(unmarked=False, ends_at__lte=timezone.now())


def _source(key, title, query, url_name):
    def items(user):
        rows = query(user).order_by("ends_at", "id")[:200]
        return [
            todo.Todo(
                source=key,
                title=title,
                subject=f"{s.org.name} · {s.topic[:30]}",
                url=reverse(url_name, args=[s.pk]),
                object_id=s.pk,
                due=s.ends_at,
            )
            for s in rows
        ]

    def count(user):
        return query(user).count()

    return items, count


def _to_approve(user):
    """Leave asked for on the phone (请假, awaiting approval) from scheduled sessions this user
    records, until the recorder marks the row (``services.attendance_mark``)."""
    sessions = selectors.session_list(user, state=SessionState.SCHEDULED).filter(
        recorder__user_id=user.pk
    )
    return Attendance.objects.filter(
        session__in=sessions.values("pk"),
        status=AttendanceStatus.LEAVE,
        leave_requested_at__isnull=False,
    )


def _approve_items(user):
    rows = _to_approve(user).select_related("session").order_by("session__starts_at", "id")
    return [
        todo.Todo(
            source="orglife.leave",
            title="审批请假",
            subject=f"{a.member_name} · {a.session.topic[:30]}",
            url=reverse("console:orglife:session", args=[a.session_id]) + "#attendance",
            object_id=a.pk,
            due=a.session.starts_at,
        )
        for a in rows[:200]
    ]


RATE_WITHIN_DAYS = 30


def _to_rate(user):
    """Sessions held in the last month the user attended and has not rated (会后评价)."""
    since = timezone.now() - dt.timedelta(days=RATE_WITHIN_DAYS)
    rated = Rating.objects.filter(session=OuterRef("session_id"), member=OuterRef("member_id"))
    return (
        selectors.my_attendance(user)
        .filter(
            status=AttendanceStatus.PRESENT,
            session__state=SessionState.HELD,
            session__ends_at__gte=since,
        )
        .exclude(Exists(rated))
    )


def _rate_items(user):
    rows = _to_rate(user).order_by("session__ends_at", "id")[:200]
    return [
        todo.Todo(
            source="orglife.rate",
            title="评价组织生活",
            subject=f"{a.session.org.name} · {a.session.topic[:30]}",
            url=reverse("portal:orglife:rate", args=[a.session_id]),
            object_id=a.session_id,
            due=a.session.ends_at + dt.timedelta(days=RATE_WITHIN_DAYS),
        )
        for a in rows
    ]


def declare() -> None:
    todo.declare(
        "orglife.rate",
        label="待评价的组织生活",
        items=_rate_items,
        count=lambda u: _to_rate(u).count(),
        module=MODULE,
    )
    items, count = _source("orglife.mark", "登记出席情况", _to_mark, "console:orglife:session")
    todo.declare("orglife.mark", label="待登记出席的会议", items=items, count=count, module=MODULE)
    items, count = _source(
        "orglife.record", "填写记录并归档", _to_record, "console:orglife:session"
    )
    todo.declare("orglife.record", label="待归档的会议", items=items, count=count, module=MODULE)
    todo.declare(
        "orglife.leave",
        label="待审批的请假",
        items=_approve_items,
        count=lambda u: _to_approve(u).count(),
        module=MODULE,
    )
    notify.declare_kind(KIND_SCHEDULED, "组织生活安排与变更")


def _when(s: Session) -> str:
    start = timezone.localtime(s.starts_at)
    return f"{start:%Y-%m-%d %H:%M}至{timezone.localtime(s.ends_at):%H:%M}"


def tell_roster(session: Session, *, changed: bool = False) -> int:
    """Everyone on the roster who has an account is told of the session (its time, place)."""
    users = list(
        Attendance.objects.filter(session=session, member__user_id__isnull=False)
        .values_list("member__user_id", flat=True)
        .distinct()
    )
    if changed:
        title = "组织生活时间地点变更"
        stamp = f"{session.starts_at:%Y%m%d%H%M}-{session.ends_at:%Y%m%d%H%M}"
        key = f"orglife.session:{session.pk}:changed:{stamp}:{zlib.crc32(session.place.encode())}"
    else:
        title = "组织生活安排通知"
        key = f"orglife.session:{session.pk}:scheduled"
    place = f"，地点：{session.place}" if session.place else ""
    return notify.notify(
        recipients=users,
        kind=KIND_SCHEDULED,
        title=title,
        body=f"{session.topic}：{_when(session)}{place}。",
        url=reverse("portal:orglife:upcoming"),
        key=key,
    )
