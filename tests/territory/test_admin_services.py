"""The governance tree's writes: create under the allowed kinds, move, merge, close, reopen;
each refusal with its message, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Forbidden
from dangjian.organizations.models import PartyOrg
from dangjian.territory import closing, services
from dangjian.territory.models import Area, AreaKind
from tests.territory.helpers import snapshot

pytestmark = pytest.mark.django_db


def _message(exc, field):
    return exc.value.message_dict[field][0]


def _root(admin, kind, name, code=""):
    """A new deployment's root (written by the set-up, ``actor=None``), the admin granted."""
    from dangjian.accounts import services as accounts

    root = services.area_create(actor=None, parent=None, name=name, kind=kind, code=code)
    accounts.grant_add(actor=None, user=admin, role_code="system_admin", area=root)
    admin.refresh_from_db()
    return root


# --- the kinds a tree may hold ------------------------------------------------------------------
def test_county_level_city_root_holds_townships_and_streets(world):
    admin = world.users["admin"]
    yongan = _root(admin, AreaKind.CITY, "永安市", "350481")
    town = services.area_create(
        actor=admin, parent=yongan, name="槐南镇", kind=AreaKind.TOWNSHIP, code="350481100000"
    )
    street = services.area_create(
        actor=admin, parent=yongan, name="燕西街道", kind=AreaKind.STREET, code="350481001000"
    )
    # Yong'an: village, then 片区 grids, then unit grids of 80–120 households.
    village = services.area_create(actor=admin, parent=town, name="洪田村", kind=AreaKind.VILLAGE)
    grid = services.area_create(actor=admin, parent=village, name="洪田片区", kind=AreaKind.GRID)
    unit = services.area_create(actor=admin, parent=grid, name="第一单元网格", kind=AreaKind.UNIT)
    assert [a.level for a in (yongan, town, street, village, grid, unit)] == [1, 3, 3, 4, 5, 6]


def test_a_deployment_may_leave_levels_out(world):
    admin = world.users["admin"]
    county = _root(admin, AreaKind.COUNTY, "某县")
    town = services.area_create(actor=admin, parent=county, name="某镇", kind=AreaKind.TOWNSHIP)
    grid = services.area_create(actor=admin, parent=town, name="镇区网格", kind=AreaKind.GRID)
    community = services.area_create(
        actor=admin, parent=town, name="某社区", kind=AreaKind.COMMUNITY
    )
    unit = services.area_create(actor=admin, parent=community, name="1栋", kind=AreaKind.UNIT)
    assert grid.parent_id == town.pk and unit.parent_id == community.pk


@pytest.mark.parametrize(
    ("parent_key", "kind", "message"),
    [
        ("street", AreaKind.STREET, "街道下不能设立街道"),
        ("city", AreaKind.GRID, "市下不能设立网格"),
        ("township", AreaKind.COUNTY, "乡镇下不能设立县(区)"),
        ("unit", AreaKind.UNIT, "单元下不能设立单元"),
    ],
)
def test_kinds_out_of_order_are_refused(world, parent_key, kind, message):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.area_create(
            actor=world.users["admin"], parent=world.nodes[parent_key], name="某区域", kind=kind
        )
    assert _message(exc, "kind") == message
    assert snapshot() == before


def test_a_root_street_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.area_create(actor=None, parent=None, name="孤立街道", kind=AreaKind.STREET)
    assert _message(exc, "kind") == "顶层下不能设立街道"


def test_staff_do_not_create_roots(world):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.area_create(actor=world.users["admin"], parent=None, name="某市", kind="city")
    assert _message(exc, "parent") == "请选择上级区域（顶层区域在部署时初始化）"
    assert snapshot() == before


# --- scope ---------------------------------------------------------------------------------------
def test_a_street_cannot_create_under_or_move_another_streets_areas(world):
    outsider = world.users["street3"]
    before = snapshot()
    with pytest.raises(Http404):
        services.area_create(
            actor=outsider, parent=world.community, name="越界网格", kind=AreaKind.GRID
        )
    with pytest.raises(Http404):
        services.area_move(actor=outsider, area=world.grid2, new_parent=world.community2)
    with pytest.raises(Http404):
        services.area_move(actor=world.users["street"], area=world.grid2, new_parent=world.street3)
    # Visible but not managed: the grid worker sees the grid, may not change it.
    with pytest.raises(Forbidden):
        services.area_update(actor=world.users["grid"], area=world.grid, name="改名")
    assert snapshot() == before


def test_a_street_creates_and_moves_within_its_street(world):
    street = world.users["street"]
    grid = services.area_create(
        actor=street, parent=world.community, name="龙桥社区第三网格", kind=AreaKind.GRID
    )
    other = services.area_create(
        actor=street, parent=world.street, name="龙桥新社区", kind=AreaKind.COMMUNITY
    )
    moved = services.area_move(actor=street, area=grid, new_parent=other)
    assert moved.parent_id == other.pk and moved.path.startswith(other.path)


# --- move ----------------------------------------------------------------------------------------
def test_move_into_its_own_subtree_is_refused(world):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.area_move(actor=world.users["admin"], area=world.street, new_parent=world.grid)
    assert _message(exc, "parent") == "不能把区域移动到它自身或其下级之下"
    with pytest.raises(ValidationError) as exc:
        services.area_move(actor=world.users["admin"], area=world.street, new_parent=world.street)
    assert _message(exc, "parent") == "不能把区域移动到它自身或其下级之下"
    assert snapshot() == before


def test_move_under_a_closed_area_is_refused(world):
    admin = world.users["admin"]
    empty = services.area_create(
        actor=admin, parent=world.street2, name="待撤销社区", kind=AreaKind.COMMUNITY
    )
    services.area_close(actor=admin, area=empty, reason="区划调整")
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.area_move(actor=admin, area=world.grid2, new_parent=empty)
    assert "已于" in _message(exc, "parent") and "撤销" in _message(exc, "parent")
    with pytest.raises(ValidationError) as exc:
        services.area_create(actor=admin, parent=empty, name="新网格", kind=AreaKind.GRID)
    assert _message(exc, "parent") == (
        f"区域“待撤销社区”已于{timezone.localdate().isoformat()}撤销，不能再接收下级区域或新的记录"
    )
    assert snapshot() == before


# --- merge ---------------------------------------------------------------------------------------
def test_merge_moves_children_and_rows_and_closes_the_merged_area(world):
    admin = world.users["admin"]
    b, a = world.community, world.community2
    Area.objects.filter(pk=b.pk).update(households=120, population=350)
    Area.objects.filter(pk=a.pk).update(households=80, population=200)
    b_org = world.orgs["community_committee"]
    grid_ids = set(Area.objects.filter(parent=b).values_list("pk", flat=True))
    merged_into = services.area_merge(actor=admin, area=b, into=a, reason="社区合并")
    assert merged_into.pk == a.pk
    a.refresh_from_db()
    b.refresh_from_db()
    assert set(Area.objects.filter(parent=a).values_list("pk", flat=True)) == grid_ids
    assert b.child_count == 0 and a.child_count == len(grid_ids)
    for grid in Area.objects.filter(pk__in=grid_ids):
        assert grid.path.startswith(a.path)
    unit = Area.objects.get(pk=world.unit.pk)
    assert unit.path.startswith(a.path)
    # The organization anchored at B itself now serves A.
    b_org.refresh_from_db()
    assert (b_org.area_id, b_org.area_path) == (a.pk, a.path)
    assert PartyOrg.objects.get(pk=world.orgs["unit_group"].pk).area_path == unit.path
    # Counts follow; B is closed, pointing at A.
    assert (a.households, a.population) == (200, 550)
    assert (b.households, b.population) == (0, 0)
    assert b.closed_on == timezone.localdate() and b.closed_reason == "社区合并"
    assert b.merged_into_id == a.pk
    entry = AuditEntry.objects.get(action="area.merge", object_id=str(b.pk))
    assert len(entry.after["children_moved"]) == len(grid_ids)
    assert AuditEntry.objects.filter(action="area.merge_in", object_id=str(a.pk)).exists()


def test_merge_leaves_grants_on_the_merged_area(world):
    from dangjian.accounts.models import Grant

    admin = world.users["admin"]
    grid_worker = world.users["grid"]
    b = services.area_create(actor=admin, parent=world.community, name="小网格", kind="grid")
    from dangjian.accounts import services as accounts

    accounts.grant_add(actor=None, user=grid_worker, role_code="grid_worker", area=b)
    services.area_merge(actor=admin, area=b, into=world.grid2)
    assert Grant.objects.filter(user=grid_worker, area=b).exists()
    assert not Grant.objects.filter(user=grid_worker, area=world.grid2).exists()


@pytest.mark.parametrize(
    ("b_key", "a_key", "message"),
    [
        ("community", "street2", "只能并入同类区域：“龙桥社区”是社区，“凤凰山街道”是街道"),
        ("street", "community", "不能把区域并入它自身的下级区域"),
        ("street", "street", "不能把区域并入它自身"),
        ("city", "county", "顶层区域不能并入其他区域"),
    ],
)
def test_merge_refusals(world, b_key, a_key, message):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.area_merge(
            actor=world.users["admin"], area=world.nodes[b_key], into=world.nodes[a_key]
        )
    assert _message(exc, "into") == message
    assert snapshot() == before


def test_merge_into_a_closed_area_or_out_of_scope_is_refused(world):
    admin = world.users["admin"]
    closed = services.area_create(
        actor=admin, parent=world.street2, name="旧社区", kind="community"
    )
    services.area_close(actor=admin, area=closed, reason="撤并")
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.area_merge(actor=admin, area=world.community2, into=closed)
    assert "已于" in _message(exc, "into")
    with pytest.raises(Conflict) as conflict:
        services.area_merge(actor=admin, area=closed, into=world.community2)
    assert "请先恢复" in conflict.value.message
    # The street's staff reach their community but not the other street's.
    with pytest.raises(Http404):
        services.area_merge(
            actor=world.users["street"], area=world.community, into=world.community2
        )
    assert snapshot() == before


# --- close and reopen ---------------------------------------------------------------------------
def test_close_is_refused_naming_what_is_still_there(world):
    admin = world.users["admin"]
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        services.area_close(actor=admin, area=world.community, reason="撤销")
    assert exc.value.message == "“龙桥社区”尚有未撤销的下级区域2个、未撤销的党组织3个，不能撤销"
    assert snapshot() == before


def test_close_counts_living_members_and_open_events(world):
    from tests.cases.helpers import ensure_taxonomy, report
    from tests.members.helpers import member

    ensure_taxonomy()
    admin = world.users["admin"]
    member(admin, world.orgs["grid_branch"], unit=world.grid2)
    report(world.users["street"], area=world.grid2)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        services.area_close(actor=admin, area=world.grid2, reason="撤销")
    assert (
        exc.value.message == "“龙桥社区第二网格”尚有居住在此的在册党员1名、未办结事件1件，不能撤销"
    )
    assert snapshot() == before


def test_close_refusals_on_the_form(world):
    admin = world.users["admin"]
    with pytest.raises(ValidationError) as exc:
        services.area_close(actor=admin, area=world.grid2, reason="  ")
    assert _message(exc, "reason") == "请填写撤销原因"
    with pytest.raises(ValidationError) as exc:
        services.area_close(
            actor=admin,
            area=world.grid2,
            reason="撤销",
            closed_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert _message(exc, "closed_on") == "撤销日期不能晚于今天"
    with pytest.raises(Conflict) as conflict:
        services.area_close(actor=admin, area=world.city, reason="撤销")
    assert conflict.value.message == "顶层区域不能撤销"
    with pytest.raises(Forbidden):
        services.area_close(actor=world.users["grid"], area=world.grid, reason="撤销")


def test_closed_area_stays_and_reopens(world):
    admin = world.users["admin"]
    grid2 = services.area_close(actor=admin, area=world.grid2, reason="网格调整")
    assert Area.objects.filter(pk=grid2.pk).exists() and grid2.closed_on == timezone.localdate()
    with pytest.raises(Conflict) as exc:
        services.area_close(actor=admin, area=grid2, reason="再次撤销")
    assert "请先恢复" in exc.value.message
    with pytest.raises(Conflict):
        services.area_update(actor=admin, area=grid2, name="新名")
    with pytest.raises(Conflict):
        services.area_move(actor=admin, area=grid2, new_parent=world.community2)
    reopened = services.area_reopen(actor=admin, area=grid2)
    assert reopened.closed_on is None and reopened.closed_reason == ""
    with pytest.raises(Conflict) as exc:
        services.area_reopen(actor=admin, area=grid2)
    assert exc.value.message == "区域“龙桥社区第二网格”未撤销"
    actions = list(
        AuditEntry.objects.filter(object_id=str(grid2.pk), object_type="territory.area")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["area.close", "area.reopen"]


def test_a_merged_area_does_not_reopen(world):
    admin = world.users["admin"]
    b = services.area_create(actor=admin, parent=world.community, name="小网格", kind="grid")
    services.area_merge(actor=admin, area=b, into=world.grid2)
    with pytest.raises(Conflict) as exc:
        services.area_reopen(actor=admin, area=b)
    assert exc.value.message == "区域“小网格”已并入“龙桥社区第二网格”，不能恢复"


def test_blockers_are_registered_by_the_apps():
    names = {fn.__module__ for fn in closing.close_blockers()}
    assert {"dangjian.cases.apps", "dangjian.members.apps", "dangjian.organizations.apps"} <= names


def test_a_closed_grid_takes_no_new_event(world):
    from tests.cases.helpers import ensure_taxonomy, report

    ensure_taxonomy()
    services.area_close(actor=world.users["admin"], area=world.grid2, reason="网格调整")
    with pytest.raises(ValidationError) as exc:
        report(world.users["street"], area=world.grid2)
    assert _message(exc, "area_id") == (
        f"“龙桥社区第二网格”已于{timezone.localdate().isoformat()}撤销，不能上报事件"
    )


def test_merge_refused_when_rows_would_clash_writes_nothing(world):
    from dangjian.accounts.models import Department

    for node in (world.community, world.community2):
        Department.objects.create(name="社区综治中心", area=node, area_path=node.path)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        services.area_merge(actor=world.users["admin"], area=world.community, into=world.community2)
    assert exc.value.message == (
        "“龙桥社区”的记录与“凤山社区”已有的记录重复（如同名的职能部门），请先处理后再合并"
    )
    assert snapshot() == before
