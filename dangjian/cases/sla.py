"""Time limits (处置时限): deadlines, the chase moment and the clock's status.

Deadlines go through ``core.workdays``: a limit of N working days ends at the close of office
hours of ``add_workdays(dispatch date, N)`` (``workday_deadline``); a limit in working hours
counts office hours on working days only (``add_workhours``). The chase (催办) window is the
last share of the office time between the dispatch and the deadline (a setting, default a
quarter).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dangjian.cases.models import (
    DONE_STATES,
    RUNNING_STATES,
    STOPPED_STATES,
    LimitUnit,
    SlaStatus,
)
from dangjian.core import conf, workdays

DEFAULTS = {
    # The last share of the office time before the deadline in which the event is chased.
    "CASES_CHASE_SHARE": 0.25,
    # Duplicates: token Jaccard similarity at least this, within this many hours.
    "CASES_DUPLICATE_SIMILARITY": 0.5,
    "CASES_DUPLICATE_WINDOW_HOURS": 72,
    # The same reporter's same report (a repeated submission): similarity at least this.
    "CASES_REPEAT_SIMILARITY": 0.8,
    # The governance level that dispatches (3: township/street, "街乡派单").
    "CASES_DISPATCH_LEVEL": 3,
    # How many extensions an event may get.
    "CASES_MAX_EXTENSIONS": 2,
    # Bounds of one extension.
    "CASES_MAX_EXTENSION_DAYS": 30,
    "CASES_MAX_EXTENSION_HOURS": 240,
}


def setting(key: str):
    """``settings.DANGJIAN[key]``, else this module's default."""
    return conf.setting(key, DEFAULTS[key])


def deadline_for(start: dt.datetime, value: int, unit: str) -> dt.datetime:
    """The deadline of a limit of ``value`` ``unit`` starting at ``start``."""
    if unit == LimitUnit.WORKHOURS:
        return workdays.add_workhours(start, value)
    return workdays.workday_deadline(start, value)


def extended(deadline: dt.datetime, value: int, unit: str) -> dt.datetime:
    """``deadline`` moved by an extension of ``value`` ``unit``."""
    if unit == LimitUnit.WORKHOURS:
        return workdays.add_workhours(deadline, value)
    return workdays.workday_deadline(deadline, value)


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=workdays.OFFICE_TZ)
    return value.astimezone(workdays.OFFICE_TZ)


def _periods() -> list[tuple[dt.time, dt.time]]:
    periods = conf.setting("OFFICE_HOURS", workdays.DEFAULT_OFFICE_HOURS)
    return [(dt.time(*start), dt.time(*end)) for start, end in periods]


def office_time_between(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Office time on working days between two moments."""
    a = _local(start).replace(tzinfo=None)
    b = _local(end).replace(tzinfo=None)
    total = dt.timedelta()
    if b <= a:
        return total
    periods = _periods()
    day = a.date()
    while day <= b.date():
        if workdays.is_workday(day):
            for p_start, p_end in periods:
                lo = max(a, dt.datetime.combine(day, p_start))
                hi = min(b, dt.datetime.combine(day, p_end))
                if hi > lo:
                    total += hi - lo
        day += dt.timedelta(days=1)
    return total


def chase_moment(start: dt.datetime, deadline: dt.datetime) -> dt.datetime:
    """When the chase window opens: the last ``CASES_CHASE_SHARE`` of the office time."""
    office = office_time_between(start, deadline)
    if office <= dt.timedelta():
        return deadline
    share = Decimal(str(1 - float(setting("CASES_CHASE_SHARE"))))
    hours = Decimal(office.total_seconds()) / Decimal(3600) * share
    return min(workdays.add_workhours(start, hours.quantize(Decimal("0.0001"))), deadline)


def status(event, now: dt.datetime) -> str:
    """The clock's status of ``event`` at ``now``."""
    return status_of(event.state, event.deadline, event.chase_at, event.on_time, now)


def status_of(state, deadline, chase_at, on_time, now: dt.datetime) -> str:
    """``status`` of an event's columns (a list read as tuples)."""
    if state in RUNNING_STATES and deadline is not None:
        if now > deadline:
            return SlaStatus.OVERDUE
        if chase_at is not None and now >= chase_at:
            return SlaStatus.CHASE
        return SlaStatus.NORMAL
    if state in STOPPED_STATES:
        return SlaStatus.STOPPED
    if state in DONE_STATES:
        return SlaStatus.MET if on_time else SlaStatus.LATE
    return SlaStatus.NOT_STARTED


def limit_text(value: int | None, unit: str) -> str:
    if value is None or not unit:
        return ""
    if unit == LimitUnit.WORKHOURS:
        return f"{value}个工作小时"
    if value == 0:
        return "当日办结"
    return f"{value}个工作日"
