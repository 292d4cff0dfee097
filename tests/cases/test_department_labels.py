"""Departments of the same name in different townships (issue 12): each is labelled with its
areas ("环卫所（城厢区·龙桥街道）") in dispatch choices, lists, the API, metrics and exports;
and the metrics group by the child nodes of the selected node in one grouped query."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.labels import department_label, department_labels
from dangjian.accounts.models import Department
from dangjian.cases import excel, selectors
from dangjian.cases.views import department_choices, event_departments
from dangjian.core.excel import read_rows
from dangjian.territory.models import AreaKind
from tests import world as world_mod
from tests.cases.helpers import at, move, report

pytestmark = pytest.mark.django_db

LONGQIAO = "环卫所（城厢区·龙桥街道）"
FENGHUANG = "环卫所（城厢区·凤凰山街道）"


def travel(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def twins(world, depts):
    """环卫所 in 龙桥街道 (from ``depts``) and in 凤凰山街道; a city department."""
    other = Department.objects.create(
        name="环卫所", area=world.nodes["street2"], area_path=world.nodes["street2"].path
    )
    city = Department.objects.create(
        name="城市管理局", area=world.nodes["city"], area_path=world.nodes["city"].path
    )
    return {"longqiao": depts["环卫所"], "fenghuang": other, "city": city, **depts}


@pytest.fixture
def dispatched(world, twins):
    """June 2025: two events in 龙桥社区 (one closed) to 龙桥's 环卫所, one in 凤山社区 to
    凤凰山's 环卫所, and one in 龙桥社区 opened but not dispatched."""
    county, street = world.users["county"], world.users["street"]
    fengshan_grid = world_mod.area(world.community2, "凤山社区第一网格", AreaKind.GRID)
    with travel(at(2025, 6, 3, 10, 0)):
        a = report(world.resident, "东门垃圾堆积，发臭严重")
        b = report(world.users["grid"], "西门垃圾没人清运，乱扔乱倒")
        c = report(county, "凤山社区门口垃圾堆积", area=fengshan_grid)
        d = report(world.users["grid"], "菜市场门口有人乱倒污水")
        for ev in (a, b, c, d):
            move(county if ev is c else street, ev, "open")
        move(street, a, "dispatch", department=twins["longqiao"])
        move(street, b, "dispatch", department=twins["longqiao"])
        move(county, c, "dispatch", department=twins["fenghuang"])
    return {"a": a, "b": b, "c": c, "d": d}


def test_the_label_names_the_areas_below_the_city(world, twins, django_assert_num_queries):
    rows = [
        (d.pk, d.name, d.area_path)
        for d in (twins["longqiao"], twins["fenghuang"], twins["住建局"], twins["city"])
    ]
    with django_assert_num_queries(1):
        found = department_labels(rows)
    assert list(found.values()) == [LONGQIAO, FENGHUANG, "住建局（城厢区）", "城市管理局（莆田市）"]
    with django_assert_num_queries(0):
        assert department_labels([]) == {}
    assert department_label(twins["fenghuang"]) == FENGHUANG
    assert department_label(None) == ""


def test_dispatch_choices_and_filters_are_labelled(client, world, twins, dispatched):
    ev = dispatched["d"]
    ev.refresh_from_db()
    choices = dict(event_departments(ev))
    assert choices[twins["longqiao"].pk] == LONGQIAO
    assert choices[twins["住建局"].pk] == "住建局（城厢区）"
    assert twins["fenghuang"].pk not in choices  # does not serve 龙桥社区
    client.force_login(world.users["street"])
    page = client.get(f"/cases/{ev.pk}/").content.decode()
    form = page[page.index('id="move-dispatch"') :]
    form = form[: form.index("</form>")]
    assert f'<option value="{twins["longqiao"].pk}">{LONGQIAO}</option>' in form
    # The county's filters tell the two apart.
    county = dict(department_choices(world.users["county"]))
    assert (county[twins["longqiao"].pk], county[twins["fenghuang"].pk]) == (LONGQIAO, FENGHUANG)


def test_lists_and_the_api_show_the_label(client, api, world, twins, dispatched):
    client.force_login(world.users["county"])
    page = client.get("/cases/").content.decode()
    assert page.count(f"<td>{LONGQIAO}</td>") == 2 and page.count(f"<td>{FENGHUANG}</td>") == 1
    detail = client.get(f"/cases/{dispatched['c'].pk}/").content.decode()
    assert f'<dd id="event-department">{FENGHUANG}</dd>' in detail
    r = api.get(world.users["county"], "/api/v1/cases/")
    assert r.status_code == 200
    by_id = {e["id"]: e for e in r.json()["items"]}
    assert (
        by_id[dispatched["a"].pk]["department_label"],
        by_id[dispatched["a"].pk]["department_name"],
    ) == (
        LONGQIAO,
        "环卫所",
    )
    assert by_id[dispatched["c"].pk]["department_label"] == FENGHUANG
    assert by_id[dispatched["d"].pk]["department_label"] is None
    r = api.get(world.users["county"], f"/api/v1/cases/{dispatched['c'].pk}")
    assert r.json()["department_label"] == FENGHUANG
    # The history names the department with its areas too.
    assert r.json()["history"][-1]["department_name"] == FENGHUANG
    # The reporter's own page on the phone.
    client.force_login(world.resident)
    page = client.get(f"/m/cases/{dispatched['a'].pk}/").content.decode()
    assert f"承办部门：{LONGQIAO}" in page


def test_metrics_by_department_are_labelled(world, twins, dispatched):
    m = selectors.event_metrics(world.users["county"])
    rows = [(d["name"], d["label"], d["opened"]) for d in m["by_department"]]
    assert rows == [("环卫所", LONGQIAO, 2), ("环卫所", FENGHUANG, 1)]
    xlsx = [r[:3] for r in excel.metrics_rows(m) if r[0] == "按承办部门"]
    assert xlsx == [["按承办部门", LONGQIAO, 2], ["按承办部门", FENGHUANG, 1]]


def test_metrics_by_child_node(world, twins, dispatched, django_assert_max_num_queries):
    county = world.users["county"]
    county.forget_grants()
    with CaptureQueriesContext(connection) as q, django_assert_max_num_queries(6):
        m = selectors.event_metrics(county, area=world.nodes["county"].pk, group_by="child")
    events = [x["sql"] for x in q.captured_queries if "cases_event" in x["sql"]]
    assert len(events) == 1 and "SUBSTR" in events[0].upper()
    children = [(c["name"], c["kind"], c["opened"], c["dispatched"]) for c in m["by_child"]]
    assert children == [("龙桥街道", "street", 3, 2), ("凤凰山街道", "street", 1, 1)]
    assert m["group_by"] == "child" and m["by_class"] == [] and m["by_department"] == []
    assert m["by_child"][0]["id"] == world.nodes["street"].pk
    # A street's children are its communities; the county user's whole reach is the county.
    m = selectors.event_metrics(county, area=world.nodes["street"].pk, group_by="child")
    assert [(c["name"], c["opened"]) for c in m["by_child"]] == [("龙桥社区", 3)]
    m = selectors.event_metrics(county, group_by="child")
    assert [(c["name"], c["opened"]) for c in m["by_child"]] == [("龙桥街道", 3), ("凤凰山街道", 1)]
    # A grid's events on the grid itself read 本级.
    m = selectors.event_metrics(county, area=world.grid.pk, group_by="child")
    assert [(c["id"], c["name"], c["opened"]) for c in m["by_child"]] == [(None, "本级", 3)]
    # The city user: counties.
    m = selectors.event_metrics(world.users["city"], area=world.nodes["city"].pk, group_by="child")
    assert [(c["name"], c["opened"]) for c in m["by_child"]] == [("城厢区", 4)]
    # Class or department alone.
    m = selectors.event_metrics(county, group_by="class")
    assert [c["code"] for c in m["by_class"]] == ["environment"] and m["by_department"] == []
    m = selectors.event_metrics(county, group_by="department")
    assert m["by_class"] == [] and len(m["by_department"]) == 2


def test_group_by_in_the_api_the_page_and_the_xlsx(client, api, world, twins, dispatched):
    county = world.users["county"]
    r = api.get(county, "/api/v1/cases/metrics", area=world.nodes["county"].pk, group_by="child")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [(c["name"], c["opened"]) for c in body["by_child"]] == [
        ("龙桥街道", 3),
        ("凤凰山街道", 1),
    ]
    assert body["by_class"] == [] and body["group_by"] == "child"
    r = api.get(county, "/api/v1/cases/metrics", group_by="street")
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "group_by": ["分组方式应为class（按类别）、department（按承办部门）或child（按下级区域）"]
    }
    r = api.get(county, "/api/v1/cases/metrics")
    assert r.json()["by_child"] == [] and len(r.json()["by_class"]) == 1
    client.force_login(county)
    params = {"area": world.nodes["county"].pk, "group_by": "child"}
    page = client.get("/cases/metrics/", params).content.decode()
    assert page.count('class="metrics-child"') == 2
    assert "<td>按下级区域</td><td>龙桥街道</td>" in page
    assert "<td>按承办部门</td>" not in page
    r = client.post(f"/cases/metrics/export/?{urlencode(params)}")
    rows = [row.values[:3] for row in read_rows(r.content)[1:4]]  # then the footer
    assert [tuple(x[:2]) for x in rows] == [
        ("合计", "城厢区"),
        ("按下级区域", "龙桥街道"),
        ("按下级区域", "凤凰山街道"),
    ]
    assert int(rows[1][2]) == 3


def test_period_still_applies_to_children(world, twins, dispatched):
    m = selectors.event_metrics(
        world.users["county"],
        area=world.nodes["county"].pk,
        group_by="child",
        date_from=dt.date(2025, 7, 1),
        date_to=dt.date(2025, 7, 31),
    )
    assert m["by_child"] == [] and m["totals"]["opened"] == 0
