"""Metrics for a node and a period, exact on a hand-built set, in a few aggregate queries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dangjian.cases import selectors
from dangjian.territory.models import AreaKind
from tests import world as world_mod
from tests.cases.helpers import at, report

pytestmark = pytest.mark.django_db


def travel(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def built(world, actors, depts):
    """Five events opened in June 2025 in the first street, one only collected, one opened in
    July, and one in the other street.

    E1 环境 opened 06-03, handled in 2 h, closed, rated satisfied.
    E2 环境 opened 06-03, deadline 06-06 18:00, handled 06-09 10:00 (late, 144 h), closed,
       rated dissatisfied.
    E3 井盖 opened 06-04, handled in 4 h, closed as 未解决已答复, not rated.
    E4 井盖 opened 06-05, dispatched, not signed for.
    E5 环境 opened 06-06, not dispatched.
    E6 collected 06-06, never opened.
    E7 环境 opened 07-01, closed (outside the period).
    E8 in 凤凰山街道 (the other street), opened 06-10.
    """
    res, grid = world.resident, world.users["grid"]
    do = actors.do
    with travel(at(2025, 6, 3, 10, 0)):
        e1 = actors.drive(report(res, "东门垃圾堆积，发臭严重"), "handling")
        e2 = actors.drive(report(res, "河边油烟异味很重，烧烤摊太多"), "handling")
    with travel(at(2025, 6, 3, 12, 0)):
        e1 = do(do(e1, "finish"), "verify_pass")
        do(e1, "evaluate", rating="satisfied")
    with travel(at(2025, 6, 9, 10, 0)):
        e2 = do(do(e2, "finish"), "verify_pass")
        do(e2, "evaluate", rating="dissatisfied")
    with travel(at(2025, 6, 4, 10, 0)):
        e3 = actors.drive(report(grid, "北门井盖缺失，很危险"), "handling")
    with travel(at(2025, 6, 4, 14, 0)):
        do(do(e3, "finish"), "verify_pass", resolution="answered")
    with travel(at(2025, 6, 5, 10, 0)):
        actors.drive(report(grid, "南门的窨井盖松动了"), "dispatched")
    with travel(at(2025, 6, 6, 10, 0)):
        actors.drive(report(grid, "西门垃圾没人清运，乱扔乱倒"), "opened")
        report(grid, "菜市场门口有人乱倒污水")
    with travel(at(2025, 7, 1, 10, 0)):
        actors.drive(report(res, "楼下垃圾又堆起来了，脏乱差"), "closed")
    other_grid = world_mod.area(world.community2, "凤山社区第一网格", AreaKind.GRID)
    with travel(at(2025, 6, 10, 10, 0)):
        e8 = report(world.users["county"], "凤山社区门口垃圾堆积", area=other_grid)
        do(e8, "open")
    return world


def test_exact_figures_for_a_street_in_june(built, django_assert_max_num_queries):
    street = built.nodes["street"]
    county = built.users["county"]
    county.forget_grants()
    with django_assert_max_num_queries(6):
        m = selectors.event_metrics(
            county, area=street.pk, date_from=dt.date(2025, 6, 1), date_to=dt.date(2025, 6, 30)
        )
    assert m["node"] == {"id": street.pk, "name": "龙桥街道", "kind": "street"}
    assert m["totals"] == {
        "reported": 6,
        "opened": 5,
        "dispatched": 4,
        "responded": 3,
        "closed": 3,
        "closed_on_time": 2,
        "solved": 2,
        "evaluated": 2,
        "satisfied": 1,
        "overdue": 1,
        "closure_rate": 0.6,
        "on_time_rate": 0.6667,
        "response_rate": 0.75,
        "resolution_rate": 0.6667,
        "satisfaction_rate": 0.5,
        "avg_handling_hours": 50.0,
    }
    by_class = {r["code"]: r for r in m["by_class"]}
    assert list(by_class) == ["environment", "public_facility"]
    env, fac = by_class["environment"], by_class["public_facility"]
    assert (env["name"], env["kind"]) == ("市容环境", "event")
    assert (env["opened"], env["dispatched"], env["responded"], env["closed"]) == (3, 2, 2, 2)
    assert (env["closed_on_time"], env["evaluated"], env["satisfied"]) == (1, 2, 1)
    assert (env["closure_rate"], env["on_time_rate"], env["response_rate"]) == (0.6667, 0.5, 1.0)
    assert (env["satisfaction_rate"], env["avg_handling_hours"]) == (0.5, 73.0)
    assert (fac["opened"], fac["dispatched"], fac["responded"], fac["closed"]) == (2, 2, 1, 1)
    assert (fac["satisfaction_rate"], fac["avg_handling_hours"]) == (None, 4.0)
    by_dept = {r["name"]: r for r in m["by_department"]}
    assert set(by_dept) == {"环卫所", "市政所"}
    assert (by_dept["环卫所"]["opened"], by_dept["环卫所"]["closed"]) == (2, 2)
    assert (by_dept["市政所"]["opened"], by_dept["市政所"]["responded"]) == (2, 1)


def test_the_county_over_all_time_and_a_department_filter(built, api, depts):
    county = built.users["county"]
    r = api.get(county, "/api/v1/cases/metrics")
    assert r.status_code == 200, r.content
    totals = r.json()["totals"]
    assert (totals["reported"], totals["opened"], totals["closed"]) == (8, 7, 4)
    r = api.get(county, "/api/v1/cases/metrics", department=depts["市政所"].pk)
    assert r.json()["totals"]["opened"] == 2
    # A period in July only.
    r = api.get(county, "/api/v1/cases/metrics", date_from="2025-07-01", date_to="2025-07-31")
    assert (r.json()["totals"]["opened"], r.json()["totals"]["closed"]) == (1, 1)


def test_scope_of_metrics(built, api, dept_users, depts):
    # A department counts what is dispatched to it.
    dept = dept_users[depts["环卫所"].pk]
    r = api.get(dept, "/api/v1/cases/metrics")
    assert r.status_code == 200 and r.json()["totals"]["opened"] == 3  # E1, E2, E7
    # Another street cannot name the first street; the first street sees only itself.
    r = api.get(built.users["street3"], "/api/v1/cases/metrics", area=built.nodes["street"].pk)
    assert r.status_code == 404 and r.json() == {"detail": "未找到"}
    r = api.get(built.users["street"], "/api/v1/cases/metrics")
    assert r.json()["totals"]["opened"] == 6
    r = api.get(
        built.users["street"], "/api/v1/cases/metrics", date_from="2025-07-01", date_to="2025-06-01"
    )
    assert r.status_code == 422 and r.json()["errors"]["date_to"] == ["结束日期不能早于开始日期"]
    r = api.get(built.users["street"], "/api/v1/cases/metrics", date_to="9999-12-31")
    assert r.status_code == 422 and "2099" in r.json()["errors"]["date_to"][0]
    r = api.get(built.users["street"], "/api/v1/cases/metrics", date_from="0001-01-01")
    assert r.status_code == 422 and "date_from" in r.json()["errors"]
