"""A move carries every row that stores an area path: checked on the small demo city, where
every app has rows, table by table."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from dangjian.core import tree
from dangjian.core.models import AuditEntry
from dangjian.core.tree import PathField
from dangjian.core.treemodel import path_copies
from dangjian.territory import services
from dangjian.territory.models import Area, AreaKind

# Insert-only rows keep the paths of the moment they were written (DESIGN.md, Data scope).
NOT_MOVED = {(AuditEntry, "area_path")}


def test_every_area_path_column_is_registered():
    """Every column that stores a governance-tree path is rewritten by ``node_move``."""
    registered = set(path_copies("area"))
    missing = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if (
                isinstance(f, PathField)
                and f.name.endswith("area_path")
                and (model, f.name) not in registered | NOT_MOVED
            ):
                missing.append(f"{model._meta.label}.{f.name}")
    assert missing == []


@pytest.fixture
def demo(db):
    from dangjian.demo.generator import seed

    return seed("small", progress=False)


def _counts(path: str) -> dict[str, int]:
    return {
        f"{m._meta.label}.{f}": m._base_manager.filter(tree.subtree_q(f, path)).count()
        for m, f in path_copies("area")
    }


@pytest.mark.django_db
def test_moving_a_street_moves_every_row(demo):
    from dangjian.accounts.models import Grant, User

    admin = User.objects.get(username="demo-admin")
    street = Area.objects.filter(kind=AreaKind.STREET).order_by("-child_count", "path").first()
    target = Area.objects.filter(kind=AreaKind.COUNTY).exclude(pk=street.parent_id).first()
    old = street.path
    # Codes would name the old county: this deployment has none below the counties.
    Area.objects.filter(tree.subtree_q("path", old)).update(code="")
    before = _counts(old)
    # The demo has rows of most kinds under a street: members, events, users, orgs...
    assert sum(1 for n in before.values() if n) >= 8, before
    subtree_ids = set(Area.objects.filter(tree.subtree_q("path", old)).values_list("pk", flat=True))
    granted = set(Grant.objects.filter(area_id__in=subtree_ids).values_list("user_id", flat=True))
    versions = dict(User.objects.filter(pk__in=granted).values_list("pk", "grants_version"))
    moved = services.area_move(actor=admin, area=street, new_parent=target)
    assert moved.path.startswith(target.path) and moved.path != old
    assert set(_counts(old).values()) == {0}
    assert _counts(moved.path) == before
    # The areas of the subtree kept their ids, under the new path.
    assert (
        set(Area.objects.filter(tree.subtree_q("path", moved.path)).values_list("pk", flat=True))
        == subtree_ids
    )
    # Grants on the subtree's nodes follow by their foreign key; their holders' cached reach
    # is invalidated (the version on the user row moved).
    if granted:
        after = dict(User.objects.filter(pk__in=granted).values_list("pk", "grants_version"))
        assert all(after[pk] != versions[pk] for pk in granted)
    # A denormalized path always equals its node's path (the orgs' anchors, users' offices).
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM organizations_partyorg o JOIN territory_area a "
            "ON a.id = o.area_id WHERE o.area_path <> a.path"
        )
        assert cur.fetchone()[0] == 0
        cur.execute(
            "SELECT COUNT(*) FROM accounts_user u JOIN territory_area a "
            "ON a.id = u.area_id WHERE u.area_path <> a.path"
        )
        assert cur.fetchone()[0] == 0
