"""The governance tree's administration pages: the area page (children, organizations,
people, history), the buttons by permission, and the forms for each action."""

from __future__ import annotations

import pytest

from dangjian.core.models import AuditEntry
from dangjian.territory import services
from dangjian.territory.models import Area
from tests.console.helpers import add_grids, count_queries, text
from tests.territory.helpers import snapshot

pytestmark = pytest.mark.django_db


def test_area_page_shows_children_orgs_people_history(world, as_user):
    services.area_update(actor=world.users["county"], area=world.community, population=3000)
    client = as_user(world.users["street"])
    r = client.get(f"/areas/{world.community.pk}/")
    body = text(r)
    assert r.status_code == 200
    assert "龙桥社区第一网格" in body and "龙桥社区第二网格" in body
    assert "中共龙桥社区委员会" in body
    assert 'id="area-people"' in body and "账号 <strong>4</strong> 个" in body
    assert "居住在此的在册党员 <strong>0</strong> 名" in body
    assert "修改区域" in body and "t-county" in body  # the history row
    # The street's staff manage there: every button.
    for label in ("新建下级区域", "调整隶属", "并入其他区域", "撤销"):
        assert label in body


def test_buttons_only_with_territory_manage(world, as_user):
    body = text(as_user(world.users["grid"]).get(f"/areas/{world.grid.pk}/"))
    assert 'id="area-actions"' not in body and "新建下级区域" not in body
    r = as_user(world.users["grid"]).get(f"/areas/{world.grid.pk}/edit/")
    assert r.status_code == 403


def test_area_page_query_count(world, as_user):
    add_grids(world.community, 25)
    client = as_user(world.users["county"])
    client.get(f"/areas/{world.community.pk}/")
    n, r = count_queries(client, f"/areas/{world.community.pk}/")
    assert "测试网格00" in text(r)
    assert n <= 15, n


def test_create_child_through_the_form(world, as_user):
    client = as_user(world.users["street"])
    r = client.get(f"/areas/{world.community.pk}/new/")
    assert r.status_code == 200
    # Only the kinds a community may hold are offered.
    assert 'value="grid"' in text(r) and 'value="street"' not in text(r)
    r = client.post(
        f"/areas/{world.community.pk}/new/",
        {"kind": "grid", "name": "龙桥社区第三网格", "code": "", "households": 0, "population": 0},
    )
    assert r.status_code == 302
    grid = Area.objects.get(name="龙桥社区第三网格")
    assert r["Location"] == f"/areas/{grid.pk}/" and grid.parent_id == world.community.pk


def test_service_refusal_lands_on_the_field(world, as_user):
    client = as_user(world.users["street"])
    before = snapshot()
    r = client.post(
        f"/areas/{world.community.pk}/new/",
        {
            "kind": "grid",
            "name": "某网格",
            "code": "350302001001",
            "households": 0,
            "population": 0,
        },
    )
    assert r.status_code == 422
    assert "网格没有行政区划代码，请留空" in text(r)
    r = client.post(f"/areas/{world.street.pk}/move/", {"parent": world.grid.pk})
    assert r.status_code == 422  # not offered: the form's choice refuses it
    assert snapshot() == before


def test_edit_move_merge_close_reopen(world, as_user):
    client = as_user(world.users["county"])
    r = client.post(
        f"/areas/{world.grid2.pk}/edit/",
        {"name": "龙桥社区二网格", "code": "", "households": 12, "population": 30},
    )
    assert r.status_code == 302
    grid2 = Area.objects.get(pk=world.grid2.pk)
    assert (grid2.name, grid2.households) == ("龙桥社区二网格", 12)
    r = client.get(f"/areas/{grid2.pk}/move/")
    assert f'value="{world.community2.pk}"' in text(r)
    r = client.post(f"/areas/{grid2.pk}/move/", {"parent": world.community2.pk})
    assert r.status_code == 302
    assert Area.objects.get(pk=grid2.pk).parent_id == world.community2.pk
    extra = services.area_create(
        actor=world.users["county"], parent=world.community2, name="临时网格", kind="grid"
    )
    r = client.get(f"/areas/{extra.pk}/merge/")
    assert f'value="{grid2.pk}"' in text(r) and f'value="{world.street.pk}"' not in text(r)
    r = client.post(f"/areas/{extra.pk}/merge/", {"into": grid2.pk, "reason": "合并网格"})
    assert r.status_code == 302 and r["Location"] == f"/areas/{grid2.pk}/"
    extra.refresh_from_db()
    assert extra.merged_into_id == grid2.pk and extra.closed_on
    # The closed area's page says so, and offers no reopening (it was merged).
    body = text(client.get(f"/areas/{extra.pk}/"))
    assert 'id="area-closed"' in body and "龙桥社区二网格" in body and "恢复区域" not in body
    # Left out of its parent's children unless asked.
    body = text(client.get(f"/areas/{world.community2.pk}/"))
    assert "临时网格" not in body
    assert "临时网格" in text(client.get(f"/areas/{world.community2.pk}/?include_closed=1"))
    assert "临时网格" not in text(client.get(f"/areas/{world.community2.pk}/children/"))
    # Close refused with the reason; then an empty one closes and reopens.
    r = client.post(f"/areas/{world.community.pk}/close/", {"reason": "撤销"})
    assert r.status_code == 409
    assert "尚有未撤销的下级区域" in text(r)
    r = client.post(f"/areas/{grid2.pk}/close/", {"reason": "网格调整"})
    assert r.status_code == 302
    assert "恢复区域" in text(client.get(f"/areas/{grid2.pk}/"))
    r = client.post(f"/areas/{grid2.pk}/reopen/")
    assert r.status_code == 302 and Area.objects.get(pk=grid2.pk).closed_on is None
    actions = set(
        AuditEntry.objects.filter(object_type="territory.area").values_list("action", flat=True)
    )
    assert {"area.update", "area.move", "area.merge", "area.close", "area.reopen"} <= actions


def test_outsider_gets_404_on_every_form(world, as_user):
    client = as_user(world.users["street3"])
    before = snapshot()
    for action in ("new", "edit", "move", "merge", "close"):
        assert client.get(f"/areas/{world.grid2.pk}/{action}/").status_code == 404
        assert client.post(f"/areas/{world.grid2.pk}/{action}/", {}).status_code == 404
    assert client.post(f"/areas/{world.grid2.pk}/reopen/").status_code == 404
    assert snapshot() == before


def test_closed_areas_are_offered_by_no_picker(world, as_user):
    client = as_user(world.users["street"])
    url = "/members/options/areas/?purpose=residence&q=第二网格"
    assert "龙桥社区第二网格" in text(client.get(url))
    services.area_close(actor=world.users["county"], area=world.grid2, reason="网格调整")
    assert "龙桥社区第二网格" not in text(client.get(url))
    # Nor as a new parent or a merge target on the area forms.
    extra = services.area_create(
        actor=world.users["county"], parent=world.community, name="临时网格", kind="grid"
    )
    assert f'value="{world.grid2.pk}"' not in text(client.get(f"/areas/{extra.pk}/merge/"))
