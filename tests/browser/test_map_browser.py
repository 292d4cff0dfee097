"""The one map and the big screen in real Chromium as a street user: the map draws (ECharts,
served offline from our own static files), its figures equal the API's, a click drills into a
community and a grid's card opens; the big screen's key figures equal the API's."""

import re

import pytest

from dangjian.dashboard.geo import shapes
from dangjian.territory.models import Area
from tests import world as world_mod

pytestmark = pytest.mark.browser

BOXES = {
    "county": (119.0, 25.4, 119.2, 25.6),
    "street": (119.0, 25.4, 119.1, 25.5),
    "street2": (119.1, 25.4, 119.2, 25.5),
    "community": (119.0, 25.4, 119.05, 25.45),
    "grid": (119.0, 25.4, 119.025, 25.45),
    "grid2": (119.025, 25.4, 119.05, 25.45),
}


def _world():
    from dangjian.cases import services as cases
    from tests.cases.helpers import ensure_taxonomy
    from tests.orglife.helpers import people

    w = world_mod.build()
    for key, (x0, y0, x1, y1) in BOXES.items():
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        Area.objects.filter(pk=w.nodes[key].pk).update(
            boundary={"type": "Polygon", "coordinates": [ring]},
            min_lng=x0,
            min_lat=y0,
            max_lng=x1,
            max_lat=y1,
        )
    shapes.cache_clear()
    from dangjian.members.models import Member

    people(w.orgs["grid_branch"], 3)
    unit = w.nodes["unit"]  # they live in the grid, members of its branch
    Member.objects.filter(org=w.orgs["grid_branch"]).update(unit=unit, area_path=unit.path)
    ensure_taxonomy()
    for text in ("路灯不亮晚上很黑", "垃圾桶满了没人清"):
        ev = cases.event_create(
            actor=w.users["community"],
            area=w.nodes["grid"],
            description=text,
            lng=119.01,
            lat=25.42,
        )
        cases.event_transition(actor=w.users["admin"], event=ev, action="open")
    from dangjian.dashboard.rollups import engine

    engine.refresh(months=1)  # the map's figures are the roll-ups'
    return w


def _until(page, check, seconds=30, note=None):
    """Poll ``check`` (no page-side predicate: the content security policy forbids eval)."""
    for _ in range(seconds * 4):
        if check():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"timed out: {note() if note else ''}")


def _api(page, path):
    return page.evaluate(f"fetch({path!r}).then(r => r.json())")


@pytest.mark.django_db(transaction=True)
def test_street_user_map_and_big_screen(live_server, page):
    w = _world()
    totp = world_mod.enrol_totp(w.users["street"])  # may grant roles: a second factor
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/map/")
    page.fill("input[name=username]", "t-street")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.fill("input[name=otp]", world_mod.fresh_code(totp, "t-street"))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/")

    rows = page.locator("#map-table tbody tr")
    rows.first.wait_for()
    page.locator("#map canvas").first.wait_for()
    api = _api(page, "/api/v1/map/?figure=events_per_1000")
    assert [r.inner_text().split("\t")[0] for r in rows.all()] == [
        f["properties"]["name"] for f in api["features"]
    ]
    assert "凤凰山" not in page.locator("body").inner_text()

    page.select_option("#map-figure", "members")
    _until(
        page,
        lambda: page.locator("#map-table td.num[data-figure=members]").count() > 0,
        seconds=60,
        note=lambda: page.locator("#map-status").inner_text(),
    )
    api = _api(page, "/api/v1/map/?figure=members")
    shown = page.locator("#map-table td.num").first.inner_text()
    assert shown == str(api["features"][0]["properties"]["value"]) == "3"

    rows.first.click()  # 龙桥社区: drill down to its grids
    _until(page, lambda: page.locator("#map-node-name").inner_text() == "龙桥社区", seconds=60)
    page.locator("#map-table tbody tr", has_text="龙桥社区第一网格").click()
    card = page.locator("#grid-card")
    card.locator("h3", has_text="龙桥社区第一网格").wait_for()
    api_card = _api(page, f"/api/v1/map/grids/{w.nodes['grid'].pk}/card")
    assert card.locator("dd[data-field=户数]").inner_text() == str(api_card["households"])
    assert card.locator("dd[data-field=未办结事件]").inner_text() == "2"
    assert "t-grid" in card.inner_text()

    page.goto(f"{live_server.url}/screen/")
    _until(
        page,
        lambda: re.fullmatch(r"\d+", page.locator("[data-key=open_events]").inner_text()),
        seconds=60,
        note=lambda: page.locator("#screen-error").inner_text(),
    )
    summary = _api(page, "/api/v1/map/summary/")
    assert page.locator("[data-key=open_events]").inner_text() == str(summary["open_events"])
    assert page.locator("[data-key=members]").inner_text() == str(summary["members"]) == "3"
    # the figures are the roll-ups': the screen says when they were computed
    shown_at = page.locator("#screen-computed").inner_text()
    assert summary["computed_at"] and shown_at == summary["computed_at"][:16].replace("T", " ")
    page.locator("#screen-feed li", has_text="路灯不亮").wait_for()
    page.locator("#screen-map canvas").first.wait_for()
    assert page.locator("nav.sidebar").count() == 0
    page.screenshot(path="/tmp/dash-map-screen.png")
    assert not errors, errors
