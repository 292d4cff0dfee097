"""core.tree (paths), core.treemodel (insert, move) and the move services of both trees."""

from __future__ import annotations

import itertools
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st

from dangjian.accounts import services as accounts
from dangjian.accounts.models import Department, User
from dangjian.core import tree
from dangjian.core.models import AuditEntry
from dangjian.core.treemodel import node_insert
from dangjian.organizations import services as orgs
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.territory import services as territory
from dangjian.territory.models import Area, AreaKind, Household
from tests import world as w

CHINESE = re.compile(r"[\u4e00-\u9fff]")

steps = st.integers(min_value=0, max_value=tree.MAX_STEP)


def path_of(indexes: list[int]) -> str:
    return "".join(tree.encode_step(i) for i in indexes)


paths = st.lists(steps, min_size=1, max_size=tree.MAX_DEPTH - 2).map(path_of)


# --- pure path arithmetic ---------------------------------------------------------------------
class TestSteps:
    @given(steps)
    def test_encode_decode_round_trip(self, n):
        s = tree.encode_step(n)
        assert len(s) == tree.STEP_WIDTH
        assert set(s) <= set(tree.ALPHABET)
        assert tree.decode_step(s) == n

    @given(steps, steps)
    def test_encoding_keeps_order(self, a, b):
        assert (tree.encode_step(a) < tree.encode_step(b)) == (a < b)

    def test_known_values(self):
        assert tree.encode_step(0) == "0000"
        assert tree.encode_step(35) == "000Z"
        assert tree.encode_step(36) == "0010"
        assert tree.encode_step(tree.MAX_STEP + 1) == "ZZZZ"

    @pytest.mark.parametrize("bad", ["", "000", "00000", "00a0", "00-0", "龙桥街道"])
    def test_bad_steps_refused(self, bad):
        with pytest.raises(tree.TreeError):
            tree.decode_step(bad)

    @pytest.mark.parametrize("bad", [-1, tree.MAX_STEP + 2])
    def test_out_of_range_refused(self, bad):
        with pytest.raises(tree.TreeError):
            tree.encode_step(bad)

    def test_child_path_limits(self):
        assert tree.child_path("0001", 2) == "00010002"
        with pytest.raises(tree.TreeError):
            tree.child_path("0001", tree.MAX_STEP + 1)
        with pytest.raises(tree.TreeError):
            tree.child_path("0000" * tree.MAX_DEPTH, 0)
        with pytest.raises(tree.TreeError):
            tree.path_end("")


class TestRanges:
    @given(paths, st.lists(steps, min_size=1, max_size=2))
    def test_descendants_sort_inside(self, path, tail):
        descendant = path + path_of(tail)
        assert path <= descendant < tree.path_end(path)
        assert tree.is_within(descendant, path)
        assert path in tree.ancestors_of(descendant)

    @given(paths, steps, st.lists(steps, max_size=2))
    def test_siblings_subtrees_sort_outside(self, parent, other, tail):
        # ``path`` is a child of ``parent``; ``sibling`` another child, with its subtree.
        last = tree.decode_step(parent[-tree.STEP_WIDTH :])
        parent = parent[: -tree.STEP_WIDTH]
        path = parent + tree.encode_step(last)
        if other == last:
            return
        sibling = parent + tree.encode_step(other) + path_of(tail)
        inside = path <= sibling < tree.path_end(path)
        assert not inside
        # and the order of the subtrees follows the order of the steps
        assert (sibling < path) == (other < last)

    @given(paths)
    def test_path_end_is_the_next_sibling(self, path):
        end = tree.path_end(path)
        assert len(end) == len(path)
        assert end > path
        assert tree.decode_step(end[-4:]) == tree.decode_step(path[-4:]) + 1
        assert not end.startswith(path)

    def test_ancestors_and_depth(self):
        p = "000100020003"
        assert tree.ancestors_of(p) == ["0001", "00010002"]
        assert tree.depth_of(p) == 3
        assert tree.rebase(p, "00010002", "0009") == "00090003"
        with pytest.raises(tree.TreeError):
            tree.rebase(p, "0002", "0003")

    def test_merge_ranges_drops_nested(self):
        ranges = tree.merge_ranges(["00010002", "0001", "000100020003", "0003", "0003", "00040001"])
        assert ranges == [("0001", "0002"), ("0003", "0004"), ("00040001", "00040002")]

    def test_merge_ranges_keeps_prefix_lookalike_siblings(self):
        # "0001" and "00010" are not how paths look, but siblings sharing characters are.
        assert tree.merge_ranges(["00010001", "00010010"]) == [
            ("00010001", "00010002"),
            ("00010010", "00010011"),
        ]

    @given(st.lists(paths, min_size=1, max_size=8), st.lists(paths, max_size=8))
    def test_merge_ranges_covers_the_same_set(self, prefixes, probes):
        ranges = tree.merge_ranges(prefixes)
        starts = [s for s, _ in ranges]
        assert starts == sorted(starts)
        for (_, e), (s2, _) in itertools.pairwise(ranges):
            assert e <= s2  # disjoint
        for p in prefixes + probes:
            covered = any(p.startswith(q) for q in prefixes)
            assert covered == any(s <= p < e for s, e in ranges)


# --- the database keeps byte order ----------------------------------------------------------------
@pytest.mark.django_db
def test_subtree_range_query_in_the_database(world):
    """Steps that mix digits and letters, which a locale collation could reorder."""
    street = world.street2
    made = {}
    with transaction.atomic():
        for index in (9, 10, 35, 36, 36 * 36 - 1, 36 * 36, 36**3):
            Area.objects.filter(pk=street.pk).update(next_child=index)
            made[index] = w.area(Area.objects.get(pk=street.pk), f"网格{index}", AreaKind.GRID)
        inner = w.area(made[35], "单元", AreaKind.UNIT)
    for index, node in made.items():
        got = set(
            Area.objects.filter(tree.subtree_q("path", node.path)).values_list("pk", flat=True)
        )
        expected = {node.pk} | ({inner.pk} if index == 35 else set())
        assert got == expected, (index, node.path)
    ordered = list(
        Area.objects.filter(parent=street).order_by("path").values_list("name", flat=True)
    )
    assert ordered == ["凤山社区"] + [f"网格{i}" for i in sorted(made)]
    # The whole street subtree by range equals the subtree by parent links.
    by_range = set(
        Area.objects.filter(tree.subtree_q("path", street.path)).values_list("pk", flat=True)
    )
    assert by_range == _subtree_by_links(Area, street)


def _subtree_by_links(model, root) -> set[int]:
    found, frontier = {root.pk}, [root.pk]
    while frontier:
        frontier = list(model.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        found.update(frontier)
    return found


# --- insert -----------------------------------------------------------------------------------
@pytest.mark.django_db
class TestInsert:
    def test_children_take_consecutive_steps(self, world):
        grid = world.grid2
        with transaction.atomic():
            kids = [w.area(grid, f"{i}号楼", AreaKind.UNIT) for i in range(3)]
        assert [k.path for k in kids] == [grid.path + tree.encode_step(i) for i in range(3)]
        assert all(k.depth == grid.depth + 1 for k in kids)
        grid.refresh_from_db()
        assert grid.child_count == 3
        assert grid.next_child == 3

    def test_roots_take_the_next_step(self, world):
        with transaction.atomic():
            root = node_insert(Area, parent=None, name="第二个市", kind=AreaKind.CITY, level=1)
        assert root.path == tree.encode_step(tree.decode_step(world.city.path) + 1)
        assert root.depth == 1

    def test_pinyin_initials(self, world):
        assert world.county.pinyin == "CXQ"

    def test_service_insert_is_audited_and_scoped(self, world):
        area = territory.area_create(
            actor=world.users["street"],
            parent=world.community,
            name=" 龙桥社区第三网格 ",
            kind=AreaKind.GRID,
        )
        assert area.name == "龙桥社区第三网格"
        row = AuditEntry.objects.get(action="area.create", object_id=str(area.pk))
        assert row.after["path"] == area.path
        assert row.area_path == area.path
        with pytest.raises(Http404):
            territory.area_create(
                actor=world.users["street3"],
                parent=world.community,
                name="越界",
                kind=AreaKind.GRID,
            )

    def test_service_insert_kind_rules(self, world):
        with pytest.raises(ValidationError) as exc:
            territory.area_create(
                actor=world.users["admin"], parent=world.unit, name="不可能", kind=AreaKind.COUNTY
            )
        assert "kind" in exc.value.message_dict
        assert CHINESE.search(exc.value.message_dict["kind"][0])
        with pytest.raises(ValidationError) as exc:
            orgs.org_create(
                actor=world.users["admin"],
                parent=world.orgs["community_committee"],
                area=world.community,
                name="党小组",
                kind=OrgKind.GROUP,
                domain="community",
            )
        assert "parent" in exc.value.message_dict


# --- moves -------------------------------------------------------------------------------------
def _copies(world) -> dict:
    """Every stored copy of area paths the move must rewrite, keyed for comparison."""
    return {
        "areas": dict(Area.objects.values_list("pk", "path")),
        "depths": dict(Area.objects.values_list("pk", "depth")),
        "counts": dict(Area.objects.values_list("pk", "child_count")),
        "parents": dict(Area.objects.values_list("pk", "parent_id")),
        "orgs": dict(PartyOrg.objects.values_list("pk", "area_path")),
        "org_paths": dict(PartyOrg.objects.values_list("pk", "path")),
        "org_counts": dict(PartyOrg.objects.values_list("pk", "child_count")),
        "households": dict(Household.objects.values_list("pk", "area_path")),
        "users": dict(User.objects.values_list("pk", "area_path")),
        "departments": dict(Department.objects.values_list("pk", "area_path")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def furnished(world):
    """The world plus a household, a department and users living under the community."""
    Household.objects.create(
        unit=world.unit, area_path=world.unit.path, door="1号楼101室", head_name="张三"
    )
    Household.objects.create(unit=world.unit, area_path=world.unit.path, door="1号楼102室")
    accounts.department_create(
        actor=world.users["street"], name="龙桥社区城管中队", area=world.grid
    )
    accounts.department_create(
        actor=world.users["county"], name="凤凰山城管中队", area=world.street2
    )
    return world


@pytest.mark.django_db
class TestAreaMove:
    def test_move_rewrites_every_copy(self, furnished):
        world = furnished
        community, street, street2 = world.community, world.street, world.street2
        before = _copies(world)
        old = community.path
        moved = territory.area_move(actor=world.users["county"], area=community, new_parent=street2)
        new = moved.path
        assert new.startswith(street2.path) and new != old
        assert moved.parent_id == street2.pk
        after = _copies(world)

        def rebased(p):
            return tree.rebase(p, old, new) if p.startswith(old) else p

        subtree = {pk for pk, p in before["areas"].items() if p.startswith(old)}
        assert subtree == {community.pk, world.grid.pk, world.grid2.pk, world.unit.pk}
        assert after["areas"] == {pk: rebased(p) for pk, p in before["areas"].items()}
        assert after["depths"] == before["depths"]  # street to street: same depth
        for key in ("orgs", "households", "users", "departments"):
            assert after[key] == {pk: rebased(p) for pk, p in before[key].items()}, key
        assert any(p.startswith(new) for p in after["households"].values())
        assert any(p.startswith(new) for p in after["departments"].values())
        assert after["users"][world.users["member"].pk] == new + world.unit.path[len(old) :]
        assert after["org_paths"] == before["org_paths"]  # the party tree does not move
        assert after["counts"][street.pk] == before["counts"][street.pk] - 1
        assert after["counts"][street2.pk] == before["counts"][street2.pk] + 1
        assert after["counts"][community.pk] == before["counts"][community.pk]
        # audited, with the paths of the moment
        row = AuditEntry.objects.filter(action="area.move").get()
        assert row.before == {"path": old}
        assert row.after == {"path": new, "parent_id": street2.pk}
        assert row.actor_id == world.users["county"].pk
        assert after["audit"] == before["audit"] + 1
        # older audit rows keep the paths they were written with
        assert AuditEntry.objects.filter(
            action="department.create", area_path__startswith=old
        ).exists()
        # the range of the new subtree holds exactly the moved nodes
        assert (
            set(Area.objects.filter(tree.subtree_q("path", new)).values_list("pk", flat=True))
            == subtree
        )

    def test_move_changes_depths(self, furnished):
        world = furnished
        grid, unit = world.grid, world.unit
        moved = territory.area_move(
            actor=world.users["county"], area=grid, new_parent=world.street2
        )
        unit.refresh_from_db()
        assert moved.depth == world.street2.depth + 1 == 4
        assert unit.depth == 5
        assert unit.path.startswith(moved.path)
        assert Household.objects.filter(area_path=unit.path).count() == 2
        assert PartyOrg.objects.get(pk=world.orgs["grid_branch"].pk).area_path == moved.path

    def test_scoped_users_follow_the_move(self, furnished, api):
        """Grants follow the node: the street worker's subtree moves with it."""
        world = furnished
        grid_user = world.users["grid"]
        assert api.get(grid_user, f"/api/v1/areas/{world.unit.pk}").status_code == 200
        territory.area_move(actor=world.users["county"], area=world.grid, new_parent=world.street2)
        assert api.get(grid_user, f"/api/v1/areas/{world.unit.pk}").status_code == 200
        # t-street no longer sees the grid that left its street
        assert api.get(world.users["street"], f"/api/v1/areas/{world.grid.pk}").status_code == 404

    @pytest.mark.parametrize("target", ["community", "grid", "unit"])
    def test_refuses_itself_and_descendants(self, furnished, target):
        world = furnished
        before = _copies(world)
        with pytest.raises(ValidationError) as exc:
            territory.area_move(
                actor=world.users["county"], area=world.community, new_parent=world.nodes[target]
            )
        messages = exc.value.message_dict["parent"]
        assert CHINESE.search(messages[0]), messages
        assert _copies(world) == before

    def test_kind_rules(self, furnished):
        world = furnished
        before = _copies(world)
        with pytest.raises(ValidationError) as exc:
            territory.area_move(
                actor=world.users["admin"], area=world.county2, new_parent=world.unit
            )
        assert "parent" in exc.value.message_dict
        assert "单元" in exc.value.message_dict["parent"][0]
        with pytest.raises(ValidationError):
            territory.area_move(
                actor=world.users["admin"], area=world.community, new_parent=world.county2
            )
        with pytest.raises(ValidationError):
            territory.area_move(
                actor=world.users["admin"], area=world.city, new_parent=world.county2
            )
        assert _copies(world) == before

    def test_refuses_out_of_scope(self, furnished):
        world = furnished
        before = _copies(world)
        # the target is out of the actor's scope
        with pytest.raises(Http404):
            territory.area_move(
                actor=world.users["street"], area=world.grid, new_parent=world.community2
            )
        # the node is out of the actor's scope
        with pytest.raises(Http404):
            territory.area_move(
                actor=world.users["street3"], area=world.community, new_parent=world.street3
            )
        # visible but not allowed reads 403 (grid workers may view, not manage)
        from dangjian.core.scope import Forbidden

        with pytest.raises(Forbidden):
            territory.area_move(actor=world.users["grid"], area=world.unit, new_parent=world.grid)
        assert _copies(world) == before

    def test_moved_node_keeps_inserting_after_its_old_steps(self, furnished):
        world = furnished
        street2 = Area.objects.get(pk=world.street2.pk)
        territory.area_move(actor=world.users["county"], area=world.grid2, new_parent=street2)
        fresh = territory.area_create(
            actor=world.users["county"], parent=street2, name="新网格", kind=AreaKind.GRID
        )
        paths = list(Area.objects.filter(parent=street2).values_list("path", flat=True))
        assert len(paths) == len(set(paths)) == 3
        assert fresh.path == max(paths)


@pytest.mark.django_db
class TestOrgMove:
    def test_move_rewrites_the_subtree(self, world):
        branch, group = world.orgs["grid_branch"], world.orgs["unit_group"]
        target = world.orgs["street2_wc"]
        before = _copies(world)
        old = branch.path
        moved = orgs.org_move(actor=world.users["county"], org=branch, new_parent=target)
        group.refresh_from_db()
        assert moved.path.startswith(target.path)
        assert group.path.startswith(moved.path) and group.depth == moved.depth + 1
        assert moved.depth == target.depth + 1
        after = _copies(world)
        assert after["orgs"] == before["orgs"]  # anchors stay where they are
        assert after["areas"] == before["areas"]
        assert (
            after["org_counts"][world.orgs["community_committee"].pk]
            == before["org_counts"][world.orgs["community_committee"].pk] - 1
        )
        assert after["org_counts"][target.pk] == before["org_counts"][target.pk] + 1
        row = AuditEntry.objects.get(action="org.move")
        assert row.before == {"path": old} and row.after["path"] == moved.path
        assert set(
            PartyOrg.objects.filter(tree.subtree_q("path", moved.path)).values_list("pk", flat=True)
        ) == {branch.pk, group.pk}

    def test_refuses_itself_and_descendants(self, world):
        before = _copies(world)
        for target in ("street_wc", "community_committee", "unit_group"):
            with pytest.raises(ValidationError) as exc:
                orgs.org_move(
                    actor=world.users["county"],
                    org=world.orgs["street_wc"],
                    new_parent=world.orgs[target],
                )
            assert CHINESE.search(exc.value.message_dict["parent"][0])
        assert _copies(world) == before

    def test_group_only_under_a_branch(self, world):
        before = _copies(world)
        with pytest.raises(ValidationError) as exc:
            orgs.org_move(
                actor=world.users["county"],
                org=world.orgs["unit_group"],
                new_parent=world.orgs["street2_wc"],
            )
        assert "党小组" in exc.value.message_dict["parent"][0]
        assert _copies(world) == before
        with transaction.atomic():
            other = w.org(
                world.orgs["street2_wc"], "凤山社区党总支", OrgKind.GENERAL_BRANCH, world.community2
            )
        moved = orgs.org_move(
            actor=world.users["county"], org=world.orgs["unit_group"], new_parent=other
        )
        assert moved.parent_id == other.pk

    def test_refuses_out_of_scope(self, world):
        before = _copies(world)
        with pytest.raises(Http404):
            orgs.org_move(
                actor=world.users["street"],
                org=world.orgs["grid_branch"],
                new_parent=world.orgs["street2_wc"],
            )
        with pytest.raises(Http404):
            orgs.org_move(
                actor=world.users["street3"],
                org=world.orgs["grid_branch"],
                new_parent=world.orgs["street_wc"],
            )
        assert _copies(world) == before


@pytest.mark.django_db
def test_path_columns_sort_bytewise_on_postgresql():
    """PathField columns carry COLLATE "C" on PostgreSQL (a locale collation breaks ranges)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite compares text bytewise already")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name IN ('path', 'area_path', 'org_path')"
        )
        rows = cur.fetchall()
    assert rows
    wrong = [(t, c, coll) for t, c, coll in rows if coll != "C"]
    assert not wrong, wrong
    with connection.cursor() as cur:
        cur.execute("SELECT '0010' COLLATE \"C\" > '000Z' COLLATE \"C\"")
        assert cur.fetchone()[0] is True


@pytest.mark.django_db
class TestDepthLimit:
    def _chain(self, world, top, length):
        nodes = [top]
        with transaction.atomic():
            for i in range(length):
                nodes.append(w.org(nodes[-1], f"第{i}级党委", OrgKind.COMMITTEE, world.county2))
        return nodes

    def test_insert_below_the_deepest_level_is_a_field_error(self, world):
        chain = self._chain(world, world.orgs["county2_committee"], tree.MAX_DEPTH - 2)
        assert chain[-1].depth == tree.MAX_DEPTH
        with pytest.raises(ValidationError) as exc:
            orgs.org_create(
                actor=world.users["admin"],
                parent=chain[-1],
                area=world.county2,
                name="过深",
                kind=OrgKind.BRANCH,
                domain="agency",
                founding_full_members=3,
            )
        assert exc.value.message_dict["parent"] == [tree.TOO_DEEP]

    def test_move_that_would_push_the_subtree_too_deep_changes_nothing(self, world):
        deep = self._chain(world, world.orgs["county2_committee"], 8)  # depth 10 at the bottom
        other = self._chain(world, world.orgs["street_wc"], 3)  # a subtree 3 levels tall
        before = _copies(world)
        with pytest.raises(ValidationError) as exc:
            orgs.org_move(actor=world.users["admin"], org=other[1], new_parent=deep[-1])
        assert exc.value.message_dict["parent"] == [tree.TOO_DEEP]
        assert _copies(world) == before
        # one level less fits
        moved = orgs.org_move(actor=world.users["admin"], org=other[2], new_parent=deep[-1])
        assert moved.depth == 11
        assert PartyOrg.objects.get(pk=other[3].pk).depth == tree.MAX_DEPTH
