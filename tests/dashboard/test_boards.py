"""The compliance board and the arrears list read from the rows stored with the roll-ups,
equal to the live ones; scoped; query counts pinned."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.dashboard.rollups import engine
from dangjian.dues import calc
from dangjian.dues import selectors as dues_selectors
from dangjian.orglife import compliance
from tests.dues.helpers import dues_member, pay
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/api/v1/dashboard/"


@pytest.fixture
def rolled(world):
    now = calc.month_of(timezone.localdate())
    behind = dues_member(world, month=calc.add_months(now, -7), name="欠七月")
    dues_member(world, month=calc.add_months(now, -4), name="欠四月", org="village_branch")
    paid = dues_member(world, month=calc.add_months(now, -2), name="已缴")
    pay(world, paid, [calc.add_months(now, -2), calc.add_months(now, -1)])
    engine.refresh(months=1)
    world.behind = behind
    return world


def test_board_equals_the_live_board(rolled, api):
    today = timezone.localdate()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    live = compliance.board(rolled.users["admin"], period=quarter)
    r = api.get(rolled.users["admin"], URL + "compliance/", page_size=200)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["totals"] == live["totals"]
    assert body["computed_at"]
    assert [(b["org_id"], b["colour"], b["missed"]) for b in body["items"]] == [
        (b["org_id"], b["colour"], b["missed"]) for b in live["branches"]
    ]


def test_arrears_equal_the_live_list(rolled, api):
    live = dues_selectors.arrears(rolled.users["admin"])
    r = api.get(rolled.users["admin"], URL + "arrears/")
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    assert [(i["id"], i["streak"]) for i in items] == [(m.pk, len(s.streak)) for m, s in live]
    assert items[0]["name"] == "欠七月" and items[0]["level"] == "leave"
    leave = api.get(rolled.users["admin"], URL + "arrears/", level="leave").json()
    assert leave["count"] == 1
    # the figure counts them
    city = api.get(rolled.users["city"], URL).json()["items"][0]
    fig = {f["code"]: f for f in city["figures"]}
    assert fig["arrears_members"]["value"] == 2 and fig["arrears_leave"]["value"] == 1
    listed = api.get(rolled.users["city"], fig["arrears_members"]["list_url"])
    assert listed.json()["count"] == 2


def test_scoped_and_bad_input(rolled, api):
    street3 = rolled.users["street3"]
    assert api.get(street3, URL + "arrears/").json() == {"items": [], "count": 0}
    assert api.get(street3, URL + "compliance/").json()["items"] == []
    assert api.get(street3, URL + "arrears/", node=rolled.street.pk).status_code == 404
    admin = rolled.users["admin"]
    r = api.get(admin, URL + "arrears/", level="x")
    assert r.status_code == 422 and "level" in r.content.decode()
    r = api.get(admin, URL + "compliance/", colour="x")
    assert r.status_code == 422 and "colour" in r.content.decode()


def test_query_counts(rolled, api, django_assert_max_num_queries):
    admin = rolled.users["admin"]
    api.get(admin, URL + "arrears/")
    with django_assert_max_num_queries(10):
        assert api.get(admin, URL + "arrears/", page_size=200).status_code == 200
    with django_assert_max_num_queries(10):
        assert api.get(admin, URL + "compliance/", page_size=200).status_code == 200


def test_console_pages(rolled, client):
    client.login(username="t-admin", password=PASSWORD)
    html = client.get("/dashboard/arrears/").content.decode()
    assert "欠七月" in html and "欠四月" in html and "已缴" not in html
    r = client.get("/dashboard/compliance/")
    assert r.status_code == 200 and rolled.orgs["grid_branch"].name in r.content.decode()
