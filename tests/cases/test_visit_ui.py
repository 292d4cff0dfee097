"""Recording household visits (驻点直联) on the console and the phone: the team's people as
visitors, requests that become events through the one create service, refusals on the field
with nothing written, scope, and the demo visits."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from dangjian.cases.models import Event, Source, State, VisitRecord, VisitTeam
from dangjian.cases.visits import services as visits
from dangjian.territory.models import Household
from tests.cases.helpers import visit_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(world):
    return visit_team(world, staff_ids=[world.users["street"].pk])


def _post(client, url, team, **fields):
    data = {"team": team.pk, "visited_on": timezone.localdate().isoformat(), **fields}
    return client.post(url, data)


def test_console_form_records_a_visit_with_visitors_and_requests(client, world, team):
    client.force_login(world.users["street"])
    page = client.get(f"/cases/visits/new/?team={team.pk}").content.decode()
    # the team's people are offered as visitors, the village's grids and units as places
    assert "t-grid" in page and "t-street" in page and "1号楼单元" in page
    r = _post(
        client,
        "/cases/visits/new/",
        team,
        area=world.unit.pk,
        household_label="1号楼101室",
        visitors=[world.users["grid"].pk, world.users["street"].pk],
        notes="老人独居，身体尚可",
        requests="楼道灯坏了好几天，晚上看不见路\n\n门口下水道堵塞，污水外溢",
    )
    assert r.status_code == 302 and r["Location"] == "/cases/visits/"
    rec = VisitRecord.objects.get()
    assert rec.area_id == world.unit.pk and rec.household_label == "1号楼101室"
    assert {u.pk for u in rec.visitors.all()} == {world.users["grid"].pk, world.users["street"].pk}
    assert rec.visitor_id == world.users["grid"].pk and "t-grid" in rec.visitor_name
    events = list(rec.events.order_by("pk"))
    assert [e.description for e in events] == [
        "楼道灯坏了好几天，晚上看不见路",
        "门口下水道堵塞，污水外溢",
    ]
    assert all(e.source == Source.VISIT and e.state == State.COLLECTED for e in events)
    assert all(e.area_id == world.unit.pk and e.place == "1号楼101室" for e in events)
    # the record shows on the list with its events linked
    html = client.get("/cases/visits/").content.decode()
    assert "1号楼101室" in html and f"/cases/{events[0].pk}/" in html


def test_console_form_refusals_on_the_field_write_nothing(client, world, team):
    client.force_login(world.users["street"])
    r = _post(
        client,
        "/cases/visits/new/",
        team,
        area=world.grid2.pk,
        visited_on=(timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        visitors=[world.users["community"].pk],
        requests="灯坏\n门口下水道堵塞，污水外溢",
    )
    assert r.status_code == 422
    form = r.context["form"]
    assert "请填写门牌" in form.errors["household_label"][0]
    assert "不能晚于今天" in form.errors["visited_on"][0]
    assert "不是“龙桥社区第一走访组”的成员或工作人员" in form.errors["visitors"][0]
    assert "第1条诉求不能少于" in form.errors["requests"][0]
    html = r.content.decode()
    assert "门口下水道堵塞，污水外溢" in html  # values kept
    assert VisitRecord.objects.count() == 0 and Event.objects.count() == 0
    # a request the event service refuses refuses the whole record
    r = _post(
        client,
        "/cases/visits/new/",
        team,
        area=world.community.pk,
        household_label="3号",
        requests="楼道灯坏了好几天",
    )
    assert r.status_code == 422
    assert "住户须在网格或单元内" in r.context["form"].errors["area"][0]
    assert VisitRecord.objects.count() == 0 and Event.objects.count() == 0


def test_listed_household_and_default_visitor(client, world, team):
    hh = Household.objects.create(unit=world.unit, area_path=world.unit.path, door="1号楼202室")
    client.force_login(world.users["grid"])
    page = client.get("/cases/visits/new/").content.decode()  # the one team is preselected
    assert "1号楼 202室" in page or "1号楼202室" in page
    r = _post(client, "/cases/visits/new/", team, household=hh.pk)
    assert r.status_code == 302
    rec = VisitRecord.objects.get()
    assert rec.household_id == hh.pk and rec.household_label == "1号楼202室"
    assert [u.pk for u in rec.visitors.all()] == [world.users["grid"].pk]


def test_scope_of_the_form(client, world, team):
    client.force_login(world.users["street3"])
    assert client.get(f"/cases/visits/new/?team={team.pk}").status_code == 404
    r = _post(client, "/cases/visits/new/", team, area=world.unit.pk, household_label="9号")
    assert r.status_code == 404 and VisitRecord.objects.count() == 0
    page = client.get("/cases/visits/new/").content.decode()
    assert team.name not in page
    client.force_login(world.users["resident"])  # no console pages: sent to the phone
    r = client.get("/cases/visits/new/")
    assert (r.status_code, r["Location"]) == (302, "/m/")
    assert client.get("/m/cases/visits/").status_code == 403


def test_phone_pages_record_and_list_my_visits(client, world, team, django_assert_num_queries):
    client.force_login(world.users["grid"])
    page = client.get("/m/cases/visits/new/").content.decode()
    assert "龙桥社区第一走访组" in page and "1号楼单元" in page
    r = _post(
        client,
        "/m/cases/visits/new/",
        team,
        area=world.grid.pk,
        household_label="5号楼301室",
        requests="小区门口路灯不亮，晚上出行不便",
    )
    assert r.status_code == 302 and r["Location"] == "/m/cases/visits/"
    rec = VisitRecord.objects.get()
    assert rec.events.get().source == Source.VISIT
    # the list of my visits: a fixed number of queries however many records
    for i in range(3):
        visits.visit_record(
            actor=world.users["grid"],
            team=team,
            area=world.grid,
            household_label=f"6号楼{i}01室",
            requests=[f"{i}号楼楼道堆放杂物，存在消防隐患"],
        )
    with django_assert_num_queries(8):
        html = client.get("/m/cases/visits/").content.decode()
    assert html.count("data-visit=") == 4 and "5号楼301室" in html
    # a visit the worker went on but another person recorded shows too
    visits.visit_record(
        actor=world.users["street"],
        team=team,
        area=world.unit,
        household_label="1号楼909室",
        visitor_ids=[world.users["grid"].pk],
    )
    assert "1号楼909室" in client.get("/m/cases/visits/").content.decode()
    # the tile on the mobile home
    assert "/m/cases/visits/" in client.get("/m/").content.decode()


def test_console_visit_list_query_count(client, world, team, django_assert_num_queries):
    for i in range(3):
        visits.visit_record(
            actor=world.users["grid"], team=team, area=world.unit, household_label=f"{i}号"
        )
    client.force_login(world.users["street"])
    client.get("/cases/visits/")  # warm the per-process caches (holidays, roles)
    with django_assert_num_queries(14):
        r = client.get("/cases/visits/")
    assert r.status_code == 200 and "登记走访" in r.content.decode()
    for i in range(3):
        visits.visit_record(
            actor=world.users["grid"],
            team=team,
            area=world.grid,
            household_label=f"2-{i}号",
            requests=[f"{i}号门口垃圾桶满了没人清运"],
        )
    with django_assert_num_queries(14):  # the same however many records and events
        r = client.get("/cases/visits/")
    assert r.content.decode().count("2-") >= 3


def test_small_demo_has_visits():
    from dangjian.demo.generator import seed

    started = time.perf_counter()
    counts = seed("small", progress=False)
    assert time.perf_counter() - started < 120
    assert counts["visit_teams"] == VisitTeam.objects.count() >= 8
    assert counts["visit_records"] == VisitRecord.objects.count() > 500
    demo_team = VisitTeam.objects.get(members__username="demo-grid")
    assert demo_team.records.filter(visitor__username="demo-grid").exists()
    # this week's coverage is a share of the households, never above all of them
    villages = [t.area for t in VisitTeam.objects.select_related("area")]
    rows = visits.coverage_rows(villages, visits.coverage_weeks(None, 2))
    assert any(c["visited"] for r in rows for c in r["weeks"])
    assert all(c["coverage"] is None or c["coverage"] <= 1 for r in rows for c in r["weeks"])
