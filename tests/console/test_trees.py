"""The tree browser: topmost nodes, htmx children, search, node pages, scope, query counts."""

import pytest

from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area, AreaKind
from tests import world as world_mod
from tests.console.helpers import add_branches, add_grids, count_queries, text

pytestmark = pytest.mark.django_db


# --- lists ---------------------------------------------------------------------------------


def test_street_user_sees_only_their_street_at_the_top(world, as_user):
    client = as_user(world.users["street"])
    r = client.get("/areas/")
    assert r.status_code == 200
    body = text(r)
    assert "区域树" in body
    assert "龙桥街道" in body
    assert "街道" in body  # kind label
    assert "下级 1 个" in body
    assert f'hx-get="/areas/{world.street.pk}/children/"' in body
    assert "展开" in body
    for foreign in ("莆田市", "城厢区", "凤凰山街道", "荔城区", "镇海街道"):
        assert foreign not in body


def test_city_user_sees_the_city(world, as_user):
    body = text(as_user(world.users["city"]).get("/areas/"))
    assert "莆田市" in body
    assert "龙桥街道" not in body  # only the topmost node; children load on demand


def test_user_without_reach_sees_an_empty_tree(world, as_user):
    r = as_user(world.users["nobody"]).get("/areas/")
    assert r.status_code == 200
    assert "您没有可查看的区域" in text(r)


def test_org_list_is_scoped(world, as_user):
    body = text(as_user(world.users["street"]).get("/orgs/"))
    assert "组织树" in body
    assert "中共龙桥街道工作委员会" in body
    assert "党工委" in body
    for foreign in ("中共莆田市委", "中共城厢区委", "中共凤凰山街道工作委员会"):
        assert foreign not in body


def test_list_is_paginated_twenty_a_page(world, as_user):
    add_grids(world.community, 25, prefix="分页网格")
    client = as_user(world.users["street"])
    body = text(client.get("/areas/?q=分页网格"))
    assert "分页网格00" in body and "分页网格19" in body
    assert "分页网格20" not in body
    assert "共 25 条" in body
    assert "q=%E5%88%86%E9%A1%B5%E7%BD%91%E6%A0%BC&amp;page=2" in body
    body2 = text(client.get("/areas/?q=分页网格&page=2"))
    assert "分页网格20" in body2 and "分页网格24" in body2
    assert "分页网格19" not in body2


# --- search --------------------------------------------------------------------------------


def test_search_by_pinyin_initials(world, as_user):
    body = text(as_user(world.users["street"]).get("/areas/?q=LQ"))
    assert "龙桥街道" in body
    assert "龙桥社区" in body
    assert "龙桥社区第一网格" in body


def test_search_by_lowercase_initials_and_by_name(world, as_user):
    client = as_user(world.users["street"])
    assert "龙桥街道" in text(client.get("/areas/?q=lqjd"))
    assert "龙桥社区第二网格" in text(client.get("/areas/?q=第二网格"))


def test_search_stays_in_scope(world, as_user):
    body = text(as_user(world.users["street"]).get("/areas/?q=街道"))
    assert "龙桥街道" in body
    assert "凤凰山街道" not in body
    assert "镇海街道" not in body
    body = text(as_user(world.users["street3"]).get("/areas/?q=LQ"))
    assert "龙桥" not in body
    assert "没有找到匹配的区域" in body


def test_org_search_by_initials(world, as_user):
    body = text(as_user(world.users["community"]).get("/orgs/?q=ZGLQSQ"))
    assert "中共龙桥社区委员会" in body
    assert "中共龙桥街道工作委员会" not in body


# --- children (htmx) -------------------------------------------------------------------------


def test_children_partial(world, as_user):
    client = as_user(world.users["street"])
    r = client.get(f"/areas/{world.street.pk}/children/", headers={"HX-Request": "true"})
    assert r.status_code == 200
    body = text(r)
    assert "<html" not in body  # a fragment
    assert "龙桥社区" in body
    assert "社区" in body
    assert f"/areas/{world.community.pk}/children/" in body
    r = client.get(f"/areas/{world.community.pk}/children/")
    body = text(r)
    assert "龙桥社区第一网格" in body and "龙桥社区第二网格" in body


def test_children_of_out_of_scope_parent_is_404(world, as_user):
    client = as_user(world.users["street"])
    for node in (world.county, world.city, world.street2, world.community2, world.street3):
        assert client.get(f"/areas/{node.pk}/children/").status_code == 404
    assert client.get(f"/orgs/{world.orgs['county_committee'].pk}/children/").status_code == 404
    assert client.get("/areas/999999999/children/").status_code == 404
    assert client.get(f"/areas/{2**63}/children/").status_code == 404


def test_children_list_loads_more(world, as_user):
    parent = world_mod.area(world.street, "加载更多社区", AreaKind.COMMUNITY)
    add_grids(parent, 23)
    client = as_user(world.users["street"])
    body = text(client.get(f"/areas/{parent.pk}/children/"))
    assert body.count('class="tree-node"') == 20
    assert "加载更多（已显示 20 / 共 23 个）" in body
    assert f"/areas/{parent.pk}/children/?page=2" in body
    body = text(client.get(f"/areas/{parent.pk}/children/?page=2"))
    assert body.count('class="tree-node"') == 3
    assert "加载更多" not in body


def test_org_children_count_only_visible_children(world, as_user):
    """A party org visible through its area may have children anchored elsewhere: the count
    and the children list show only the visible ones."""
    world_mod.org(world.orgs["street_wc"], "凤凰山驻点党支部", "branch", world.community2)
    # An area grant only: orgs are visible through the area they are anchored to.
    u = world_mod.user("t-street-area", role="township_staff", area_node=world.street)
    client = as_user(u)
    body = text(client.get("/orgs/"))
    assert "中共龙桥街道工作委员会" in body
    assert "下级 1 个" in body  # 2 children, 1 visible
    body = text(client.get(f"/orgs/{world.orgs['street_wc'].pk}/children/"))
    assert "中共龙桥社区委员会" in body
    assert "凤凰山驻点党支部" not in body
    # With the org grant the street user sees both.
    client = as_user(world.users["street"])
    assert "下级 2 个" in text(client.get("/orgs/"))
    body = text(client.get(f"/orgs/{world.orgs['street_wc'].pk}/children/"))
    assert "凤凰山驻点党支部" in body


# --- detail pages --------------------------------------------------------------------------


def test_area_detail_with_breadcrumbs_of_visible_ancestors(world, as_user):
    client = as_user(world.users["street"])
    r = client.get(f"/areas/{world.grid.pk}/")
    assert r.status_code == 200
    body = text(r)
    assert "龙桥社区第一网格" in body
    assert "基本信息" in body and "网格" in body
    assert "300" in body  # households
    crumbs = body.split('class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert "龙桥街道" in crumbs and "龙桥社区" in crumbs
    assert "城厢区" not in crumbs and "莆田市" not in crumbs
    assert "1号楼单元" in body  # child
    assert "龙桥社区第一网格党支部" in body  # anchored org visible through the org grant
    for foreign in ("城厢区", "莆田市", "凤凰山街道"):
        assert foreign not in body


def test_area_detail_hides_orgs_not_visible(world, as_user):
    # The grid worker sees the grid's org through the area; the city user sees it too.
    body = text(as_user(world.users["grid"]).get(f"/areas/{world.grid.pk}/"))
    assert "龙桥社区第一网格党支部" in body
    body = text(as_user(world.users["city"]).get(f"/areas/{world.city.pk}/"))
    assert "中共莆田市委" in body
    assert "城厢区" in body and "荔城区" in body


def test_org_detail(world, as_user):
    org = world.orgs["grid_branch"]
    org.contact_phone = "13812345678"
    org.save()
    client = as_user(world.users["street"])
    r = client.get(f"/orgs/{org.pk}/")
    assert r.status_code == 200
    body = text(r)
    assert "龙桥社区第一网格党支部" in body
    assert "党支部" in body and "社区" in body
    assert "138****5678" in body
    assert "13812345678" not in body
    assert f'href="/areas/{world.grid.pk}/"' in body  # the anchored area, visible
    crumbs = body.split('class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert "中共龙桥街道工作委员会" in crumbs and "中共龙桥社区委员会" in crumbs
    assert "中共城厢区委" not in crumbs and "中共莆田市委" not in crumbs
    assert "1号楼党小组" in body


def test_org_detail_hides_anchor_outside_area_scope(world, as_user):
    """A user with an org grant but no territory reach there sees no foreign area name."""
    from dangjian.accounts import services as accounts

    u = world_mod.user("t-orgonly")
    accounts.grant_add(
        actor=None, user=u, role_code="secretary", org=world.orgs["county_committee"]
    )
    body = text(as_user(u).get(f"/orgs/{world.orgs['county_committee'].pk}/"))
    assert "中共城厢区委" in body
    assert "不在您的区域查看范围内" in body
    assert "莆田市" not in body  # the parent org, above the grant, is not in the breadcrumbs


def test_detail_out_of_scope_is_404(world, as_user):
    client = as_user(world.users["street"])
    for node in (world.city, world.county, world.street2, world.community2):
        r = client.get(f"/areas/{node.pk}/")
        assert r.status_code == 404
        body = text(r)
        assert "404 未找到" in body
        assert node.name not in body
    for key in ("city_committee", "county_committee", "street2_wc"):
        assert client.get(f"/orgs/{world.orgs[key].pk}/").status_code == 404
    assert client.get("/areas/0/").status_code == 404
    assert client.get(f"/orgs/{2**63}/").status_code == 404


def test_detail_children_paginated(world, as_user):
    parent = world_mod.area(world.street, "详情分页社区", AreaKind.COMMUNITY)
    add_grids(parent, 22)
    client = as_user(world.users["street"])
    body = text(client.get(f"/areas/{parent.pk}/"))
    assert "测试网格19" in body and "测试网格20" not in body
    assert "?page=2" in body
    body = text(client.get(f"/areas/{parent.pk}/?page=2"))
    assert "测试网格21" in body


def test_anonymous_is_sent_to_login(world, client):
    r = client.get("/areas/")
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=/areas/")
    r = client.get(f"/areas/{world.street.pk}/children/", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r["HX-Redirect"].startswith("/login/?next=")


# --- query counts: no N+1 ---------------------------------------------------------------------


def _area_parent(world, n):
    parent = world_mod.area(world.street, f"计数社区{n}", AreaKind.COMMUNITY)
    add_grids(parent, n, prefix=f"计数{n}网格")
    return parent


def _org_parent(world, n):
    parent = world_mod.org(world.orgs["street_wc"], f"计数党委{n}", "committee", world.community)
    add_branches(parent, world.grid, n, prefix=f"计数{n}支部")
    return parent


@pytest.mark.parametrize(
    ("make_parent", "prefix"), [(_area_parent, "/areas/"), (_org_parent, "/orgs/")]
)
def test_children_query_count_does_not_grow_with_rows(
    world, as_user, make_parent, prefix, django_assert_max_num_queries
):
    small, large = make_parent(world, 5), make_parent(world, 30)
    client = as_user(world.users["street"])
    client.get(f"{prefix}{small.pk}/children/")  # warm caches (holiday table, etc.)
    n_small, r = count_queries(client, f"{prefix}{small.pk}/children/")
    assert text(r).count('class="tree-node"') == 5
    n_large, r = count_queries(client, f"{prefix}{large.pk}/children/")
    assert text(r).count('class="tree-node"') == 20
    assert n_small == n_large
    with django_assert_max_num_queries(9):
        client.get(f"{prefix}{large.pk}/children/")


@pytest.mark.parametrize("prefix", ["/areas/", "/orgs/"])
def test_list_and_detail_query_counts(world, as_user, prefix, django_assert_max_num_queries):
    make = _area_parent if prefix == "/areas/" else _org_parent
    small, large = make(world, 5), make(world, 30)
    client = as_user(world.users["street"])
    client.get(prefix)
    n_small, _ = count_queries(client, f"{prefix}{small.pk}/")
    n_large, _ = count_queries(client, f"{prefix}{large.pk}/")
    assert n_small == n_large
    n_q_small, _ = count_queries(client, f"{prefix}?q=计数5")
    n_q_large, _ = count_queries(client, f"{prefix}?q=计数3")
    assert n_q_small == n_q_large
    with django_assert_max_num_queries(8):
        client.get(prefix)
    with django_assert_max_num_queries(8):
        client.get(f"{prefix}?q=计数")
    # The area page also lists its people, counts its members and shows its history.
    with django_assert_max_num_queries(15 if prefix == "/areas/" else 12):
        client.get(f"{prefix}{large.pk}/")


def test_area_model_counts_unchanged_by_reads(world, as_user):
    before = Area.objects.count(), PartyOrg.objects.count()
    client = as_user(world.users["street"])
    client.get("/areas/")
    client.get(f"/areas/{world.street.pk}/children/")
    assert (Area.objects.count(), PartyOrg.objects.count()) == before
