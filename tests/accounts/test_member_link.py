"""A member's file linked to the member's account: the account then reaches its own file;
scope on both sides; unlinking."""

from __future__ import annotations

import pytest

from dangjian.accounts.models import Grant
from dangjian.core.models import AuditEntry
from dangjian.members.models import Member
from tests import world as world_mod
from tests.members.helpers import id_no, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def file(world):
    return member(
        world.users["admin"],
        world.orgs["grid_branch"],
        name="林党员",
        id_number=id_no("19800101", 77),
        unit=world.nodes["unit"],
    )


def test_link_resident_account_becomes_member(world, api, file):
    res = world.users["resident"]
    r = api.post(
        world.users["street"], f"/api/v1/users/{res.pk}/link-member", {"member_id": file.pk}
    )
    assert r.status_code == 200, r.content
    assert r.json()["member_id"] == file.pk
    res.refresh_from_db()
    assert res.kind == "member"
    assert Grant.objects.filter(user=res, role__code="member").exists()
    assert Member.objects.visible_to(res, "members.view").filter(pk=file.pk).exists()
    assert AuditEntry.objects.filter(action="member.link_account").exists()
    r = api.post(world.users["street"], f"/api/v1/users/{res.pk}/unlink-member")
    assert r.json()["member_id"] is None
    file.refresh_from_db()
    assert file.user_id is None


def test_staff_account_refused_and_outsider_404(world, api, file):
    r = api.post(
        world.users["street"],
        f"/api/v1/users/{world.users['grid'].pk}/link-member",
        {"member_id": file.pk},
    )
    assert r.status_code == 422
    r = api.post(
        world.users["street3"],
        f"/api/v1/users/{world.users['resident'].pk}/link-member",
        {"member_id": file.pk},
    )
    assert r.status_code == 404
    other = world_mod.user("t-res3", role="resident", kind="resident", home=world.street3)
    r = api.post(
        world.users["street3"], f"/api/v1/users/{other.pk}/link-member", {"member_id": file.pk}
    )
    assert r.status_code == 404  # the file is another street's
    file.refresh_from_db()
    assert file.user_id is None
