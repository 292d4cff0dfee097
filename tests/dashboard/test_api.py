"""The dashboard API and console page: figures of a node and its children, the series, the
scope (a street sees nothing of another street), bad input and pinned query counts."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from dangjian.dashboard.rollups import engine
from tests.members.helpers import member as make_member
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/api/v1/dashboard/"


@pytest.fixture
def rolled(world):
    admin = world.users["admin"]
    make_member(admin, world.orgs["grid_branch"], categories=["in_service"])
    make_member(admin, world.orgs["village_branch"], name="李四")
    engine.refresh(months=2)
    return world


def _fig(node: dict, code: str):
    return next(f for f in node["figures"] if f["code"] == code)


def test_default_is_the_users_top_node_with_its_children(rolled, api):
    r = api.get(rolled.users["street"], URL)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["period"] == f"{timezone.localdate():%Y-%m}"
    [street] = body["items"]
    assert street["id"] == rolled.street.pk and street["computed_at"]
    assert _fig(street, "members")["value"] == 1
    assert [c["id"] for c in street["children"]] == [rolled.community.pk]
    assert _fig(street, "members")["list_url"] == f"/api/v1/members/?org_area={rolled.street.pk}"
    city = api.get(rolled.users["city"], URL).json()["items"][0]
    assert _fig(city, "members")["value"] == 2
    assert {c["id"] for c in city["children"]} == {rolled.county.pk, rolled.county2.pk}


def test_the_list_behind_a_figure_holds_the_same_count(rolled, api):
    street = api.get(rolled.users["street"], URL).json()["items"][0]
    fig = _fig(street, "members")
    listed = api.get(rolled.users["street"], fig["list_url"])
    assert listed.status_code == 200, listed.content
    assert listed.json()["count"] == fig["value"]


def test_a_street_user_sees_nothing_of_another_street(rolled, api):
    street3 = rolled.users["street3"]
    body = api.get(street3, URL).json()
    text = json.dumps(body, ensure_ascii=False)
    assert [i["id"] for i in body["items"]] == [rolled.street3.pk]
    for name in ("street", "street2", "county", "city", "grid", "community"):
        node = rolled.nodes[name]
        assert node.name not in text
        assert api.get(street3, URL, node=node.pk).status_code == 404
        r = api.get(street3, URL + "series/", figure="members", node=node.pk)
        assert r.status_code == 404 and r.json() == {"detail": "未找到"}


def test_series_is_twelve_months(rolled, api):
    r = api.get(rolled.users["city"], URL + "series/", figure="members", node=rolled.city.pk)
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    assert len(items) == 12 and items[-1]["value"] == 2
    assert items[0]["value"] is None  # never computed
    r = api.get(rolled.users["city"], URL + "series/", figure="closure_rate", node=rolled.city.pk)
    assert r.status_code == 200 and r.json()["items"][-1]["value"] is None


@pytest.mark.parametrize(
    "params,field",
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "1999-01"}, "period"),
    ],
)
def test_bad_period_is_422_naming_it(rolled, api, params, field):
    r = api.get(rolled.users["city"], URL, **params)
    assert r.status_code == 422
    assert field in r.content.decode()


def test_bad_series_input(rolled, api):
    city = rolled.users["city"]
    r = api.get(city, URL + "series/", figure="nope", node=rolled.city.pk)
    assert r.status_code == 422 and "figure" in r.content.decode()
    r = api.get(city, URL + "series/", figure="members", node=rolled.city.pk, months=99)
    assert r.status_code == 422 and "months" in r.content.decode()
    assert api.get(city, URL, node=2**63).status_code == 404
    assert api.get(city, URL + "series/", figure="members").status_code == 422


def test_query_counts_are_flat(rolled, api, django_assert_max_num_queries):
    city = rolled.users["city"]
    api.get(city, URL)  # token issued
    with django_assert_max_num_queries(12):
        assert api.get(city, URL).status_code == 200
    with django_assert_max_num_queries(12):
        assert api.get(city, URL, node=rolled.county.pk).status_code == 200
    with django_assert_max_num_queries(10):
        assert (
            api.get(city, URL + "series/", figure="members", node=rolled.city.pk).status_code == 200
        )


def test_console_page_shows_figures_trend_and_children(
    rolled, client, django_assert_max_num_queries
):
    client.login(username="t-city", password=PASSWORD)
    client.get("/dashboard/")
    with django_assert_max_num_queries(25):
        r = client.get("/dashboard/")
    assert r.status_code == 200
    html = r.content.decode()
    assert rolled.county.name in html and rolled.county2.name in html
    assert "数据计算于" in html and "<polyline" in html
    assert f"?node={rolled.county.pk}&period=" in html
    r = client.get(f"/dashboard/?node={rolled.county.pk}&period=2026-13")
    assert r.status_code == 200 and "期间格式" in r.content.decode()
    client.logout()
    client.login(username="t-street3", password=PASSWORD)
    assert client.get(f"/dashboard/?node={rolled.county.pk}").status_code == 404
    assert client.get("/dashboard/?node=abc").status_code == 404


def test_console_figure_opens_the_list_behind_it(rolled, client):
    client.login(username="t-city", password=PASSWORD)
    html = client.get(f"/dashboard/?node={rolled.city.pk}").content.decode()
    assert f'href="/dashboard/arrears/?node={rolled.city.pk}"' in html
    cases = f"/cases/?area={rolled.city.pk}&period={timezone.localdate():%Y-%m}&stage=opened"
    assert f'href="{cases.replace("&", "&amp;")}"' in html
    assert client.get(f"/dashboard/arrears/?node={rolled.city.pk}").status_code == 200
    assert client.get(cases).status_code == 200
