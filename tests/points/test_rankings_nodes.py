"""Rankings and 积分明星 for any node and period (issue 16), through the API: the city sees every
subject; a node of the area tree or of the organization tree narrows to its subtree; a year,
quarter or month selects by the day each award was earned; the committee names the year's
stars and the list reads back in rank order."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from dangjian.points import services
from tests.points.helpers import event, member_scheme, resident, resident_scheme, rule
from tests.timebank.helpers import helper

pytestmark = pytest.mark.django_db
BASE = "/api/v1/points"
YEAR = 2026


def _names(r):
    assert r.status_code == 200, r.content
    return [(x["name"], x["points"]) for x in r.json()["items"]]


def test_rankings_for_any_node_and_period_and_the_years_stars(world, api):
    town = resident_scheme(world)
    rule(world, town, source="cases.visit", points="1")
    village = services.scheme_create(
        actor=world.users["admin"],
        data={"name": "园头村积分", "audience": "residents", "area_id": world.nodes["village"].pk},
    )
    services.rule_create(
        actor=world.users["admin"],
        scheme_id=village.pk,
        data={"name": "环境卫生", "category": "环境整治", "points": "1", "source": "cases.visit"},
    )
    members = member_scheme(world)
    rule(world, members, source="dues.on_time", points="1")
    a, b = resident(world, "甲一"), resident(world, "乙二", home="grid2")
    c = resident(world, "丙三", home="village")
    m = helper(world, "丁四", checked_in=False)  # of 龙桥社区第一网格党支部
    m.real_name = "丁四"
    m.save(update_fields=["real_name"])
    branch = world.orgs["grid_branch"]
    jan, apr2, apr30 = dt.date(YEAR, 1, 15), dt.date(YEAR, 4, 2), dt.date(YEAR, 4, 30)
    services.award_events(
        [event(a, f"a{i}", day=jan) for i in range(3)]
        + [event(b, f"b{i}", day=apr2) for i in range(2)]
        + [event(c, f"c{i}", day=apr30) for i in range(4)]
        + [replace(event(m, "m1", source="dues.on_time", day=apr2), org_path=branch.path)]
    )
    city = world.users["city"]
    everyone = [("丙三", "4.00"), ("甲一", "3.00"), ("乙二", "2.00"), ("丁四", "1.00")]
    assert _names(api.get(city, f"{BASE}/rankings/", year=YEAR)) == everyone
    # A node of the area tree: its subtree only.
    r = api.get(city, f"{BASE}/rankings/", year=YEAR, area=world.nodes["community"].pk)
    assert _names(r) == [("甲一", "3.00"), ("乙二", "2.00"), ("丁四", "1.00")]
    r = api.get(city, f"{BASE}/rankings/", year=YEAR, area=world.nodes["grid2"].pk)
    assert _names(r) == [("乙二", "2.00")]
    r = api.get(city, f"{BASE}/rankings/", year=YEAR, area=world.nodes["village"].pk)
    assert _names(r) == [("丙三", "4.00")]
    # A node of the organization tree: its members.
    r = api.get(city, f"{BASE}/rankings/", year=YEAR, org=branch.pk)
    assert _names(r) == [("丁四", "1.00")]
    # A scheme; a quarter; a month.
    r = api.get(city, f"{BASE}/rankings/", year=YEAR, scheme=town.pk)
    assert _names(r) == [("甲一", "3.00"), ("乙二", "2.00")]
    r = api.get(city, f"{BASE}/rankings/", year=YEAR, quarter=1)
    assert _names(r) == [("甲一", "3.00")]
    assert r.json()["start"] == f"{YEAR}-01-01" and r.json()["end"] == f"{YEAR}-04-01"
    r = api.get(city, f"{BASE}/rankings/", year=YEAR, quarter=2)
    assert _names(r) == [("丙三", "4.00"), ("乙二", "2.00"), ("丁四", "1.00")]
    r = api.get(city, f"{BASE}/rankings/", year=YEAR, month=1)
    assert _names(r) == [("甲一", "3.00")]
    assert _names(api.get(city, f"{BASE}/rankings/", year=YEAR - 1)) == []
    # The community sees its own subjects only, whatever node it names.
    community = world.users["community"]
    assert _names(api.get(community, f"{BASE}/rankings/", year=YEAR)) == everyone[1:]
    r = api.get(community, f"{BASE}/rankings/", year=YEAR, area=world.nodes["village"].pk)
    assert r.status_code == 422 and "area" in r.json()["errors"]
    # The year's 积分明星 of the community's scheme, in rank order.
    r = api.post(community, f"{BASE}/schemes/{town.pk}/stars", {"year": YEAR})
    assert r.status_code == 200, r.content
    assert [(s["rank"], s["name"], s["points"]) for s in r.json()] == [
        (1, "甲一", "3.00"),
        (2, "乙二", "2.00"),
    ]
    r = api.get(community, f"{BASE}/stars/", scheme=town.pk, year=YEAR)
    assert [x["name"] for x in r.json()["items"]] == ["甲一", "乙二"]
    assert api.post(community, f"{BASE}/schemes/{town.pk}/stars", {"year": 1999}).status_code == 422
