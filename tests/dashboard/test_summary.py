"""The big screen's key figures (``/api/v1/map/summary/``) are read from the roll-ups: on the
seeded demo city they equal the same figures computed live from the raw rows (the computation
the summary made before), for a street user and for the city user, in a fixed number of
statements, with the time the roll-ups were computed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.cases.models import Event
from dangjian.cases.selectors import event_metrics
from dangjian.core import tree
from dangjian.core.months import month_key
from dangjian.dashboard.geo import summary
from dangjian.dashboard.geo.figures import OPEN_Q
from dangjian.dashboard.geo.selectors import map_node
from dangjian.dashboard.models import Rollup
from dangjian.dashboard.rollups import engine
from dangjian.demo.generator import seed
from dangjian.members.models import Member, Status
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area, AreaKind
from tests.conftest import module_rows

pytestmark = pytest.mark.django_db


def _year_months() -> list[int]:
    today = timezone.localdate()
    return [today.year * 100 + m for m in range(1, today.month + 1)]


@pytest.fixture(scope="module")
def _seeded(django_db_setup, django_db_blocker):
    """The small demo city, seeded once for the module, its year's roll-ups rebuilt from the
    raw rows (a past month's cohort keeps closing after its month was computed)."""

    def build():
        seed("small", progress=False)
        engine.recompute(_year_months())

    yield from module_rows(django_db_blocker, build)


def _pct(rate):
    return None if rate is None else round(rate * 100, 1)


def _live(user, area: Area) -> dict:
    """The figures straight from the modules' rows, through each module's own view action."""
    sub = tree.subtree_q("area_path", area.path)
    events = Event.objects.visible_to(user, "cases.view").filter(sub, OPEN_Q)
    today = timezone.localdate()
    totals = event_metrics(user, area=area.pk, date_from=dt.date(today.year, 1, 1), date_to=today)[
        "totals"
    ]
    return {
        "members": Member.objects.visible_to(user, "members.view")
        .filter(tree.subtree_q("org__area_path", area.path), left_on__isnull=True)
        .filter(status__in=(Status.FULL, Status.PROBATIONARY))
        .count(),
        "orgs": PartyOrg.objects.visible_to(user, "organizations.view")
        .filter(sub, dissolved_on__isnull=True)
        .count(),
        "grids": Area.objects.visible_to(user, "dashboard.view")
        .filter(tree.subtree_q("path", area.path), kind=AreaKind.GRID, closed_on__isnull=True)
        .count(),
        "households": area.households,
        "open_events": events.count(),
        "overdue_events": events.filter(overdue_at__isnull=False).count(),
        "opened_this_year": totals["opened"],
        "closure_rate": _pct(totals["closure_rate"]),
        "on_time_rate": _pct(totals["on_time_rate"]),
        "satisfaction_rate": _pct(totals["satisfaction_rate"]),
    }


@pytest.mark.parametrize("username", ["demo-street", "demo-city"])
def test_summary_is_the_rollups_and_equals_the_raw_rows(
    _seeded, api, username, django_assert_max_num_queries
):
    user = User.objects.get(username=username)
    area = map_node(user, None)
    live = _live(user, area)
    assert live["members"] > 0 and live["opened_this_year"] > 0 and live["open_events"] > 0
    r = api.get(user, "/api/v1/map/summary/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["node"]["id"] == area.pk
    assert {k: body[k] for k in live} == live
    at = Rollup.objects.get(area=area, month=month_key(timezone.localdate())).computed_at
    assert body["computed_at"] == timezone.localtime(at).isoformat(timespec="seconds")
    user = User.objects.get(pk=user.pk)  # nothing cached on the user
    with django_assert_max_num_queries(3):  # the grants, the node, its rows of the year
        summary.key_figures(user)


def test_summary_of_a_child_node_and_out_of_reach(_seeded, api):
    street = User.objects.get(username="demo-street")
    city = User.objects.get(username="demo-city")
    body = api.get(city, "/api/v1/map/summary/", node=street.area_id).json()
    assert body["node"]["id"] == street.area_id
    assert body == api.get(street, "/api/v1/map/summary/").json()
    other = Area.objects.filter(kind=street.area.kind).exclude(pk=street.area_id).first()
    assert api.get(street, "/api/v1/map/summary/", node=other.pk).status_code == 404


def test_a_node_never_computed_reads_none(_seeded, api):
    user = User.objects.get(username="demo-street")
    Rollup.objects.filter(area_id=user.area_id).delete()
    body = api.get(user, "/api/v1/map/summary/").json()
    assert body["computed_at"] is None and body["members"] is None
    assert body["open_events"] is None and body["closure_rate"] is None
