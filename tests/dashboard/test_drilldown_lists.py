"""The lists behind the points figures (当月记分, 当月兑换积分) and behind 确定为软弱涣散的党组织
carry the node and the month of the figure: for a street user and for the city user, the list
a figure links to counts exactly the figure (the pattern of the events' stage test)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.assessment.models import Ranking
from dangjian.assessment.services import weak
from dangjian.dashboard.rollups import engine
from dangjian.dashboard.views import console_url
from dangjian.points import services as points
from dangjian.points.models import Item
from tests.assessment.helpers import bottom_list
from tests.points import helpers as ph
from tests.timebank.helpers import dispatched as tb_dispatched
from tests.timebank.helpers import helper as tb_helper
from tests.timebank.helpers import move as tb_move
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/api/v1/dashboard/"
OFFICE = dt.timezone(dt.timedelta(hours=8))
WHO = [("street", "street"), ("city", "city"), ("street", "community")]


def _figures(api, user, pk) -> dict[str, dict]:
    r = api.get(user, URL, node=pk)
    assert r.status_code == 200, r.content
    return {f["code"]: f for f in r.json()["items"][0]["figures"]}


def _listed(api, user, url) -> list[dict]:
    items, page = [], 1
    while True:
        r = api.get(user, f"{url}&page={page}&page_size=100")  # the link's own query kept
        assert r.status_code == 200, (url, r.content)
        body = r.json()
        items += body["items"]
        if len(items) >= body["count"]:
            return items
        page += 1


@pytest.fixture
def points_world(world):
    """Points awarded and redeemed this month in the first street (a resident's own place, and
    a member known only by their organization), in another street, and an award of last
    month."""
    admin = world.users["admin"]
    scheme = ph.resident_scheme(world)
    here = ph.resident(world, "李四")
    ph.credit(world, scheme, here, points="30", ref="v1")
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=3)
    points.award_events([ph.event(here, "old", day=last_month)])
    item = ph.item(world, scheme, price="8", stock=9)
    points.redemption_create(actor=here, item_id=item.pk, quantity=2)
    # a member subject: no place of their own, counted where their organization is anchored
    mscheme = ph.member_scheme(world)
    ph.rule(world, mscheme, name="先锋走访", source="cases.visit", points="4")
    member = ph.resident(world, "王五", home="grid")
    points.award_events(
        [
            dataclasses.replace(
                ph.event(member, "m1"), area_path="", org_path=world.orgs["grid_branch"].path
            )
        ]
    )
    # another street's residents
    other = points.scheme_create(
        actor=admin,
        data={"name": "凤山社区居民积分", "audience": "residents", "area_id": world.community2.pk},
    )
    points.rule_create(
        actor=admin,
        scheme_id=other.pk,
        data={"name": "走访", "category": "环境整治", "points": "11", "source": "cases.visit"},
    )
    there = ph.resident(world, "赵六", home="community2")
    points.award_events([ph.event(there, "t1")])
    far_item = points.item_create(
        actor=admin, scheme_id=other.pk, data={"name": "毛巾", "price": "5", "stock": 5}
    )
    points.redemption_create(actor=there, item_id=far_item.pk)
    engine.refresh(months=1)
    return world


@pytest.mark.parametrize("who,node", WHO)
def test_points_figures_list_exactly_their_rows(points_world, api, who, node):
    w = points_world
    user = w.users[who]
    figures = _figures(api, user, w.nodes[node].pk)
    for code, count, total in (
        ("points_awarded", "points_awards", "points"),
        ("points_redeemed", "points_redemptions", "points"),
    ):
        url = figures[code]["list_url"]
        assert f"area={w.nodes[node].pk}" in url and f"period={timezone.localdate():%Y-%m}" in url
        rows = _listed(api, user, url)
        assert len(rows) == figures[count]["value"] > 0, code
        assert sum(Decimal(r[total]) for r in rows) == Decimal(figures[code]["value"]), code
    if who == "city":  # the other street's award and redemption are counted, not the old one
        assert figures["points_awards"]["value"] == 3
        assert figures["points_redemptions"]["value"] == 2
    else:
        assert figures["points_awards"]["value"] == 2
        assert figures["points_redemptions"]["value"] == 1


def test_points_lists_refuse_a_bad_period_and_an_area_out_of_reach(points_world, api):
    w = points_world
    user = w.users["street"]
    for path in ("/api/v1/points/awards/", "/api/v1/points/redemptions/"):
        r = api.get(user, path, period="2026-13")
        assert r.status_code == 422 and "period" in r.json()["errors"], path
        assert api.get(user, path, area=w.street2.pk).status_code == 404, path
        assert api.get(user, path, area=0).status_code == 404, path


@pytest.mark.parametrize("who,node", WHO)
def test_points_figures_open_console_pages_that_count_them(points_world, api, client, who, node):
    """The dashboard links 当月记分 and 当月兑换积分 to the console lists with the figure's area
    and month; each page counts exactly the figure, and another street's rows are absent."""
    w = points_world
    user = w.users[who]
    pk = w.nodes[node].pk
    figures = _figures(api, user, pk)
    assert client.login(username=user.username, password=PASSWORD)
    html = client.get(f"/dashboard/?node={pk}").content.decode()
    for code, count, page_path, table_id in (
        ("points_awarded", "points_awards", "/points/awards/?", "award-list"),
        ("points_redeemed", "points_redemptions", "/points/redemptions/?", "redemption-list"),
    ):
        href = console_url(figures[code]["list_url"])
        assert href.startswith(page_path) and f"area={pk}" in href, href
        assert f'href="{href.replace("&", "&amp;")}"' in html, code
        r = client.get(href)
        assert r.status_code == 200, (href, r.status_code)
        page = r.content.decode()
        assert f'<span id="x-total">{figures[count]["value"]}</span>' in page, code
        assert f'id="{table_id}"' in page
        assert ("赵六" in page) == (who == "city"), code  # the other street's resident


def test_points_console_lists_refuse_bad_input(points_world, client):
    w = points_world
    assert client.login(username=w.users["street"].username, password=PASSWORD)
    for path in ("/points/awards/", "/points/redemptions/"):
        r = client.get(path, {"period": "2026-13"})
        assert r.status_code == 400, path
        assert "月份（period）" in r.content.decode(), path
        assert client.get(path, {"area": w.street2.pk}).status_code == 404, path
        assert client.get(path, {"area": "x"}).status_code == 404, path
        assert client.get(path, {"area": w.street.pk, "q": "李四"}).status_code == 200, path


def test_points_console_lists_search_by_name_rule_and_item(points_world, client):
    w = points_world
    assert client.login(username=w.users["city"].username, password=PASSWORD)
    awards = client.get("/points/awards/", {"q": "先锋走访"}).content.decode()
    assert '<span id="x-total">1</span>' in awards and "王五" in awards and "李四" not in awards
    named = client.get("/points/awards/", {"q": "李四"}).content.decode()
    assert '<span id="x-total">2</span>' in named and "王五" not in named  # this and last month
    items = client.get("/points/redemptions/", {"q": "毛巾"}).content.decode()
    assert '<span id="x-total">1</span>' in items and "赵六" in items and "李四" not in items


def test_points_console_lists_read_fixed_queries(points_world, client):
    """However many rows, the page and its export read the same number of queries."""
    w = points_world
    assert client.login(username=w.users["city"].username, password=PASSWORD)

    def counts(path):
        client.get(path)  # warm what is read once per process
        with CaptureQueriesContext(connection) as page:
            assert client.get(path).status_code == 200
        with CaptureQueriesContext(connection) as export:
            assert client.post(path, {"export": "xlsx"}).status_code == 200
        return len(page.captured_queries), len(export.captured_queries)

    city = w.nodes["city"].pk
    paths = (f"/points/awards/?area={city}", f"/points/redemptions/?area={city}")
    few = [counts(p) for p in paths]
    assert all(n <= 14 for pair in few for n in pair), few
    here = ph.resident(w, "孙七")
    points.award_events([ph.event(here, f"more{i}") for i in range(4)])
    there = ph.resident(w, "周八", home="community2")
    points.award_events([ph.event(there, f"far{i}") for i in range(2)])
    towel = Item.objects.get(name="毛巾")
    for _ in range(3):
        points.redemption_create(actor=there, item_id=towel.pk)
    assert [counts(p) for p in paths] == few


@pytest.fixture
def confirmed(world):
    """The first county's bottom list of the year, confirmed (a rectification each)."""
    today = timezone.localdate()
    for i in range(3):
        weak.flag_add_manual(
            actor=world.users["county"],
            org=world.orgs["community_committee"],
            year=today.year,
            summary=f"班子不团结{i}",
            evidence="群众来信三封",
        )
    bottom_list(world, today.year, today)
    ranking = Ranking.objects.get(county=world.county, year=today.year)
    weak.ranking_confirm(actor=world.users["county"], ranking=ranking.pk, today=today)
    engine.refresh(months=1)
    return world


@pytest.mark.parametrize("who,node", [("street", "street"), ("city", "city"), ("city", "county")])
def test_confirmed_weak_figure_lists_exactly_its_organizations(confirmed, api, who, node):
    w = confirmed
    user = w.users[who]
    fig = _figures(api, user, w.nodes[node].pk)["weak_confirmed"]
    assert fig["value"] > 0
    url = fig["list_url"]
    assert f"area={w.nodes[node].pk}" in url and f"year={timezone.localdate().year}" in url
    rows = _listed(api, user, url)
    assert len(rows) == fig["value"]
    assert len({r["org_id"] for r in rows}) == len(rows)


def test_confirmed_weak_of_another_street_lists_nothing(confirmed, api):
    """The bottom list is the county's: the street without an organization on it counts and
    lists none of it."""
    w = confirmed
    city = w.users["city"]
    assert _figures(api, w.users["county"], w.county.pk)["weak_confirmed"]["value"] == 1
    assert _figures(api, w.users["street"], w.street.pk)["weak_confirmed"]["value"] == 1
    fig = _figures(api, city, w.street2.pk)["weak_confirmed"]
    assert fig["value"] == 0 and _listed(api, city, fig["list_url"]) == []
    r = api.get(w.users["street"], "/api/v1/assessment/rectifications/", area=w.street2.pk)
    assert r.status_code == 404


def test_console_rectifications_behind_the_figure(confirmed, api, client):
    w = confirmed
    fig = _figures(api, w.users["city"], w.street.pk)["weak_confirmed"]
    href = console_url(fig["list_url"])
    assert href.startswith("/assessment/rectifications/?")
    client.login(username="t-city", password=PASSWORD)
    html = client.get(f"/dashboard/?node={w.street.pk}").content.decode()
    assert f'href="{href.replace("&", "&amp;")}"' in html
    page = client.get(href).content.decode()
    assert f"共 {fig['value']} 条" in page and "龙桥街道" in page
    assert "凤凰山" not in page
    assert client.get(f"/assessment/rectifications/?area={w.street3.pk}").status_code == 200


def test_volunteer_hours_list_counts_by_the_month_the_ledger_does(world, api):
    """A service checked out late on the 30th of November and confirmed on the 1st of December:
    the ledger credits it on the day of the check-out, the November figure holds it, and the
    November list behind the figure finds it (the December one does not)."""
    a = tb_helper(world, "李红")
    evening = dt.datetime(2026, 11, 30, 18, 0, tzinfo=OFFICE)
    with time_machine.travel(evening, tick=False):
        o = tb_dispatched(world, hours=4)  # 20:00 to 24:00
        tb_move(a, o, "accept")
    with time_machine.travel(evening + dt.timedelta(hours=3, minutes=30), tick=False):
        tb_move(a, o, "check_in")
    with time_machine.travel(evening + dt.timedelta(hours=5, minutes=30), tick=False):
        tb_move(a, o, "check_out")  # 23:30 on the 30th
    with time_machine.travel(evening + dt.timedelta(hours=15), tick=False):
        tb_move(world.users["resident"], o, "confirm", rating=5)  # 09:00 on the 1st
    engine.recompute([202611, 202612])
    for who, node in (("street", "street"), ("city", "city"), ("street", "community")):
        user, pk = world.users[who], world.nodes[node].pk
        for period, want in (("2026-11", "2.00"), ("2026-12", "0.00")):
            r = api.get(user, URL, node=pk, period=period)
            fig = {f["code"]: f for f in r.json()["items"][0]["figures"]}["volunteer_hours"]
            assert fig["value"] == want, (who, node, period)
            rows = api.get(user, fig["list_url"]).json()
            listed = sum((Decimal(row["hours"]) for row in rows), Decimal("0.00"))
            assert f"{listed:.2f}" == want, (who, node, period, fig["list_url"])
