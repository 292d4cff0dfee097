"""The scheduled refresh keeps every month of the year as fresh as its raw data: a change made
through the services to an earlier month's rows (an event reported in one month and closed in a
later one, a dues payment dated back) is recomputed by the next refresh, from the audit trail's
seals (``dashboard.rollups.stale``); a refresh with nothing changed recomputes the current month
alone."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine

from dangjian.dashboard.models import RefreshMark, Rollup
from dangjian.dashboard.rollups import engine, registry, stale
from dangjian.dashboard.tasks import rollups_refresh_task
from dangjian.points import services as points
from tests.cases import helpers as case_helpers
from tests.dues import helpers as dues_helpers
from tests.points import helpers as ph

pytestmark = pytest.mark.django_db
OFFICE = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def env(world, settings):
    settings.DANGJIAN = {**getattr(settings, "DANGJIAN", {}), "CASES_DUPLICATE_WINDOW_HOURS": 0}
    case_helpers.ensure_taxonomy()
    depts = case_helpers.departments(world)
    dept_users = {
        d.pk: case_helpers.department_user(f"t-dept-{i}", d) for i, d in enumerate(depts.values())
    }
    return world, case_helpers.Actors(world, dept_users)


def _month_day(months_back: int, day: int = 10) -> dt.datetime:
    month = engine.window(months_back + 1)[0]
    return dt.datetime(month // 100, month % 100, day, 10, 0, tzinfo=OFFICE)


def _computed_at(month: int) -> set:
    return set(Rollup.objects.filter(month=month).values_list("computed_at", flat=True))


def _scheduled() -> int:
    """One run of the task as the scheduler runs it (``--enqueue --every 5 --months 1``)."""
    return rollups_refresh_task.call(months=1)["months"]


@pytest.fixture
def rolled(env):
    """An event reported and opened two months ago, still open; the last three months stored
    as each was computed, and the refresh's mark started."""
    world, actors = env
    with time_machine.travel(_month_day(2), tick=False):
        event = case_helpers.report(world.users["street"], area=world.nodes["grid"])
        event = actors.drive(event, "opened")
    engine.recompute(engine.window(3))
    assert _scheduled() == 1  # the first run starts the mark: nothing known before it
    assert RefreshMark.objects.get(pk=1).seq > 0
    return world, actors, event


def test_an_earlier_months_event_closed_now_is_refreshed(rolled):
    world, actors, event = rolled
    march = engine.window(3)[0]
    before = Rollup.objects.get(area=world.city, month=march).values
    assert before["events_opened"] == 1 and before["events_closed"] == 0
    other = engine.window(3)[1]
    untouched = _computed_at(other)
    done = case_helpers.path_to("opened")
    for action in case_helpers.path_to("closed")[len(done) :]:
        event = actors.do(event, action)  # now, two months later, through the services
    assert event.state == "closed"
    stale_rows = engine.recompute([march], check=True)
    assert {(d.area_id, d.code) for d in stale_rows} >= {(world.city.pk, "events_closed")}

    assert _scheduled() == 2  # the current month and the event's month
    assert engine.recompute(engine.window(3), check=True) == []
    after = Rollup.objects.get(area=world.city, month=march).values
    assert after["events_closed"] == 1 and after["events_opened"] == 1
    assert _computed_at(other) == untouched  # a month nothing moved in is left alone

    # A second refresh finds nothing new: the current month alone, the earlier one untouched.
    kept = _computed_at(march)
    assert _scheduled() == 1
    assert _computed_at(march) == kept


def test_a_dues_payment_dated_back_refreshes_its_month(rolled):
    world, _actors, _event = rolled
    paid = _month_day(1, day=15).date()
    m = dues_helpers.dues_member(world, month=paid.replace(day=1))
    dues_helpers.pay(world, m, [paid.replace(day=1)], paid_on=paid)
    month = engine.month_key(paid)
    assert engine.recompute([month], check=True) != []
    # a new member moves the members figures of every month (counted with their present
    # status): the whole window is recomputed for those sources
    assert _scheduled() == stale.WINDOW
    assert engine.recompute(engine.window(stale.WINDOW), check=True) == []
    assert Rollup.objects.get(area=world.city, month=month).values["dues_payers"] == 1


def test_points_awarded_for_an_earlier_day_refresh_only_the_points(rolled):
    """A change recomputes the sources it moves: the month's other figures are kept as they
    were stored (here an events figure deliberately made wrong stays wrong)."""
    world, _actors, _event = rolled
    day = _month_day(1, day=20).date()
    month = engine.month_key(day)
    row = Rollup.objects.get(area=world.city, month=month)
    row.values["events_reported"] = 99
    row.save(update_fields=["values"])
    scheme = ph.resident_scheme(world)
    here = ph.resident(world, "李四")
    ph.credit(world, scheme, here, points="30", ref="now")
    award = points.award_submit(
        actor=here,
        rule_id=ph.rule(world, scheme, name="院落", points="5").pk,
        data={"evidence": "院落整洁", "occurred_on": day},
    )
    assert award.occurred_on == day
    points.award_transition(
        actor=world.users["community"], award_id=award.pk, action="approve", note=""
    )
    points.award_transition(
        actor=world.users["community"], award_id=award.pk, action="score", note=""
    )
    assert _scheduled() == 2
    values = Rollup.objects.get(area=world.city, month=month).values
    assert values["points_awards"] == 1 and values["points_awarded"] == "5.00"
    assert values["events_reported"] == 99
    diffs = engine.recompute([month], check=True)
    assert {d.code for d in diffs} == {"events_reported"}


def test_reads_are_not_changes(rolled, client):
    world, _actors, _event = rolled
    client.force_login(world.users["street"])
    assert client.post("/cases/", {"export": "xlsx"}).status_code == 200
    assert stale.pending(engine.window(stale.WINDOW)).months == {}


def test_every_source_is_watched_and_every_watch_names_sources():
    """A source whose rows no watch names would never be refreshed in an earlier month; the
    member warnings are a snapshot of today (the current month only)."""
    names = {name for name, _source, _codes in registry.SOURCES}
    watched = {s for w in stale.WATCHES for s in w.sources if w.sources != stale.EVERY}
    assert watched <= names
    assert names - watched == {"orgs", "warnings"}  # the trees' watches name every source
    assert {w.prefix for w in stale.WATCHES if w.sources == stale.EVERY} == {
        "organizations.",
        "territory.",
    }


def test_a_whole_rebuild_moves_the_mark(world):
    from django.core.management import call_command

    call_command("dashboard_recompute", "--months", "12", stdout=io.StringIO())
    mark = RefreshMark.objects.get(pk=1)
    assert mark.seq == stale.last_seq()
    assert _scheduled() == 1
