"""Urgent: same day (issue 12). The seeded 突发事件 class has a same-day limit (0 working days,
migration 0008): it ends at the close of office hours (18:00) of the dispatch day, or of the
next working day when dispatched after the close or on a day off. The 2025 holiday table:
10-01 … 10-08 off, the Sunday 09-28 a make-up working day."""

from __future__ import annotations

import importlib

import pytest
import time_machine
from django.apps import apps

from dangjian.cases import sla
from dangjian.cases.models import EventClass
from tests.cases.helpers import at, report

pytestmark = pytest.mark.django_db

FIRE = "五楼阳台着火了，一直在冒烟"


@pytest.mark.parametrize(
    ("dispatched", "deadline"),
    [
        # A workday (Tuesday) at 10:00: that day's close.
        (at(2025, 6, 10, 10, 0), at(2025, 6, 10, 18, 0)),
        # The same workday at 18:30, after the close: the next working day's.
        (at(2025, 6, 10, 18, 30), at(2025, 6, 11, 18, 0)),
        # Exactly at the close: not a moment already past, the next working day's.
        (at(2025, 6, 10, 18, 0), at(2025, 6, 11, 18, 0)),
        # A Saturday: Monday's close.
        (at(2025, 6, 14, 10, 0), at(2025, 6, 16, 18, 0)),
        # The day before the National Day holiday: that day's close, or after the close the
        # first working day after the holiday.
        (at(2025, 9, 30, 10, 0), at(2025, 9, 30, 18, 0)),
        (at(2025, 9, 30, 18, 30), at(2025, 10, 9, 18, 0)),
        # The make-up Sunday is a working day.
        (at(2025, 9, 28, 10, 0), at(2025, 9, 28, 18, 0)),
    ],
)
def test_an_emergency_dispatched_ends_the_same_working_day(world, actors, dispatched, deadline):
    with time_machine.travel(dispatched, tick=False):
        ev = report(world.resident, FIRE)
        assert ev.event_class.code == "emergency"
        ev = actors.drive(ev, "dispatched")
    assert (ev.limit_value, ev.limit_unit) == (0, "workdays")
    assert ev.deadline == deadline
    assert sla.limit_text(ev.limit_value, ev.limit_unit) == "当日办结"


def test_the_seeded_class_is_same_day_and_a_deployments_own_limit_is_kept(world, api):
    klass = EventClass.objects.get(code="emergency")
    assert (klass.name, klass.limit_value, klass.limit_unit) == ("突发事件", 0, "workdays")
    r = api.get(world.resident, "/api/v1/cases/classes")
    emergency = next(c for c in r.json() if c["code"] == "emergency")
    assert emergency["limit_label"] == "当日办结"
    migration = importlib.import_module("dangjian.cases.migrations.0008_emergency_same_day")
    # Back to the seed's 2 working hours and forward again.
    migration.two_hours(apps, None)
    klass.refresh_from_db()
    assert (klass.limit_value, klass.limit_unit) == (2, "workhours")
    migration.same_day(apps, None)
    klass.refresh_from_db()
    assert (klass.limit_value, klass.limit_unit) == (0, "workdays")
    # A limit the deployment set itself is not the seed's: left alone.
    EventClass.objects.filter(pk=klass.pk).update(limit_value=4, limit_unit="workhours")
    migration.same_day(apps, None)
    klass.refresh_from_db()
    assert (klass.limit_value, klass.limit_unit) == (4, "workhours")
