"""``/api/v1/areas/``: create, change, move, merge, close, reopen, history; the shapes, the
Chinese messages, 403/404/409/422, and the closed areas left out of the lists."""

from __future__ import annotations

import json

import pytest

from dangjian.territory.models import Area, AreaKind
from tests.territory.helpers import snapshot

pytestmark = pytest.mark.django_db

BASE = "/api/v1/areas/"
OUT_KEYS = {
    "id",
    "name",
    "kind",
    "kind_label",
    "level",
    "path",
    "parent_id",
    "child_count",
    "code",
    "households",
    "population",
    "closed_on",
    "closed_reason",
    "merged_into_id",
}


def warm(api, world):
    """Issue every user's token first (issuing one writes an audit row)."""
    for user in world.users.values():
        api._headers(user)


def patch(api, user, path, data):
    return api.client.patch(
        path, json.dumps(data), content_type="application/json", headers=api._headers(user)
    )


def test_create_answers_the_area(api, world):
    r = api.post(
        world.users["street"],
        BASE,
        {"parent_id": world.community.pk, "name": "龙桥社区第三网格", "kind": "grid"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == OUT_KEYS
    assert body["kind_label"] == "网格" and body["parent_id"] == world.community.pk
    assert body["closed_on"] is None and body["level"] == 5


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "某网格", "kind": "street"}, "kind", "社区下不能设立街道"),
        ({"name": " ", "kind": "grid"}, "name", "名称不能为空"),
        ({"name": "某网格", "kind": "grid", "code": "350302001001"}, "code", None),
        ({"name": "某网格", "kind": "grid", "households": -1}, "households", "户数不能为负数"),
        ({"kind": "grid"}, "name", "此项为必填项"),
    ],
)
def test_create_refusals_name_the_field(api, world, data, field, message):
    warm(api, world)
    before = snapshot()
    r = api.post(world.users["street"], BASE, {"parent_id": world.community.pk, **data})
    assert r.status_code == 422, r.content
    errors = r.json()["errors"]
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert snapshot() == before


def test_create_out_of_scope_or_without_the_right(api, world):
    warm(api, world)
    before = snapshot()
    data = {"parent_id": world.community.pk, "name": "越界网格", "kind": "grid"}
    assert api.post(world.users["street3"], BASE, data).status_code == 404
    r = api.post(world.users["grid"], BASE, {**data, "parent_id": world.grid.pk, "kind": "unit"})
    assert r.status_code == 403
    assert api.post(None, BASE, data).status_code == 401
    r = api.post(world.users["admin"], BASE, {"name": "某市", "kind": "city"})
    assert r.status_code == 422
    assert r.json()["errors"]["parent"] == ["请选择上级区域（顶层区域在部署时初始化）"]
    assert snapshot() == before


def test_patch_renames_and_recodes(api, world):
    r = patch(api, world.users["county"], f"{BASE}{world.street2.pk}", {"name": "凤凰街道"})
    assert r.status_code == 200 and r.json()["name"] == "凤凰街道"
    r = patch(api, world.users["county"], f"{BASE}{world.street2.pk}", {"code": "350302002000"})
    assert r.status_code == 200 and r.json()["code"] == "350302002000"
    warm(api, world)
    before = snapshot()
    r = patch(api, world.users["county"], f"{BASE}{world.street2.pk}", {"code": "350303002000"})
    assert r.status_code == 422
    assert r.json()["errors"]["code"] == ["区划代码应以上级县(区)的区划代码350302开头"]
    r = patch(api, world.users["street3"], f"{BASE}{world.street2.pk}", {"name": "越界"})
    assert r.status_code == 404
    assert snapshot() == before


def test_move_and_its_refusals(api, world):
    street = world.users["street"]
    warm(api, world)
    before = snapshot()
    r = api.post(street, f"{BASE}{world.community.pk}/move", {"parent_id": world.grid.pk})
    assert r.status_code == 422
    assert r.json()["errors"]["parent"] == ["不能把区域移动到它自身或其下级之下"]
    r = api.post(street, f"{BASE}{world.grid2.pk}/move", {"parent_id": world.community2.pk})
    assert r.status_code == 404  # the other street's community is out of the street's reach
    r = api.post(world.users["street3"], f"{BASE}{world.grid2.pk}/move", {"parent_id": 1})
    assert r.status_code == 404
    assert snapshot() == before
    r = api.post(
        world.users["county"], f"{BASE}{world.grid2.pk}/move", {"parent_id": world.community2.pk}
    )
    assert r.status_code == 200
    assert r.json()["parent_id"] == world.community2.pk
    assert r.json()["path"].startswith(world.community2.path)


def test_merge_answers_the_area_merged_into(api, world):
    county = world.users["county"]
    warm(api, world)
    before = snapshot()
    r = api.post(county, f"{BASE}{world.community.pk}/merge", {"into_id": world.street2.pk})
    assert r.status_code == 422
    assert r.json()["errors"]["into"] == ["只能并入同类区域：“龙桥社区”是社区，“凤凰山街道”是街道"]
    assert snapshot() == before
    r = api.post(county, f"{BASE}{world.community.pk}/merge", {"into_id": world.community2.pk})
    assert r.status_code == 200, r.content
    assert r.json()["id"] == world.community2.pk
    assert r.json()["child_count"] == 2
    merged = api.get(county, f"{BASE}{world.community.pk}").json()
    assert merged["merged_into_id"] == world.community2.pk and merged["closed_on"]


def test_close_409_names_what_is_left_then_closes(api, world):
    admin = world.users["admin"]
    warm(api, world)
    before = snapshot()
    r = api.post(admin, f"{BASE}{world.community.pk}/close", {"reason": "撤销"})
    assert r.status_code == 409
    assert r.json()["detail"] == "“龙桥社区”尚有未撤销的下级区域2个、未撤销的党组织3个，不能撤销"
    r = api.post(admin, f"{BASE}{world.grid2.pk}/close", {})
    assert r.status_code == 422 and r.json()["errors"]["reason"] == ["此项为必填项"]
    assert snapshot() == before
    r = api.post(admin, f"{BASE}{world.grid2.pk}/close", {"reason": "网格调整"})
    assert r.status_code == 200
    assert r.json()["closed_reason"] == "网格调整" and r.json()["closed_on"]
    # Left out of the children list, the search and the pickers; there with include_closed.
    ids = [a["id"] for a in api.get(admin, BASE, parent=world.community.pk).json()["items"]]
    assert world.grid2.pk not in ids and world.grid.pk in ids
    listed = api.get(admin, BASE, parent=world.community.pk, include_closed=1).json()
    assert world.grid2.pk in [a["id"] for a in listed["items"]] and listed["count"] == 2
    found = api.get(admin, BASE, q="第二网格").json()
    assert found["count"] == 0
    found = api.get(admin, BASE, q="第二网格", include_closed=1).json()
    assert [a["id"] for a in found["items"]] == [world.grid2.pk]
    # 0 or 1 as documented; another value is refused on the field (-1 was read as 0).
    assert api.get(admin, BASE, parent=world.community.pk, include_closed=0).json()["count"] == 1
    r = api.get(admin, BASE, parent=world.community.pk, include_closed=-1)
    assert r.status_code == 422 and r.json()["errors"]["include_closed"] == ["取值不在允许范围内"]
    # The detail still answers; a second close is a conflict; reopen puts it back.
    assert api.get(admin, f"{BASE}{world.grid2.pk}").status_code == 200
    r = api.post(admin, f"{BASE}{world.grid2.pk}/close", {"reason": "再次"})
    assert r.status_code == 409
    r = api.post(admin, f"{BASE}{world.grid2.pk}/reopen")
    assert r.status_code == 200 and r.json()["closed_on"] is None
    assert api.post(world.users["street3"], f"{BASE}{world.grid2.pk}/reopen").status_code == 404


def test_history_lists_the_areas_audit_rows(api, world, django_assert_max_num_queries):
    county = world.users["county"]
    patch(api, county, f"{BASE}{world.grid2.pk}", {"name": "龙桥社区二网格"})
    api.post(county, f"{BASE}{world.grid2.pk}/close", {"reason": "网格调整"})
    url = f"{BASE}{world.grid2.pk}/history"
    with django_assert_max_num_queries(8):
        r = api.get(county, url)
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2
    assert [e["action"] for e in body["items"]] == ["area.close", "area.update"]
    assert body["items"][0]["action_label"] == "撤销区域"
    assert body["items"][1]["after"]["name"] == "龙桥社区二网格"
    assert body["items"][1]["before"]["name"] == "龙桥社区第二网格"
    assert body["items"][0]["actor"] == "t-county"
    assert api.get(world.users["street3"], url).status_code == 404
    assert api.get(None, url).status_code == 401


def test_children_list_query_count(api, world, django_assert_max_num_queries):
    admin = world.users["admin"]
    for i in range(5):
        Area.objects.create(
            parent=world.community,
            path=f"{world.community.path}Z{i:03d}",
            depth=world.community.depth + 1,
            name=f"临时网格{i}",
            kind=AreaKind.GRID,
            level=5,
        )
    api.get(admin, BASE, parent=world.community.pk)  # the grants cache and compiled statements
    with django_assert_max_num_queries(6):
        r = api.get(admin, BASE, parent=world.community.pk, include_closed=1)
    assert r.json()["count"] == 7
    with django_assert_max_num_queries(6):
        r = api.get(admin, BASE, q="临时网格", page_size=200)
    assert r.json()["count"] == 5
