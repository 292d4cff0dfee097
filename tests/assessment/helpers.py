"""Builders for the assessment tests."""

from __future__ import annotations

import datetime as dt

from dangjian.assessment import rules
from dangjian.assessment.services import weak
from tests.orglife.helpers import people, seat_committee


def found(year: int, today: dt.date, org=None, rule: str | None = None) -> list:
    _, rows = rules.findings(year=year, today=today)
    return [
        f
        for f in rows
        if (org is None or f.org_id == org.pk) and (rule is None or str(f.rule) == rule)
    ]


def healthy(org, n: int = 3, *, term_start=dt.date(2025, 1, 1)):
    """``n`` full members and a committee with a serving secretary (and the rest as members)."""
    members = people(org, n)
    c = seat_committee(org, members[: min(n, 3)], term_start=term_start)
    return members, c


def bottom_list(world, year: int = 2026, today: dt.date = dt.date(2026, 12, 7)):
    """Flags and the rankings of ``year``: with no committee recorded anywhere, every assessed
    organization has one flag; the community committee has two (its secretary's post and no
    members' meeting … ) so it is at the bottom of the first county."""
    weak.flags_recompute(year=year, today=today)
    weak.rankings_recompute(year=year, today=today)
