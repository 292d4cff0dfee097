"""Grants kept across requests (``accounts.models.GRANT_CACHE``) and the children route's
statements compiled once per shape (``core.treeapi.children_page``).

A change of what a user reaches must count on the very next request: a grant added or
revoked, a role's actions changed, a granted subtree moved. And a request whose user's
grants did not change reads no grant row.
"""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from dangjian.accounts import services as accounts
from dangjian.accounts.models import GRANT_CACHE, Grant, Role, User
from dangjian.accounts.roles import ROLES
from dangjian.accounts.services import roles as role_services
from dangjian.core import scope
from dangjian.core.treeapi import tree_nodes
from dangjian.organizations import services as orgs
from dangjian.organizations.api import ORG_FIELDS, org_out, org_rows_out
from dangjian.organizations.models import PartyOrg
from dangjian.territory import services as areas
from dangjian.territory.api import AREA_FIELDS, area_out, area_rows_out
from dangjian.territory.models import Area

pytestmark = pytest.mark.django_db


def _get(api, user, path, **params):
    """(status, body, SQL sent) of one API request."""
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(user, path, **params)
    body = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else None
    return r.status_code, body, [q["sql"] for q in ctx.captured_queries]


def _grant_reads(sqls):
    return [s for s in sqls if "accounts_grant" in s]


# --- the cache is used --------------------------------------------------------------------------
def test_second_request_reads_no_grant_row(world, api):
    u = world.users["street"]
    GRANT_CACHE.forget()
    api.get(u, "/api/v1/me")  # the token is issued outside the measured requests
    GRANT_CACHE.forget()
    status, _, first = _get(api, u, "/api/v1/areas/", parent=world.street.pk)
    assert status == 200
    assert len(_grant_reads(first)) == 1, first
    status, _, second = _get(api, u, "/api/v1/areas/", parent=world.street.pk)
    assert status == 200
    assert _grant_reads(second) == [], second
    # One query fewer, nothing else changed.
    assert len(second) == len(first) - 1


def test_children_route_sends_three_statements_on_its_tree(world, api):
    """Parent visible?, count, page; with warm grants nothing else touches the trees."""
    for user, path, parent in (
        (world.users["county"], "/api/v1/areas/", world.street.pk),
        (world.users["county"], "/api/v1/orgs/", world.orgs["street_wc"].pk),
    ):
        api.get(user, path, parent=parent)
        status, body, sqls = _get(api, user, path, parent=parent)
        assert status == 200 and body["count"] >= 1
        table = "territory_area" if "areas" in path else "organizations_partyorg"
        assert len([s for s in sqls if table in s]) == 3, sqls
        assert _grant_reads(sqls) == []


def test_scoped_count_is_one_query_with_warm_grants(world, django_assert_num_queries):
    u = User.objects.get(pk=world.users["county"].pk)
    Area.objects.visible_to(u, "territory.view").count()
    fresh = User.objects.get(pk=u.pk)  # a new request's user row
    with django_assert_num_queries(1):
        assert Area.objects.visible_to(fresh, "territory.view").filter(kind="grid").count() == 2


# --- what changes must count on the next request -------------------------------------------
def test_added_grant_counts_on_next_request(world, api):
    u = world.users["street3"]
    path = f"/api/v1/areas/{world.grid.pk}"
    assert _get(api, u, path)[0] == 404
    assert _get(api, u, path)[0] == 404  # now answered from the cache
    accounts.grant_add(
        actor=None, user=User.objects.get(pk=u.pk), role_code="grid_worker", area=world.community
    )
    assert _get(api, u, path)[0] == 200


def test_revoked_grant_counts_on_next_request(world, api):
    u = world.users["street"]
    path = f"/api/v1/areas/{world.grid.pk}"
    assert _get(api, u, path)[0] == 200
    assert _get(api, u, path)[0] == 200
    accounts.grant_revoke(actor=None, grant=Grant.objects.get(user_id=u.pk, area__isnull=False))
    status, _, sqls = _get(api, u, path)
    assert status == 404
    assert len(_grant_reads(sqls)) == 1
    # The org grant is still there: its tree still answers.
    assert _get(api, u, f"/api/v1/orgs/{world.orgs['street_wc'].pk}")[0] == 200


def test_role_change_counts_on_next_request(world, api, monkeypatch):
    u = world.users["grid"]
    path = f"/api/v1/areas/{world.grid.pk}"
    assert _get(api, u, path)[0] == 200
    # The role table changes (a release takes an action away) and roles_sync writes it.
    changed = tuple(
        dataclasses.replace(r, actions=tuple(a for a in r.actions if a != "territory.view"))
        if r.code == "grid_worker"
        else r
        for r in ROLES
    )
    monkeypatch.setattr(role_services, "ROLES", changed)
    accounts.roles_sync()
    assert "territory.view" not in Role.objects.get(code="grid_worker").actions
    assert _get(api, u, path)[0] == 404
    monkeypatch.setattr(role_services, "ROLES", ROLES)
    accounts.roles_sync()  # puts the action back
    assert _get(api, u, path)[0] == 200


def test_roles_sync_without_changes_keeps_the_cache(world, api):
    u = world.users["grid"]
    api.get(u, "/api/v1/areas/")
    accounts.roles_sync()
    assert _grant_reads(_get(api, u, "/api/v1/areas/")[2]) == []


def test_moved_area_subtree_counts_on_next_request(world, api):
    """The secretary's grant is on the community; moved under another street, its paths
    change and the cached range would find nothing there."""
    u = world.users["community"]
    grid = f"/api/v1/areas/{world.grid.pk}"
    assert _get(api, u, grid)[0] == 200
    assert _get(api, u, grid)[0] == 200
    areas.area_move(actor=world.users["admin"], area=world.community, new_parent=world.street2)
    status, body, _ = _get(api, u, grid)
    assert status == 200
    assert body["path"].startswith(Area.objects.get(pk=world.street2.pk).path)
    status, body, _ = _get(api, u, "/api/v1/areas/")
    assert [i["name"] for i in body["items"]] == ["龙桥社区"]
    # The street it left is no more reachable than before.
    assert _get(api, u, f"/api/v1/areas/{world.street.pk}")[0] == 404


def test_moved_org_subtree_counts_on_next_request(world, api):
    # A grant on the party tree only: an area grant would still reach the branch through
    # its area path, which the move leaves alone.
    u = User.objects.create_user("t-org-only")
    accounts.grant_add(actor=None, user=u, role_code="township_staff", org=world.orgs["street_wc"])
    branch = f"/api/v1/orgs/{world.orgs['grid_branch'].pk}"
    assert _get(api, u, branch)[0] == 200
    assert _get(api, u, branch)[0] == 200
    # Move the working committee under the other county's committee: its paths change.
    orgs.org_move(
        actor=world.users["admin"],
        org=world.orgs["street_wc"],
        new_parent=world.orgs["county2_committee"],
    )
    status, body, _ = _get(api, u, branch)
    assert status == 200
    new_root = PartyOrg.objects.get(pk=world.orgs["county2_committee"].pk).path
    assert body["path"].startswith(new_root)


def test_rolled_back_change_leaves_no_stale_entry(world):
    """A bump inside a transaction that is rolled back: whatever was read inside it is kept
    under the version that never committed, so the old version reads the old grants."""
    u = User.objects.get(pk=world.users["nobody"].pk)
    assert not u.can("territory.view")
    stale = User.objects.get(pk=u.pk)  # loaded before the change, like a request's user
    with pytest.raises(RuntimeError), transaction.atomic():
        accounts.grant_add(actor=None, user=u, role_code="grid_worker", area=world.community)
        assert stale.can("territory.view")  # read inside the transaction, fresh
        raise RuntimeError
    again = User.objects.get(pk=u.pk)
    assert again.grants_version == stale.grants_version
    assert not again.can("territory.view")


def test_user_ids_reused_after_rollback_do_not_share_grants(world):
    """A rolled-back user's id can be handed out again (SQLite): versions are random."""
    with pytest.raises(RuntimeError), transaction.atomic():
        a = User.objects.create_user("t-reuse-a")
        accounts.grant_add(actor=None, user=a, role_code="grid_worker", area=world.community)
        assert User.objects.get(pk=a.pk).can("territory.view")
        raise RuntimeError
    b = User.objects.create_user("t-reuse-b")
    assert not User.objects.get(pk=b.pk).can("territory.view")


def test_bulk_grants_through_the_service_leave_no_stale_permission(world, api):
    """A bulk write of grants bumps every holder's version in its own transaction."""
    a = User.objects.get(pk=world.users["nobody"].pk)
    b = User.objects.get(pk=world.users["street3"].pk)
    grid = f"/api/v1/areas/{world.grid.pk}"
    for u in (a, b):
        assert _get(api, u, grid)[0] == 404
        assert _get(api, u, grid)[0] == 404  # answered from the cache
    versions = dict(User.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "grants_version"))
    role = Role.objects.get(code="grid_worker")
    accounts.grants_bulk_add(
        grants=[
            Grant(user=a, role=role, area=world.community),
            Grant(user=b, role=role, area=world.grid),
        ]
    )
    after = dict(User.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "grants_version"))
    assert after[a.pk] != versions[a.pk] and after[b.pk] != versions[b.pk]
    for u in (a, b):
        status, _, sqls = _get(api, u, grid)
        assert status == 200
        assert len(_grant_reads(sqls)) == 1
    # Someone else's version did not move.
    other = world.users["county"]
    assert User.objects.get(pk=other.pk).grants_version == other.grants_version


def test_subtree_move_bumps_only_the_holders_of_grants_inside_it(world):
    """The move hook bumps the users with grants on moved nodes, and nobody else."""
    before = dict(User.objects.values_list("pk", "grants_version"))
    areas.area_move(actor=world.users["admin"], area=world.community, new_parent=world.street2)
    after = dict(User.objects.values_list("pk", "grants_version"))
    moved = {pk for pk in before if before[pk] != after[pk]}
    inside = set(
        Grant.objects.filter(
            area__path__gte=Area.objects.get(pk=world.community.pk).path,
            area__path__lt=Area.objects.get(pk=world.community.pk).path_end,
        ).values_list("user_id", flat=True)
    )
    assert inside == {world.users["community"].pk, world.users["grid"].pk}
    assert moved == inside


def test_no_signal_receivers_left_on_grants_roles_or_moves():
    """What changes reach says so itself: no Django signal connects grants, roles or moves."""
    from django.db.models import signals

    from dangjian.core import treemodel

    for signal in (signals.post_save, signals.post_delete, signals.pre_delete):
        for model in (Grant, Role):
            assert not signal.has_listeners(model), (signal, model)
    assert not hasattr(treemodel, "subtree_moved")
    from dangjian.accounts.models import grants_moved

    assert treemodel.move_hooks() == [grants_moved]


def test_forget_grants_reads_afresh(world):
    u = User.objects.get(pk=world.users["nobody"].pk)
    assert not u.can("territory.view")
    Grant.objects.bulk_create(  # no signal: the writer must bump, here it forgets instead
        [Grant(user=u, role=Role.objects.get(code="grid_worker"), area=world.community)]
    )
    assert not u.can("territory.view")  # this request's answer stays as it was
    u.forget_grants()
    assert u.can("territory.view")


# --- the compiled children statements answer what the ORM answers -----------------------------
def _request(user, **params):
    request = RequestFactory().get("/api/v1/x/", params)
    request.auth = request.user = user
    return request


@pytest.mark.parametrize(
    ("model", "action", "out", "fields", "row", "parents"),
    [
        (
            Area,
            "territory.view",
            area_out,
            AREA_FIELDS,
            area_rows_out,
            ("city", "county", "street"),
        ),
        (
            PartyOrg,
            "organizations.view",
            org_out,
            ORG_FIELDS,
            org_rows_out,
            ("city_committee", "county_committee", "street_wc"),
        ),
    ],
)
def test_children_page_equals_the_orm_answer(world, model, action, out, fields, row, parents):
    # A user with grants on two separate subtrees: two ranges in the scope.
    two = User.objects.create_user("t-two")
    accounts.grant_add(actor=None, user=two, role_code="grid_worker", area=world.street)
    accounts.grant_add(actor=None, user=two, role_code="grid_worker", area=world.street3)
    users = [*world.users.values(), two]
    nodes = {**world.nodes, **world.orgs}
    compared = 0
    for user in users:
        for name in parents:
            for page, size in ((1, 20), (1, 1), (2, 1), (5, 1)):
                req = _request(user, parent=nodes[name].pk, page=page, page_size=size)
                try:
                    orm = tree_nodes(req, model, action, out)
                except Exception as exc:  # the same refusal is expected
                    with pytest.raises(type(exc)):
                        tree_nodes(req, model, action, out, fields=fields, rows=row)
                    continue
                assert tree_nodes(req, model, action, out, fields=fields, rows=row) == orm
                compared += 1 if orm["items"] else 0
    assert compared >= 10


def test_children_page_for_nobody_is_404(world):
    from django.http import Http404

    req = _request(world.users["nobody"], parent=world.street.pk)
    with pytest.raises(Http404):
        tree_nodes(req, Area, "territory.view", area_out, fields=AREA_FIELDS, rows=area_rows_out)
    assert scope.scope_terms(Area, world.users["nobody"], "territory.view") is None


@pytest.mark.parametrize(
    ("model", "action", "filters"),
    [
        (Area, "territory.view", {"kind": "grid"}),
        (Area, "territory.view", {}),
        (Area, "territory.view", {"depth__gte": 3, "kind": "community"}),
        (Area, "territory.view", {"name__contains": "网格"}),  # rewritten value: ORM path
        (Area, "territory.view", {"parent": None}),  # no stand-in for None: ORM path
        (PartyOrg, "organizations.view", {"kind": "branch"}),
        (User, "accounts.view", {"is_active": True}),  # bool: ORM path
        (User, "accounts.view", {"kind": "staff"}),  # scope with the own id as well
    ],
)
def test_count_visible_equals_the_orm_count(world, model, action, filters):
    two = User.objects.create_user("t-two")
    accounts.grant_add(actor=None, user=two, role_code="grid_worker", area=world.street)
    accounts.grant_add(actor=None, user=two, role_code="grid_worker", area=world.street3)
    for user in [*world.users.values(), two]:
        user = User.objects.get(pk=user.pk)
        expected = model.objects.visible_to(user, action).filter(**filters).count()
        assert scope.count_visible(model, user, action, **filters) == expected, user
        assert scope.count_visible(model, user, action, **filters) == expected, user


def test_count_visible_is_one_statement(world, django_assert_num_queries):
    u = User.objects.get(pk=world.users["county"].pk)
    assert scope.count_visible(Area, u, "territory.view", kind="grid") == 2
    fresh = User.objects.get(pk=u.pk)
    with django_assert_num_queries(1):
        assert scope.count_visible(Area, fresh, "territory.view", kind="grid") == 2
    nobody = User.objects.get(pk=world.users["nobody"].pk)
    assert not nobody.can("territory.view")  # its (no) grants read
    with django_assert_num_queries(0):
        assert scope.count_visible(Area, nobody, "territory.view", kind="grid") == 0
