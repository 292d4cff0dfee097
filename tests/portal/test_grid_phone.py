"""A grid worker on the phone (issue 18): their grid's open events (网格事件, the most pressing
first, each opening its page) and today's visits at the top of 入户走访, beside the to-do list
of the phone home. Residents see neither; both pages read a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.cases.models import Event
from dangjian.cases.visits import services as visits
from tests.cases import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_world(world):
    helpers.ensure_taxonomy()
    helpers.departments(world)
    return world


def _count(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return len(ctx.captured_queries), r.content.decode()


def test_the_grid_worker_sees_the_grids_open_events_most_pressing_first(grid_world, client):
    world = grid_world
    street = world.users["street"]
    fresh = helpers.report(world.users["resident"], area=world.grid, description="楼道灯坏了一周")
    late = helpers.report(world.users["resident"], area=world.grid, description="井盖松动有响声")
    helpers.move(street, late, "open")
    helpers.move(street, late, "dispatch")
    Event.objects.filter(pk=late.pk).update(deadline=timezone.now() - dt.timedelta(hours=3))
    client.force_login(world.users["grid"])
    home = client.get("/m/").content.decode()
    assert 'href="/m/cases/grid/"' in home and "网格事件" in home
    few, html = _count(client, "/m/cases/grid/")
    assert f'href="/m/cases/{late.pk}/"' in html and f'href="/m/cases/{fresh.pk}/"' in html
    assert html.index(f'data-event="{late.pk}"') < html.index(f'data-event="{fresh.pk}"')
    assert "已超期" in html
    # The event opens on the phone for the grid worker.
    assert client.get(f"/m/cases/{late.pk}/").status_code == 200
    # A closed event leaves the list.
    Event.objects.filter(pk=fresh.pk).update(state="closed")
    html = client.get("/m/cases/grid/").content.decode()
    assert f'data-event="{fresh.pk}"' not in html
    # More events, the same queries.
    for i in range(4):
        helpers.report(world.users["resident"], area=world.grid, description=f"第{i}处路面坑洼积水")
    more, html = _count(client, "/m/cases/grid/")
    assert html.count("data-event=") == 5 and more == few


def test_residents_have_no_grid_page(grid_world, client):
    client.force_login(grid_world.users["resident"])
    assert "/m/cases/grid/" not in client.get("/m/").content.decode()
    assert client.get("/m/cases/grid/").status_code == 403


def test_todays_visits_come_first_on_the_visits_page(grid_world, client):
    world = grid_world
    team = helpers.visit_team(world, "今日走访组")
    today = timezone.localdate()

    def visit(label: str, day: dt.date):
        visits.visit_record(
            actor=world.users["grid"],
            team=team,
            area=world.grid,
            household_label=label,
            visited_on=day,
        )

    visit("3号楼101室", today)
    visit("2号楼202室", today - dt.timedelta(days=2))
    client.force_login(world.users["grid"])
    few, html = _count(client, "/m/cases/visits/")
    today_part = html.split('id="today-visits"')[1].split("</section>")[0]
    assert "3号楼101室" in today_part and "2号楼202室" not in today_part
    assert "今日走访" in today_part and "1户" in today_part
    assert "2号楼202室" in html.split("</section>", 1)[1]
    for i in range(3):
        visit(f"4号楼{i}01室", today)
        visit(f"5号楼{i}01室", today - dt.timedelta(days=1))
    more, html = _count(client, "/m/cases/visits/")
    assert html.count("data-visit=") == 8 and more == few
