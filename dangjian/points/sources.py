"""Where automatic awards come from: a registry of collectors, one per source.

A collector is ``fn(since, until) -> iterable of SourceEvent``: the source rows that became
worth points in the window ``(since, until]`` (``since`` None: from the beginning). The sweep
(``services.collect``) runs every registered collector from its watermark and awards what they
yield through the one keyed award service, so a window read twice, or a source row edited and
read again, never counts twice. Collectors read their module's rows; they never write there.

The time bank's collector (``timebank.hours``) reads
``dangjian.timebank.selectors.confirmed_participations``; ``register`` is the whole interface.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from dangjian.points.models import Source


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """One source row worth points to one person."""

    source: str  # a ``Source`` code
    ref: str  # the source row, unique within the source ("123", "123:5")
    user_id: int
    name: str
    area_path: str
    org_path: str
    occurred_on: dt.date
    quantity: Decimal = Decimal(1)  # the rule's points are multiplied by it (hours, say)


Collector = Callable[[dt.datetime | None, dt.datetime], Iterable[SourceEvent]]

_COLLECTORS: dict[str, Collector] = {}


def register(source: str) -> Callable[[Collector], Collector]:
    """Register the collector of ``source`` (a ``Source`` code); registering twice replaces."""
    if source not in Source.values or source == Source.MANUAL:
        raise ValueError(f"unknown points source {source!r}")

    def decorate(fn: Collector) -> Collector:
        _COLLECTORS[source] = fn
        return fn

    return decorate


def collectors() -> dict[str, Collector]:
    return dict(sorted(_COLLECTORS.items()))


def _window(field: str, since, until) -> dict:
    lookup = {f"{field}__lte": until}
    if since is not None:
        lookup[f"{field}__gt"] = since
    return lookup


def _local(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


# --- the built-in collectors ------------------------------------------------------------------


@register(Source.ORGLIFE_ATTENDANCE)
def orglife_attendance(since, until) -> Iterator[SourceEvent]:
    """Members present at a session that was held."""
    from dangjian.orglife.models import Attendance, AttendanceStatus, SessionState

    rows = (
        Attendance.objects.filter(
            status=AttendanceStatus.PRESENT,
            session__state=SessionState.HELD,
            member__user_id__isnull=False,
            **_window("updated_at", since, until),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "member__user_id",
            "member_name",
            "member__user__area_path",
            "member__org_path",
            "session__starts_at",
        )
    )
    for pk, user_id, name, area_path, org_path, starts in rows.iterator(chunk_size=5000):
        yield SourceEvent(
            Source.ORGLIFE_ATTENDANCE, str(pk), user_id, name, area_path, org_path, _local(starts)
        )


@register(Source.CASES_SOLVED)
def cases_solved(since, until) -> Iterator[SourceEvent]:
    """Events a resident or member reported (not anonymously) that were closed as solved."""
    from dangjian.cases.models import Event, Resolution
    from dangjian.cases.models import Source as EventSource

    rows = (
        Event.objects.filter(
            resolution=Resolution.SOLVED,
            reporter__isnull=False,
            anonymous=False,
            source__in=(EventSource.RESIDENT, EventSource.MEMBER),
            closed_at__isnull=False,
            **_window("closed_at", since, until),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "reporter_id",
            "reporter__real_name",
            "reporter__area_path",
            "reporter__member_file__org_path",
            "closed_at",
        )
    )
    for pk, user_id, name, area_path, org_path, closed in rows.iterator(chunk_size=5000):
        yield SourceEvent(
            Source.CASES_SOLVED, str(pk), user_id, name, area_path, org_path or "", _local(closed)
        )


@register(Source.DUES_ON_TIME)
def dues_on_time(since, until) -> Iterator[SourceEvent]:
    """Each month of dues paid no later than that month (not reversed)."""
    from dangjian.dues.models import DuesPaymentMonth

    rows = (
        DuesPaymentMonth.objects.filter(
            reversed=False,
            member__user_id__isnull=False,
            **_window("payment__created_at", since, until),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "member__user_id",
            "member__name",
            "member__user__area_path",
            "member__org_path",
            "month",
            "payment__paid_on",
        )
    )
    for pk, user_id, name, area_path, org_path, month, paid_on in rows.iterator(chunk_size=5000):
        if (paid_on.year, paid_on.month) <= (month.year, month.month):
            yield SourceEvent(
                Source.DUES_ON_TIME, str(pk), user_id, name, area_path, org_path, paid_on
            )


@register(Source.CASES_VISIT)
def cases_visit(since, until) -> Iterator[SourceEvent]:
    """Household visits, to the one who went."""
    from dangjian.cases.models import VisitRecord

    rows = (
        VisitRecord.objects.filter(visitor__isnull=False, **_window("created_at", since, until))
        .order_by("pk")
        .values_list(
            "pk",
            "visitor_id",
            "visitor__real_name",
            "visitor__area_path",
            "visitor__member_file__org_path",
            "visited_on",
        )
    )
    for pk, user_id, name, area_path, org_path, visited in rows.iterator(chunk_size=5000):
        yield SourceEvent(
            Source.CASES_VISIT, str(pk), user_id, name, area_path, org_path or "", visited
        )


@register(Source.TIMEBANK_HOURS)
def timebank_hours(since, until) -> Iterator[SourceEvent]:
    """Volunteer hours confirmed by the resident served: points per hour. Keyed on the
    participation: a later correction of its hours, read again on a replay, never counts twice
    (the award keeps the points it was posted with)."""
    from dangjian.accounts.models import User
    from dangjian.timebank.selectors import confirmed_participations

    rows = [r for r in confirmed_participations(since=since, until=until) if r["user_id"]]
    names = dict(
        User.objects.filter(pk__in={r["user_id"] for r in rows}).values_list("pk", "real_name")
    )
    for r in rows:
        yield SourceEvent(
            Source.TIMEBANK_HOURS,
            str(r["participation_id"]),
            r["user_id"],
            names.get(r["user_id"], ""),
            r["area_path"],
            r["org_path"],
            _local(r["confirmed_at"]),
            quantity=Decimal(r["hours"]),
        )
