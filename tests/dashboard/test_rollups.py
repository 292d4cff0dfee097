"""Roll-ups equal a recomputation from raw data, and an independent node-by-node count,
after random sequences of operations across modules (through the services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core.months import month_key
from dangjian.dashboard.models import Rollup
from dangjian.dashboard.rollups import engine
from dangjian.members import services as member_services
from dangjian.organizations.models import OrgKind
from dangjian.territory.models import AreaKind
from dangjian.timebank import services as timebank_services
from dangjian.timebank.models import Participation
from tests import world as world_mod
from tests.cases import helpers as case_helpers
from tests.dashboard.helpers import live
from tests.dues import helpers as dues_helpers
from tests.members.helpers import member as make_member
from tests.timebank import helpers as timebank_helpers

pytestmark = pytest.mark.django_db

ORGS = ("grid_branch", "unit_group", "village_branch", "street_wc", "community_committee")
# (where, state): the resident reports at home (the unit) and rates; the street reports anywhere
EVENTS = (
    ("unit", "evaluated"),
    ("unit", "opened"),
    ("grid", "closed"),
    ("grid2", "dispatched"),
    ("grid", "opened"),
)
NODES = ("city", "county", "county2", "street", "street2", "community", "grid", "grid2", "village")


def _stored(area) -> dict:
    return Rollup.objects.get(area=area, month=month_key(timezone.localdate())).values


def _check(world):
    engine.refresh(months=1)
    assert engine.recompute(engine.window(1), check=True) == []
    for name in NODES:
        area = world.nodes[name]
        stored = _stored(area)
        for code, value in live(area).items():
            assert stored[code] == value, (name, code)


@pytest.fixture
def env(world, settings):
    # the same resident's reports are not refused as repeats here
    settings.DANGJIAN = {**getattr(settings, "DANGJIAN", {}), "CASES_DUPLICATE_WINDOW_HOURS": 0}
    case_helpers.ensure_taxonomy()
    depts = case_helpers.departments(world)
    dept_users = {
        d.pk: case_helpers.department_user(f"t-dept-{i}", d) for i, d in enumerate(depts.values())
    }
    return world, case_helpers.Actors(world, dept_users)


OPS = st.one_of(
    st.tuples(st.just("member"), st.sampled_from(ORGS), st.sampled_from(("full", "probationary"))),
    st.tuples(st.just("event"), st.sampled_from(EVENTS), st.just(None)),
    st.tuples(st.just("checkin"), st.integers(1, 8), st.just(None)),
    st.tuples(st.just("dues"), st.integers(1, 3), st.just(None)),
    st.tuples(st.just("grid"), st.booleans(), st.just(None)),
    st.tuples(st.just("leave"), st.integers(0, 50), st.just(None)),
    st.tuples(st.just("volunteer"), st.integers(1, 4), st.booleans()),
)


def _volunteer(world, *, hours: int, corrected: bool):
    """A time-bank order served for ``hours`` and confirmed (its hours credited through the
    ledger), perhaps corrected afterwards (reversed and posted again)."""
    n = Participation.objects.count()
    a = timebank_helpers.helper(world, f"志愿者{n}")
    o = timebank_helpers.dispatched(world)
    timebank_helpers.move(a, o, "accept")
    start = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        timebank_helpers.move(a, o, "check_in")
    with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
        timebank_helpers.move(a, o, "check_out")
        timebank_helpers.move(world.users["resident"], o, "confirm", rating=5)
    if corrected:
        timebank_services.participation_correct(
            actor=world.users["community"],
            participation=Participation.objects.get(order=o),
            hours="0.50",
            reason="签退延迟",
        )


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=1, max_size=6))
def test_rollups_equal_recomputation_after_random_operations(env, ops):
    world, actors = env
    admin = world.users["admin"]
    today = timezone.localdate()
    for op, a, b in ops:
        if op == "member":
            extra = {"confirmed_on": None, "joined_on": today} if b == "probationary" else {}
            make_member(admin, world.orgs[a], status=b, categories=["in_service"], **extra)
        elif op == "event":
            where, state = a
            if where == "unit":
                event = case_helpers.report(world.users["resident"])
            else:
                reporter = world.users["street"]
                event = case_helpers.report(reporter, area=world.nodes[where])
            actors.drive(event, state)
        elif op == "checkin":
            m = make_member(admin, world.orgs["grid_branch"], categories=["in_service"])
            c = member_services.member_checkin(
                actor=world.users["street"], member=m, community=world.community
            )
            member_services.checkin_service_record(
                actor=world.users["street"], checkin=c, content="清理楼道", hours=Decimal(a)
            )
        elif op == "dues":
            m = dues_helpers.dues_member(world, month=today.replace(day=1))
            dues_helpers.pay(world, m, [today.replace(day=1)])
        elif op == "grid":
            n = world.nodes["community"]
            grid = world_mod.area(n, f"新网格{Rollup.objects.count()}", AreaKind.GRID)
            if a:
                world_mod.org(
                    world.orgs["community_committee"], f"{grid.name}支部", OrgKind.BRANCH, grid
                )
        elif op == "volunteer":
            _volunteer(world, hours=a, corrected=b)
        elif op == "leave":
            from dangjian.members.models import Member

            ids = list(Member.objects.filter(left_on__isnull=True).values_list("pk", flat=True))
            if ids:
                Member.objects.filter(pk=ids[a % len(ids)]).update(
                    left_on=today - dt.timedelta(days=1)
                )
    _check(world)


def test_recompute_reports_a_stale_rollup(world):
    engine.refresh(months=1)
    make_member(world.users["admin"], world.orgs["grid_branch"])
    diffs = engine.recompute(engine.window(1), check=True)
    codes = {(d.area_id, d.code) for d in diffs}
    assert (world.grid.pk, "members") in codes and (world.city.pk, "members") in codes
    assert engine.recompute(engine.window(1)) == diffs  # the rebuild reports what it fixed
    assert engine.recompute(engine.window(1), check=True) == []
    assert _stored(world.city)["members"] == 1


def test_past_month_keeps_its_snapshot_figures(world):
    engine.refresh(months=2)
    last = engine.window(2)[0]
    row = Rollup.objects.get(area=world.city, month=last)
    assert "arrears_members" not in row.values
    row.values["arrears_members"] = 4
    row.save()
    assert engine.recompute([last], check=True) == []


def test_units_are_not_stored_and_every_other_area_is(world):
    engine.refresh(months=1)
    stored = set(Rollup.objects.values_list("area__kind", flat=True))
    assert AreaKind.UNIT not in stored
    assert {AreaKind.CITY, AreaKind.GRID, AreaKind.VILLAGE} <= stored
