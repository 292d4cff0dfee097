"""The rules over dues and grid events, on both sides of their thresholds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.cases.models import Event
from dangjian.dues import calc
from dangjian.dues.models import DuesPaymentMonth
from tests.assessment.helpers import found, healthy
from tests.dues.helpers import dues_member, pay

pytestmark = pytest.mark.django_db


def _months_back(n: int) -> dt.date:
    return calc.add_months(calc.month_of(timezone.localdate()), -n)


def test_dues_arrears_share_above_the_threshold(world):
    org = world.orgs["grid_branch"]
    healthy(org)
    start = _months_back(4)
    members = [dues_member(world, month=start.strftime("%Y-%m"), name=f"缴费{i}") for i in range(5)]
    paid_months = [calc.add_months(start, k).strftime("%Y-%m") for k in range(4)]
    for m in members[1:]:
        pay(world, m, paid_months)
    today = timezone.localdate()
    # 1 of 5 behind: 20%, not above 20%.
    assert not found(today.year, today, org, "dues_arrears")
    DuesPaymentMonth.objects.filter(member=members[1]).update(reversed=True)
    rows = found(today.year, today, org, "dues_arrears")
    assert len(rows) == 1
    assert rows[0].evidence == {"payers": 5, "behind": 2, "months": 3}
    assert rows[0].figure == "40.0%"


def _events(world, area, n, *, rating="", source="resident", when=None):
    when = when or timezone.make_aware(dt.datetime(2026, 3, 1, 10))
    grid = area if area.level >= 5 else world.nodes["grid"]
    Event.objects.bulk_create(
        Event(
            description="测试事件",
            area=area,
            area_path=area.path,
            grid=grid,
            dispatch_area=world.nodes["street"],
            dispatch_area_path=world.nodes["street"].path,
            source=source,
            rating=rating,
            reported_at=when,
        )
        for _ in range(n)
    )


def test_satisfaction_below_sixty_percent(world):
    org = world.orgs["grid_branch"]
    grid = world.nodes["grid"]
    _events(world, grid, 3, rating="satisfied")
    _events(world, grid, 2, rating="dissatisfied")
    # 3 of 5: 60%, not below.
    assert not found(2026, dt.date(2026, 6, 1), org, "low_satisfaction")
    _events(world, grid, 1, rating="dissatisfied")
    rows = found(2026, dt.date(2026, 6, 1), org, "low_satisfaction")
    assert len(rows) == 1 and rows[0].evidence == {"rated": 6, "satisfied": 3}
    # Patrol finds are not rated by a reporter: they do not count.
    _events(world, grid, 10, rating="satisfied", source="patrol")
    assert found(2026, dt.date(2026, 6, 1), org, "low_satisfaction")


def test_too_few_ratings_are_not_judged(world):
    org = world.orgs["grid_branch"]
    _events(world, world.nodes["grid"], 4, rating="dissatisfied")
    assert not found(2026, dt.date(2026, 6, 1), org, "low_satisfaction")


def test_events_concentrated_above_a_share_of_the_county(world):
    org = world.orgs["village_committee"]
    village = world.nodes["village"]
    _events(world, world.nodes["grid"], 18)
    _events(world, village, 2)
    # 2 of 20: 10%, not above.
    assert not found(2026, dt.date(2026, 6, 1), org, "events_concentrated")
    _events(world, village, 1)
    rows = found(2026, dt.date(2026, 6, 1), org, "events_concentrated")
    assert len(rows) == 1 and rows[0].evidence == {"events": 3, "county_events": 21}
    # The village's branch shares the area: only the organization serving it is judged.
    assert not found(2026, dt.date(2026, 6, 1), world.orgs["village_branch"], "events_concentrated")


def test_events_of_other_years_do_not_count(world):
    org = world.orgs["village_committee"]
    _events(world, world.nodes["grid"], 18)
    _events(world, world.nodes["village"], 5, when=timezone.make_aware(dt.datetime(2025, 3, 1)))
    assert not found(2026, dt.date(2026, 6, 1), org, "events_concentrated")
