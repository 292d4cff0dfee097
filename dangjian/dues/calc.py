"""Dues months and the computed assessments: pure functions over plain values.

A month is the ``date`` of its first day, taken and moved by ``core.months`` (its ``first_of``
as ``month_of``, ``add_months`` and ``months_between`` here, the dues modules' spelling). The
amount owed for a month comes from the base record in force (the latest whose effective month
is not after it) unless an approved hardship decision covers it (waiver: nothing; reduction:
its amount).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from dangjian.core.months import add_months as add_months
from dangjian.core.months import first_of as month_of
from dangjian.core.months import month_firsts
from dangjian.core.months import months_between as months_between

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
ZERO = Decimal("0.00")


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The months from ``first`` to ``last`` inclusive (empty when ``last`` is before)."""
    return month_firsts(first, months_between(first, last) + 1)


def month_text(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def parse_month(value, field: str, label: str = "月份") -> dt.date:
    """``"2026-11"`` (or a date) → the first of that month; a Chinese error naming the field."""
    if isinstance(value, dt.datetime):
        return month_of(value.date())
    if isinstance(value, dt.date):
        return month_of(value)
    m = _MONTH_RE.match(str(value).strip()) if isinstance(value, str) else None
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if 1900 <= year <= 2999 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    raise ValidationError({field: [f"{label}（{field}）格式应为YYYY-MM，如“2026-01”"]})


@dataclass(frozen=True)
class BaseRow:
    effective_month: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Relief:
    from_month: dt.date
    to_month: dt.date
    amount: Decimal  # what is owed per month while it applies (0 for a waiver)


def amount_for(month: dt.date, bases: Sequence[BaseRow], reliefs: Iterable[Relief]) -> Decimal:
    """What is owed for ``month``; bases sorted by effective month. None in force → 0."""
    owed = None
    for b in bases:
        if b.effective_month <= month:
            owed = b.amount
        else:
            break
    if owed is None:
        return ZERO
    for r in reliefs:
        if r.from_month <= month <= r.to_month:
            return min(owed, r.amount)
    return owed


def unpaid_months(
    dues_from: dt.date,
    until: dt.date,
    bases: Sequence[BaseRow],
    reliefs: Sequence[Relief],
    paid: set[dt.date],
) -> list[dt.date]:
    """Months from ``dues_from`` to ``until`` (inclusive) that owe something and are unpaid."""
    return [
        m
        for m in month_range(dues_from, until)
        if m not in paid and amount_for(m, bases, reliefs) > 0
    ]


def runs(months: Sequence[dt.date]) -> list[list[dt.date]]:
    """Sorted months grouped into runs of consecutive months."""
    out: list[list[dt.date]] = []
    for m in sorted(months):
        if out and months_between(out[-1][-1], m) == 1:
            out[-1].append(m)
        else:
            out.append([m])
    return out


def longest_run(months: Sequence[dt.date]) -> list[dt.date]:
    best: list[dt.date] = []
    for run in runs(months):
        if len(run) > len(best):
            best = run
    return best
