"""Overdue (超期): the one function that marks events overdue and writes their 超期通报.

An event is overdue once its clock runs past the deadline: ``overdue_at`` holds the moment
it was first seen so and an ``EventNotice`` of kind ``overdue`` is written once per deadline.
Whoever sees it first writes both: the SLA sweep (set-based, every half hour) or a move made
after the deadline (``services.event_transition``); the demo writes the same notice rows
(``notice``) for its overdue events. A notice missing for an event already marked overdue (a
move before this function existed) is written by the next sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from dangjian.cases.models import RUNNING_STATES, Event, EventNotice, NoticeKind


def notice(
    *, event_id: int, deadline: dt.datetime, department_id: int | None, at: dt.datetime
) -> EventNotice:
    """The 超期通报 row of an event for ``deadline`` (unsaved)."""
    return EventNotice(
        event_id=event_id,
        kind=NoticeKind.OVERDUE,
        deadline=deadline,
        department_id=department_id,
        at=at,
    )


def overdue_mark(*, rows: Iterable[tuple[int, dt.datetime, int | None]], now: dt.datetime) -> int:
    """Mark the events ``rows`` — (id, the deadline they passed, the department) — overdue at
    ``now`` (an event already marked keeps its first moment) and write each one's notice for
    that deadline, once (a second call writes nothing). Returns how many events were given."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return 0
    Event.objects.filter(pk__in=[r[0] for r in rows], overdue_at__isnull=True).update(
        overdue_at=now
    )
    EventNotice.objects.bulk_create(
        [notice(event_id=pk, deadline=d, department_id=dept, at=now) for pk, d, dept in rows],
        ignore_conflicts=True,
    )
    return len(rows)


def overdue_pending(now: dt.datetime):
    """The running events past their deadline without the notice for it: (id, deadline,
    department) rows for ``overdue_mark``."""
    return (
        Event.objects.filter(state__in=RUNNING_STATES, deadline__lt=now)
        .exclude(
            Exists(
                EventNotice.objects.filter(
                    event=OuterRef("pk"), kind=NoticeKind.OVERDUE, deadline=OuterRef("deadline")
                )
            )
        )
        .values_list("pk", "deadline", "department_id")
    )


def mark_if_late(ev: Event, now: dt.datetime) -> bool:
    """A move on ``ev`` (locked, about to be saved) at ``now``: if its clock runs past the
    deadline, it is overdue from now (unless already) and its notice is written."""
    if ev.state not in RUNNING_STATES or ev.deadline is None or now <= ev.deadline:
        return False
    overdue_mark(rows=[(ev.pk, ev.deadline, ev.department_id)], now=now)
    if ev.overdue_at is None:
        ev.overdue_at = now
    return True
