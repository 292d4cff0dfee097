"""The caller's own to-dos and notifications over the API (personal: nobody else's rows).

- ``GET /api/v1/todos/``: the inbox (``core.todo.inbox``), most urgent first, paginated, with
  the count per source; ``?source=`` narrows it to one source.
- ``GET /api/v1/notifications/``: one's notifications, newest first (``?unread=true``), with
  the unread count; ``POST /api/v1/notifications/read`` marks some (``ids``) or all read;
  ``GET``/``POST /api/v1/notifications/preferences``: the choice per kind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Router

from dangjian.core import notify, todo
from dangjian.core.api import ErrorOut, Schema, paginate
from dangjian.core.models import Notification

todos_router = Router(tags=["待办"])
notifications_router = Router(tags=["通知"])


class TodoOut(Schema):
    source: str
    source_label: str
    title: str
    subject: str
    url: str
    object_id: str
    due: str | None = None
    overdue: bool


class SourceCountOut(Schema):
    source: str
    label: str
    module: str
    count: int


class TodoPageOut(Schema):
    items: list[TodoOut]
    count: int
    total: int
    counts: list[SourceCountOut]


class _Rows:
    """A list that pages like a QuerySet (``core.api.paginate``)."""

    def __init__(self, rows: list):
        self.rows = rows

    def count(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: slice) -> Any:
        return self.rows[key]


def todo_out(item: todo.Todo, labels: dict[str, str]) -> dict:
    due = item.due
    due_s: str | None
    if isinstance(due, dt.datetime):
        due_s = timezone.localtime(due).isoformat() if timezone.is_aware(due) else due.isoformat()
    else:
        due_s = due.isoformat() if due else None
    return {
        "source": item.source,
        "source_label": labels.get(item.source, item.source),
        "title": item.title,
        "subject": item.subject,
        "url": item.url,
        "object_id": str(item.object_id),
        "due": due_s,
        "overdue": item.is_overdue(),
    }


def source_counts(user) -> list[dict]:
    counts = todo.counts(user)
    return [
        {"source": s.key, "label": s.label, "module": s.module, "count": counts[s.key]}
        for s in todo.sources()
        if s.key in counts
    ]


@todos_router.get("/", response={200: TodoPageOut, 401: ErrorOut, 422: ErrorOut})
def todo_list(request, source: str = ""):
    """What waits on the caller, most urgent first (overdue, then by due date)."""
    user = request.user
    known = {s.key: s.label for s in todo.sources()}
    source = source.strip()[:64]
    if source and source not in known:
        raise ValidationError({"source": [f"待办来源“{source[:32]}”不存在"]})
    rows = todo.inbox(user, limit=None, only=[source] if source else None)
    page = paginate(request, _Rows(rows), lambda t: todo_out(t, known))
    counts = source_counts(user)
    return {**page, "total": sum(c["count"] for c in counts), "counts": counts}


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    url: str
    created_at: str
    read: bool


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    count: int
    unread: int


class MarkReadIn(Schema):
    ids: list[int] | None = None


class MarkReadOut(Schema):
    marked: int
    unread: int


class PreferenceIn(Schema):
    kind: str
    in_app: bool = True
    external: bool = True


class PreferenceOut(Schema):
    kind: str
    label: str
    in_app: bool
    external: bool


def notification_out(n: Notification) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": notify.kind_label(n.kind),
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "created_at": timezone.localtime(n.created_at).isoformat(),
        "read": n.read_at is not None,
    }


@notifications_router.get("/", response={200: NotificationPageOut, 401: ErrorOut, 422: ErrorOut})
def notification_list(request, unread: bool = False):
    """The caller's own notifications, newest first; ``unread=true``: the unread only."""
    qs = notify.notification_list(request.user, unread=unread)
    page = paginate(request, qs, notification_out)
    return {**page, "unread": notify.unread_count(request.user)}


@notifications_router.post(
    "/read", response={200: MarkReadOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def notification_read(request, data: MarkReadIn):
    """Mark the caller's notifications ``ids`` read (all of them when ``ids`` is left out);
    an id that is not the caller's reads as absent (404) and nothing is marked."""
    ids = data.ids
    if ids is not None and len(ids) > 500:
        raise ValidationError({"ids": ["一次最多标记500条"]})
    if ids is not None and any(not 0 < i < 2**63 for i in ids):
        raise ValidationError({"ids": ["编号超出范围"]})
    if ids is not None:
        wanted = set(ids)
        own = notify.notification_list(request.user).filter(pk__in=wanted).count()
        if own != len(wanted):
            raise Http404("通知不存在")
    marked = notify.mark_read(user=request.user, ids=ids)
    return {"marked": marked, "unread": notify.unread_count(request.user)}


@notifications_router.get("/preferences", response={200: list[PreferenceOut], 401: ErrorOut})
def preference_list(request):
    """Each kind of notification with the caller's choice (in the app; by SMS where deployed)."""
    return notify.preferences(request.user)


@notifications_router.post(
    "/preferences", response={200: PreferenceOut, 401: ErrorOut, 422: ErrorOut}
)
def preference_set(request, data: PreferenceIn):
    return notify.preference_set(
        user=request.user, kind=data.kind, in_app=data.in_app, external=data.external
    )
