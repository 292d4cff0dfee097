"""core.months: the one month arithmetic (dues months, probation and term ends, age bands, the
retention window, the roll-ups' YYYYMM keys)."""

from __future__ import annotations

import calendar
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from dangjian.core import months

days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
shifts = st.integers(min_value=-600, max_value=600)
keys = st.builds(lambda d: months.month_key(d), days)


def _last_day(day: dt.date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


@given(days, shifts)
def test_add_months_lands_n_months_on_with_the_day_clamped(day, n):
    moved = months.add_months(day, n)
    assert months.months_between(day, moved) == n
    assert moved.day == min(day.day, _last_day(moved))


@given(days, shifts, shifts)
def test_add_months_composes_on_firsts_of_months(day, a, b):
    first = months.first_of(day)
    assert months.add_months(months.add_months(first, a), b) == months.add_months(first, a + b)
    assert months.add_months(first, a).day == 1


@given(days, shifts)
def test_add_months_round_trips_when_the_day_exists(day, n):
    moved = months.add_months(day, n)
    if moved.day == day.day:
        assert months.add_months(moved, -n) == day


@given(days, st.integers(min_value=-150, max_value=150))
def test_add_years_is_twelve_months(day, n):
    moved = months.add_years(day, n)
    assert moved == months.add_months(day, 12 * n)
    assert (moved.year, moved.month) == (day.year + n, day.month)


def test_month_ends_clamp():
    assert months.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert months.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert months.add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert months.add_months(dt.date(2026, 8, 31), 3) == dt.date(2026, 11, 30)
    assert months.add_years(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)
    assert months.add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)
    assert months.add_months(dt.date(2027, 1, 15), -1) == dt.date(2026, 12, 15)


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)), shifts)
def test_add_months_keeps_a_datetimes_time_and_zone(moment, n):
    aware = moment.replace(tzinfo=dt.UTC)
    moved = months.add_months(aware, n)
    assert isinstance(moved, dt.datetime)
    assert (moved.time(), moved.tzinfo) == (aware.time(), aware.tzinfo)
    assert moved.date() == months.add_months(aware.date(), n)


@given(days)
def test_first_of_and_next_month_bound_the_month(day):
    start, end = months.first_of(day), months.next_month(day)
    assert start.day == end.day == 1
    assert start <= day < end
    assert months.months_between(start, end) == 1
    assert (end - start).days == _last_day(day)


@given(days, days)
def test_months_between_ignores_the_days(a, b):
    n = months.months_between(a, b)
    assert n == -months.months_between(b, a)
    assert months.add_months(months.first_of(a), n) == months.first_of(b)


@given(keys, shifts)
def test_month_keys_move_as_their_first_days(key, n):
    start = months.key_start(key)
    assert months.month_key(start) == key
    assert months.add_months_key(key, n) == months.month_key(months.add_months(start, n))


def test_month_keys():
    assert months.month_key(dt.date(2026, 11, 5)) == 202611
    assert months.key_start(202611) == dt.date(2026, 11, 1)
    assert months.add_months_key(202611, 2) == 202701
    assert months.add_months_key(202601, -1) == 202512


def test_quarter_of():
    assert [months.quarter_of(m) for m in range(1, 13)] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]


@given(days, st.integers(min_value=0, max_value=120))
def test_month_firsts_are_the_first_days_moved_month_by_month(day, count):
    firsts = months.month_firsts(day, count)
    assert firsts == [months.add_months(months.first_of(day), i) for i in range(count)]
