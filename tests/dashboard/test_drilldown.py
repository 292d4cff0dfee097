"""A figure's link opens the list behind it with the same filter, and that list holds the
figure: every event figure of the month (the events list's period and stage), and the figures
of the later modules (volunteer hours from the time bank's ledger, points, weak organizations,
member warnings)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone

from dangjian.assessment.models import Flag, MemberWarning
from dangjian.core.models import LedgerEntry
from dangjian.core.months import month_key
from dangjian.dashboard.models import Rollup
from dangjian.dashboard.rollups import engine
from dangjian.dashboard.views import console_url
from dangjian.points.models import Award, AwardState
from dangjian.timebank import services as timebank
from dangjian.timebank.models import Participation
from tests.cases import helpers as case_helpers
from tests.members.helpers import member as make_member
from tests.points import helpers as points_helpers
from tests.timebank.helpers import dispatched, helper
from tests.timebank.helpers import move as tb_move
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/api/v1/dashboard/"
EVENT_STATES = ("closed", "evaluated", "dispatched", "opened", "closed", "evaluated")


@pytest.fixture
def events(world, settings):
    settings.DANGJIAN = {**getattr(settings, "DANGJIAN", {}), "CASES_DUPLICATE_WINDOW_HOURS": 0}
    case_helpers.ensure_taxonomy()
    depts = case_helpers.departments(world)
    users = {
        d.pk: case_helpers.department_user(f"t-dept-{i}", d) for i, d in enumerate(depts.values())
    }
    actors = case_helpers.Actors(world, users)
    for i, state in enumerate(EVENT_STATES):
        if i % 2:
            event = case_helpers.report(world.users["resident"], f"第{i}号：小区门口垃圾堆积")
        else:
            event = case_helpers.report(
                world.users["street"], f"第{i}号：路灯不亮很黑", area=world.nodes["grid2"]
            )
        actors.drive(event, state)
    case_helpers.report(world.users["street"], "只上报未立案的事件", area=world.nodes["grid"])
    engine.refresh(months=1)
    return world


def _node(api, user, pk) -> dict:
    r = api.get(user, URL, node=pk)
    assert r.status_code == 200, r.content
    return r.json()["items"][0]


def _figures(node: dict, prefix: str) -> dict[str, dict]:
    return {f["code"]: f for f in node["figures"] if f["code"].startswith(prefix)}


@pytest.mark.parametrize("who,node", [("street", "street"), ("city", "city"), ("street", "grid")])
def test_every_event_figure_lists_exactly_its_events(events, api, who, node):
    user = events.users[who]
    figures = _figures(_node(api, user, events.nodes[node].pk), "events_")
    assert figures["events_opened"]["value"] > 0 and figures["events_reported"]["value"] > 0
    assert len(figures) == 12
    for code, fig in figures.items():
        assert fig["list_url"], code
        listed = api.get(user, fig["list_url"])
        assert listed.status_code == 200, (code, listed.content)
        assert listed.json()["count"] == fig["value"], code


def test_reported_and_opened_differ_and_both_match(events, api):
    city = _node(api, events.users["city"], events.city.pk)
    figures = _figures(city, "events_")
    assert figures["events_reported"]["value"] == len(EVENT_STATES) + 1
    assert figures["events_opened"]["value"] == len(EVENT_STATES)
    assert figures["events_closed"]["value"] == 4


def test_console_list_behind_an_event_figure_counts_the_figure(events, client):
    client.login(username="t-city", password=PASSWORD)
    html = client.get(f"/dashboard/?node={events.city.pk}").content.decode()
    period = f"{timezone.localdate():%Y-%m}"
    for stage, want in (("opened", 6), ("closed", 4), ("reported", 7)):
        href = f"/cases/?area={events.city.pk}&period={period}&stage={stage}"
        assert f'href="{href.replace("&", "&amp;")}"' in html
        page = client.get(href).content.decode()
        assert f"共 {want} 条" in page, stage


def test_period_and_stage_filter_the_events_api(events, api):
    user = events.users["city"]
    this = f"{timezone.localdate():%Y-%m}"
    r = api.get(user, "/api/v1/cases/", period=this, stage="closed")
    assert r.json()["count"] == 4
    last = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert api.get(user, "/api/v1/cases/", period=last).json()["count"] == 0
    for params, field in (
        ({"period": "2026-13"}, "period"),
        ({"period": "1999-12"}, "period"),
        ({"stage": "nope"}, "stage"),
    ):
        r = api.get(user, "/api/v1/cases/", **params)
        assert r.status_code == 422, params
        body = r.json()
        assert field in body["errors"] and re.search(r"[\u4e00-\u9fff]", body["detail"])


def test_console_events_list_refuses_a_bad_period_in_chinese(events, client):
    client.login(username="t-city", password=PASSWORD)
    page = client.get("/cases/?period=2026-1").content.decode()
    assert "立案月份格式应为 YYYY-MM" in page and "路灯不亮" not in page


def test_dashboard_links_of_the_new_modules(world, api):
    engine.refresh(months=1)
    street = _node(api, world.users["street"], world.street.pk)
    codes = {f["code"]: f for f in street["figures"]}
    sections = {s["code"] for s in api.get(world.users["street"], URL).json()["sections"]}
    assert {"timebank", "points", "rating", "weak", "warnings"} <= sections
    year = timezone.localdate().year
    assert codes["stars_5"]["list_url"] == (
        f"/api/v1/assessment/ratings/?area={world.street.pk}&year={year}&stars=5"
    )
    for code in ("volunteer_hours", "stars_5", "weak_flagged", "warnings_red", "points_awarded"):
        r = api.get(world.users["street"], codes[code]["list_url"])
        assert r.status_code == 200, (code, r.content)
    assert console_url(codes["warnings_red"]["list_url"]).startswith("/api/v1/assessment/")


def test_volunteer_hours_come_from_the_time_bank_ledger(world, api):
    a = helper(world, "李红")
    o = dispatched(world)
    tb_move(a, o, "accept")
    start = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        tb_move(a, o, "check_in")
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        tb_move(a, o, "check_out")
        tb_move(world.users["resident"], o, "confirm", rating=5)
    p = Participation.objects.get(order=o)
    timebank.participation_correct(
        actor=world.users["community"], participation=p, hours="1.50", reason="签退延迟"
    )
    engine.refresh(months=1)
    month = month_key(timezone.localdate())
    credited = LedgerEntry.objects.filter(account__code=f"timebank:user:{a.pk}").aggregate(
        s=Sum("amount")
    )["s"]
    assert credited == Decimal("1.50")
    for node in ("city", "street", "community"):  # at the community's issuing account
        values = Rollup.objects.get(area=world.nodes[node], month=month).values
        assert values["volunteer_hours"] == "1.50", node
        assert values["volunteer_services"] == 1, node
    assert Rollup.objects.get(area=world.street2, month=month).values["volunteer_hours"] == "0.00"
    fig = _figures(_node(api, world.users["street"], world.street.pk), "volunteer_hours")
    rows = api.get(world.users["street"], fig["volunteer_hours"]["list_url"]).json()
    assert [r["hours"] for r in rows] == ["1.50"]


def test_warnings_and_weak_organizations_are_counted_where_the_list_finds_them(world, api):
    admin = world.users["admin"]
    members = [make_member(admin, world.orgs["grid_branch"], name=n) for n in ("甲", "乙", "丙")]
    for m, colour in zip(members, ("yellow", "yellow", "red"), strict=True):
        MemberWarning.objects.create(
            member=m,
            member_name=m.name,
            org=m.org,
            org_path=m.org.path,
            rule="dues_arrears",
            colour=colour,
            reason="连续欠缴党费",
            clears_when="补缴",
            raised_on=timezone.localdate(),
        )
    year = timezone.localdate().year
    for org in (world.orgs["grid_branch"], world.orgs["grid_branch"], world.orgs["village_branch"]):
        Flag.objects.create(
            org=org,
            org_path=org.path,
            area_path=org.area_path,
            county_path=org.area_path[:4],
            year=year,
            rule="manual",
            manual=True,
            summary="人工认定",
            computed_at=timezone.now(),
        )
    engine.refresh(months=1)
    user = world.users["county"]
    node = _node(api, user, world.county.pk)
    figs = {f["code"]: f for f in node["figures"]}
    assert figs["warnings_yellow"]["value"] == 2 and figs["warnings_red"]["value"] == 1
    for code, colour in (("warnings_yellow", "yellow"), ("warnings_red", "red")):
        listed = api.get(user, figs[code]["list_url"]).json()
        assert listed["count"] == figs[code]["value"]
        assert {r["colour"] for r in listed["items"]} == {colour}
    flagged_here = (
        Flag.objects.filter(year=year, area_path__startswith=world.county.path)
        .values("org")
        .distinct()
        .count()
    )
    assert figs["weak_flagged"]["value"] == flagged_here >= 1
    listed = api.get(user, figs["weak_flagged"]["list_url"]).json()
    assert {r["org_id"] for r in listed["items"]} <= {
        o.pk for o in world.orgs.values() if o.area_path.startswith(world.county.path)
    }
    other = _node(api, world.users["street3"], world.street3.pk)
    assert {f["code"]: f["value"] for f in other["figures"]}["warnings_yellow"] == 0


def test_points_awarded_and_redeemed(world):
    scheme = points_helpers.resident_scheme(world)
    u = points_helpers.resident(world)
    points_helpers.credit(world, scheme, u, points="30", ref="v1")
    engine.refresh(months=1)
    month = month_key(timezone.localdate())
    posted = Award.objects.filter(state=AwardState.POSTED).aggregate(s=Sum("points"))["s"]
    assert posted == Decimal("30")
    values = Rollup.objects.get(area=world.city, month=month).values
    assert values["points_awarded"] == "30.00" and values["points_awards"] == 1
    unit_area = Rollup.objects.get(area=world.grid, month=month).values
    assert unit_area["points_awarded"] == "30.00"
    assert engine.recompute([month], check=True) == []
