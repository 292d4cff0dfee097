"""core.audit reads a row's paths from the object's declared scope fields; core.treemodel
calls its declared move hooks explicitly."""

from __future__ import annotations

import pytest

from dangjian.accounts.models import Role
from dangjian.core import audit, treemodel
from dangjian.core.models import AuditEntry, LedgerAccount, LedgerEntry
from dangjian.territory import services as territory


def test_paths_follow_the_declared_fields_through_relations():
    account = LedgerAccount(area_path="00010002", org_path="00030004")
    assert audit.object_paths(account) == ("00010002", "00030004")
    assert audit.object_paths(LedgerEntry(account=account)) == ("00010002", "00030004")


def test_a_model_declaring_one_tree_gives_no_path_of_the_other():
    from dangjian.members.models import Member

    member = Member(org_path="00030004", area_path="00010002")
    assert audit.object_paths(member) == ("", "00030004")


def test_a_model_without_scope_fields_falls_back_to_its_paths():
    assert audit.object_paths(Role(code="x")) == ("", "")


@pytest.mark.django_db
def test_record_scopes_a_member_row_by_its_org_only(world):
    from dangjian.members.models import Member

    member = Member(pk=10**9, name="甲", org_path=world.orgs["grid_branch"].path)
    member.area_path = world.nodes["unit"].path
    row = audit.record(actor=world.users["county"], action="member.update", obj=member)
    assert (row.area_path, row.org_path) == ("", world.orgs["grid_branch"].path)
    # Paths a call site passes still win.
    row = audit.record(
        actor=world.users["county"], action="member.update", obj=member, area_path="0001"
    )
    assert (row.area_path, row.org_path) == ("0001", world.orgs["grid_branch"].path)


@pytest.mark.django_db
def test_explicit_seal_keeps_the_actor_encrypted(world):
    from dangjian.core import crypto

    row = audit.record(
        actor=world.users["resident"],
        action="probe",
        area_path=world.street.path,
        after={"score": 5},
        seal=True,
    )
    row = AuditEntry.objects.get(pk=row.pk)
    assert (row.actor_id, row.actor_name, row.remote_addr) == (None, "", "")
    assert row.after == {"score": 5} and row.actor_label == "（已密封）"
    assert "t-resident" not in row.sealed_actor
    assert '"actor_name": "t-resident"' in crypto.decrypt(row.sealed_actor)
    plain = audit.record(actor=world.users["street"], action="probe")
    assert plain.sealed_actor is None and not plain.sealed and plain.actor_label == "t-street"


@pytest.mark.django_db
def test_move_hooks_are_called_in_order_inside_the_move(world, monkeypatch):
    calls = []
    monkeypatch.setattr(
        treemodel,
        "_MOVE_HOOKS",
        [*treemodel._MOVE_HOOKS, lambda **kw: calls.append(("second", kw))],
    )
    old = world.community.path
    territory.area_move(actor=world.users["admin"], area=world.community, new_parent=world.street2)
    world.community.refresh_from_db()
    assert calls == [("second", {"tree_name": "area", "old": old, "new": world.community.path})]
