"""Calendar-month arithmetic, the one place: a day moved by whole months or years (a probation
period, a term of office, an age band, a retention window), the first day of a month and of the
next (a period's bounds), and months as ``YYYYMM`` integers (the roll-ups' and the sessions'
month keys).

The day of a moved date is clamped to the last day of the month it lands in: 31 January plus one
month is 28 (or 29) February, 29 February plus a year is 28 February — a period counted in
months ends on the month's last day and never spills into the next month. A first of the month
stays a first of the month, so months kept as their first day (dues months, periods) move by the
same function. Datetimes move too (time and time zone kept)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TypeVar

D = TypeVar("D", bound=dt.date)


def _shift(year: int, month: int, n: int) -> tuple[int, int]:
    """The (year, month) ``n`` months after (``year``, ``month``)."""
    year, month0 = divmod(year * 12 + month - 1 + n, 12)
    return year, month0 + 1


def add_months(day: D, n: int) -> D:
    """``day`` moved ``n`` calendar months (back when negative), the day clamped to the month's
    last day when it does not exist there."""
    year, month = _shift(day.year, day.month, n)
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def month_firsts(first: dt.date, count: int) -> list[dt.date]:
    """The first days of ``count`` months from ``first``'s month on: ``add_months`` of the
    month's first day by 0, 1, … (no day to clamp), for the callers that walk many months."""
    start = first.year * 12 + first.month - 1
    return [dt.date(k // 12, k % 12 + 1, 1) for k in range(start, start + count)]


def add_years(day: D, n: int) -> D:
    """``day`` moved ``n`` years (29 February to 28 February in a common year)."""
    return add_months(day, 12 * n)


def first_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s month (a date, also for a datetime)."""
    return dt.date(day.year, day.month, 1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s: the end (exclusive) of ``day``'s month."""
    return add_months(first_of(day), 1)


def quarter_of(month: int) -> int:
    """The quarter (1 to 4) of the month numbered ``month`` (1 to 12)."""
    return (month - 1) // 3 + 1


def months_between(a: dt.date, b: dt.date) -> int:
    """How many months ``b``'s month is after ``a``'s (negative: before); the days do not
    count."""
    return (b.year - a.year) * 12 + b.month - a.month


# --- months as YYYYMM integers -------------------------------------------------------------------


def month_key(day: dt.date) -> int:
    """``day``'s month as ``YYYYMM`` (2026-11-05 → 202611)."""
    return day.year * 100 + day.month


def key_start(key: int) -> dt.date:
    """The first day of the ``YYYYMM`` month."""
    return dt.date(key // 100, key % 100, 1)


def add_months_key(key: int, n: int) -> int:
    """The ``YYYYMM`` month ``n`` months after ``key`` (before when negative)."""
    year, month = _shift(key // 100, key % 100, n)
    return year * 100 + month
