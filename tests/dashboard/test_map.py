"""The one map: GeoJSON of a node's children coloured by a figure, the events layer, a grid's
card; scoped (a street sees nothing of another street, 404 above its grant)."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from dangjian.cases import services as cases
from dangjian.dashboard.geo import shapes
from dangjian.dashboard.rollups import engine
from dangjian.territory.models import Area, AreaKind
from tests.cases.helpers import ensure_taxonomy

pytestmark = pytest.mark.django_db


def _square(x0, y0, x1, y1):
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


@pytest.fixture
def bounded(world):
    """Boxes for the first county's chain (two grids side by side in the community)."""
    boxes = {
        "county": (119.0, 25.4, 119.2, 25.6),
        "street": (119.0, 25.4, 119.1, 25.5),
        "street2": (119.1, 25.4, 119.2, 25.5),
        "township": (119.0, 25.5, 119.2, 25.6),
        "community": (119.0, 25.4, 119.05, 25.45),
        "grid": (119.0, 25.4, 119.025, 25.45),
        "grid2": (119.025, 25.4, 119.05, 25.45),
    }
    for key, (x0, y0, x1, y1) in boxes.items():
        Area.objects.filter(pk=world.nodes[key].pk).update(
            boundary=_square(x0, y0, x1, y1), min_lng=x0, min_lat=y0, max_lng=x1, max_lat=y1
        )
    shapes.cache_clear()
    return world


def _event(world, description, *, lng=119.01, lat=25.42, area_key="grid", opened=True):
    ensure_taxonomy()
    ev = cases.event_create(
        actor=world.users["community"],
        area=world.nodes[area_key],
        description=description,
        lng=lng,
        lat=lat,
    )
    if opened:
        ev = cases.event_transition(actor=world.users["admin"], event=ev, action="open")
    return ev


def test_map_of_a_street_is_geojson_of_its_children(bounded, api):
    w = bounded
    r = api.get(w.users["street"], "/api/v1/map/", figure="members")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["node"]["id"] == w.nodes["street"].pk
    assert body["parent"] is None  # the county is above the street's grant
    [feature] = body["features"]
    assert feature["type"] == "Feature"
    assert feature["properties"]["name"] == "龙桥社区"
    assert feature["properties"]["drill"] is True
    geom = shape(feature["geometry"])
    assert geom.is_valid and geom.geom_type == "Polygon"


def test_community_map_has_its_grids_not_overlapping(bounded, api):
    w = bounded
    r = api.get(w.users["street"], "/api/v1/map/", node=w.nodes["community"].pk)
    assert r.status_code == 200
    body = r.json()
    assert body["parent"]["id"] == w.nodes["street"].pk
    names = [f["properties"]["name"] for f in body["features"]]
    assert names == ["龙桥社区第一网格", "龙桥社区第二网格"]
    a, b = (shape(f["geometry"]) for f in body["features"])
    assert a.intersection(b).area == 0
    assert all(f["properties"]["drill"] is False for f in body["features"])


def test_grid_node_answers_itself(bounded, api):
    w = bounded
    engine.refresh(months=1)
    r = api.get(w.users["grid"], "/api/v1/map/", node=w.nodes["grid"].pk, figure="overdue")
    assert r.status_code == 200
    [feature] = r.json()["features"]
    assert feature["properties"]["id"] == w.nodes["grid"].pk
    assert feature["properties"]["value"] == 0


def test_street_sees_nothing_of_another_street(bounded, api):
    w = bounded
    outsider = w.users["street3"]
    for key in ("street", "community", "grid", "county", "city"):
        r = api.get(outsider, "/api/v1/map/", node=w.nodes[key].pk)
        assert r.status_code == 404, key
        assert r.json() == {"detail": "未找到"}
    r = api.get(outsider, f"/api/v1/map/grids/{w.nodes['grid'].pk}/card")
    assert r.status_code == 404
    _event(w, "越界地图事件：井盖缺失")
    r = api.get(outsider, "/api/v1/map/events/")
    assert r.status_code == 200 and r.json()["count"] == 0
    r = api.get(outsider, "/api/v1/map/", figure="events_per_1000")
    assert "龙桥" not in r.content.decode()


def test_figures_count_events_members_and_overdue(bounded, api):
    w = bounded
    Area.objects.filter(pk=w.nodes["community"].pk).update(households=500)
    Area.objects.filter(pk=w.nodes["grid"].pk).update(households=250)
    _event(w, "路灯不亮，晚上很黑")
    _event(w, "垃圾桶满了没人清", lng=119.03, area_key="grid2")
    _event(w, "只是采集未立案", opened=False)
    r = api.get(w.users["street"], "/api/v1/map/", figure="events_per_1000")
    assert r.json()["features"][0]["properties"]["value"] is None  # not yet computed
    engine.refresh(months=1)  # the map reads the roll-ups
    r = api.get(w.users["street"], "/api/v1/map/", figure="events_per_1000")
    assert r.json()["computed_at"]
    [community] = r.json()["features"]
    assert community["properties"]["events"] == 2
    assert community["properties"]["value"] == 4.0  # 2 per 500 households
    r = api.get(
        w.users["street"], "/api/v1/map/", node=w.nodes["community"].pk, figure="events_per_1000"
    )
    by_name = {f["properties"]["name"]: f["properties"] for f in r.json()["features"]}
    assert by_name["龙桥社区第一网格"]["events"] == 1
    assert by_name["龙桥社区第一网格"]["value"] == 4.0
    assert by_name["龙桥社区第二网格"]["value"] is None  # no households recorded
    r = api.get(w.users["street"], "/api/v1/map/events/", node=w.nodes["community"].pk)
    assert r.json()["count"] == 2
    item = r.json()["items"][0]
    assert {"id", "lng", "lat", "description", "overdue", "state_label"} <= set(item)


def test_grid_card(bounded, api):
    w = bounded
    _event(w, "楼道堆放杂物")
    r = api.get(w.users["street"], f"/api/v1/map/grids/{w.nodes['grid'].pk}/card")
    assert r.status_code == 200, r.content
    card = r.json()
    assert card["name"] == "龙桥社区第一网格"
    assert card["workers"] == ["t-grid"]
    assert card["branch"]["name"] == "龙桥社区第一网格党支部"
    assert card["households"] == 300
    assert card["open_events"] == 1
    assert card["events"][0]["description"] == "楼道堆放杂物"
    r = api.get(w.users["street"], f"/api/v1/map/grids/{w.nodes['community'].pk}/card")
    assert r.status_code == 422


@pytest.mark.parametrize(
    "params,field",
    [({"figure": "gdp"}, "figure"), ({"zoom": 0}, "zoom"), ({"zoom": 99}, "zoom")],
)
def test_bad_parameters_are_422_in_chinese(bounded, api, params, field):
    r = api.get(bounded.users["street"], "/api/v1/map/", **params)
    assert r.status_code == 422
    assert field in r.content.decode()


def test_zoom_simplifies_and_rounds(bounded):
    wiggly = {
        "type": "Polygon",
        "coordinates": [
            [[119.0 + i * 0.0001, 25.4 + (i % 2) * 0.00001] for i in range(200)]
            + [[119.02, 25.45], [119.0, 25.45], [119.0, 25.4]]
        ],
    }
    coarse = shapes.simplify(wiggly, 1)
    fine = shapes.simplify(wiggly, 6)
    assert len(coarse["coordinates"][0]) < 10 < len(fine["coordinates"][0])
    assert shape(coarse).is_valid


def test_map_query_count_is_flat(bounded, api, django_assert_max_num_queries):
    w = bounded
    for i in range(3):
        _event(w, f"事件{i}号：路面破损")
    user = w.users["county"]
    api.get(user, "/api/v1/map/")  # token issued, grants cached
    for figure in ("events_per_1000", "overdue", "members"):
        with django_assert_max_num_queries(10):
            assert api.get(user, "/api/v1/map/", figure=figure).status_code == 200
    with django_assert_max_num_queries(10):
        assert api.get(user, "/api/v1/map/events/").status_code == 200


def test_demo_boundaries_tile_their_parents():
    """Every demo grid, community and street lies inside its parent and overlaps no sibling."""
    from dangjian.demo.generator import seed

    seed("small", progress=False, modules=())
    areas = list(Area.objects.exclude(kind=AreaKind.UNIT).order_by("path"))
    by_path = {a.path: a for a in areas}
    kids: dict[str, list] = {}
    for a in areas:
        if a.parent_id:
            kids.setdefault(a.path[:-4], []).append(a)
    grids = [a for a in areas if a.kind == AreaKind.GRID]
    assert grids and all(g.boundary for g in grids)
    for parent_path, children in kids.items():
        parent = shape(by_path[parent_path].boundary).buffer(1e-6)
        polys = [shape(c.boundary) for c in children]
        for i, p in enumerate(polys):
            assert p.is_valid and p.area > 0
            assert p.within(parent), children[i].name
            for q in polys[i + 1 :]:
                assert p.intersection(q).area < 1e-10


def test_summary_key_figures(bounded, api):
    w = bounded
    from tests.orglife.helpers import people

    people(w.orgs["grid_branch"], 2)
    people(w.orgs["street2_wc"], 5)
    _event(w, "消防通道被占用")
    r = api.get(w.users["street"], "/api/v1/map/summary/")
    assert r.json()["computed_at"] is None and r.json()["open_events"] is None  # not yet
    engine.refresh(months=1)  # the summary reads the roll-ups
    r = api.get(w.users["street"], "/api/v1/map/summary/")
    assert r.status_code == 200
    s = r.json()
    assert s["node"]["name"] == "龙桥街道"
    assert s["members"] == 2
    assert s["grids"] == 2
    assert s["open_events"] == 1 and s["opened_this_year"] == 1
    r = api.get(w.users["street"], "/api/v1/map/summary/", node=w.nodes["street2"].pk)
    assert r.status_code == 404


def test_console_map_and_screen_pages(bounded, client):
    w = bounded
    client.force_login(w.users["street"])
    r = client.get("/map/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "echarts/echarts.min.js" in html and "dashboard/map.js" in html
    assert "<script>" not in html  # no inline script (CSP)
    r = client.get("/screen/")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'class="sidebar"' not in html  # no menus
    assert "dashboard/screen.js" in html and "<script>" not in html
    assert client.get(f"/screen/?node={w.nodes['county'].pk}").status_code == 404
    assert client.get("/map/?node=abc").status_code == 404


@pytest.mark.parametrize(
    "figure,code",
    [("members", "members"), ("overdue", "events_overdue_open"), ("compliance", None)],
)
def test_map_figures_are_the_dashboards(bounded, api, figure, code):
    """The map answers from the roll-ups what the dashboard answers for each child."""
    from tests.members.helpers import member as make_member

    w = bounded
    make_member(w.users["admin"], w.orgs["grid_branch"])
    make_member(w.users["admin"], w.orgs["grid_branch"], name="李四")
    _event(w, "路灯不亮，晚上很黑")
    engine.refresh(months=1)
    user = w.users["county"]
    dash = api.get(user, "/api/v1/dashboard/", node=w.nodes["county"].pk).json()["items"][0]
    mapped = api.get(user, "/api/v1/map/", node=w.nodes["county"].pk, figure=figure).json()
    by_id = {f["properties"]["id"]: f["properties"]["value"] for f in mapped["features"]}
    assert set(by_id) == {c["id"] for c in dash["children"]}
    for child in dash["children"]:
        if code:
            want = next(f["value"] for f in child["figures"] if f["code"] == code)
        else:
            rate = next(r["value"] for r in child["ratios"] if r["code"] == "orglife_compliance")
            want = None if rate is None else float(rate)
        assert by_id[child["id"]] == want, child["name"]
    street = next(c for c in dash["children"] if c["id"] == w.nodes["street"].pk)
    assert by_id[street["id"]] == (2 if figure == "members" else by_id[street["id"]])
