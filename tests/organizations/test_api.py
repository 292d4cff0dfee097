"""The party tree's administration over the API: create, change, change kind, move, dissolve;
the list and detail with the form's fields, the member counts and the size warnings."""

from __future__ import annotations

import json

import pytest

from dangjian.core.models import AuditEntry
from dangjian.organizations import lifecycle
from dangjian.organizations.models import JointUnit, KindChange, OrgKind, PartyOrg
from tests import world as world_mod
from tests.organizations.helpers import branch, people, units

pytestmark = pytest.mark.django_db


def patch(api, user, path, data):
    return api.client.patch(
        path, json.dumps(data), content_type="application/json", headers=api._headers(user)
    )


def body(world, **extra):
    return {
        "parent_id": world.orgs["community_committee"].pk,
        "area_id": world.nodes["grid2"].pk,
        "name": "龙桥社区第二网格党支部",
        "kind": "branch",
        "domain": "community",
        "founding_full_members": 4,
        **extra,
    }


def test_create_answers_201_with_the_detail(world, api):
    r = api.post(world.users["admin"], "/api/v1/orgs/", body(world, credit_code=""))
    assert r.status_code == 201, r.content
    data = r.json()
    assert (data["kind"], data["kind_label"], data["founding_full_members"]) == (
        "branch",
        "党支部",
        4,
    )
    assert data["warnings"] == [] and data["member_count"] == 0
    assert data["dissolved_on"] is None


def test_create_a_joint_branch_with_its_units(world, api):
    r = api.post(
        world.users["street"],
        "/api/v1/orgs/",
        body(world, form="joint", founding_full_members=None, joint_units=units(3)),
    )
    assert r.status_code == 201, r.content
    assert [u["name"] for u in r.json()["joint_units"]] == ["测试单位1", "测试单位2", "测试单位3"]


def test_a_refusal_is_422_in_chinese_and_writes_nothing(world, api):
    api.get(world.users["admin"], "/api/v1/orgs/")  # the token's own audit row first
    before = PartyOrg.objects.count(), JointUnit.objects.count(), AuditEntry.objects.count()
    r = api.post(
        world.users["admin"],
        "/api/v1/orgs/",
        body(world, form="joint", founding_full_members=None, joint_units=units(6)),
    )
    assert r.status_code == 422
    assert "一般不超过5个，现填6个" in r.json()["errors"]["joint_units"][0]
    r = api.post(world.users["admin"], "/api/v1/orgs/", body(world, founding_full_members=2))
    assert r.status_code == 422
    assert "不足3名" in r.json()["errors"]["founding_full_members"][0]
    assert (
        PartyOrg.objects.count(),
        JointUnit.objects.count(),
        AuditEntry.objects.count(),
    ) == before


def test_an_outsider_reads_404_and_a_secretary_403(world, api):
    outsider = world_mod.user("t-out", role="township_staff", area_node=world.street3)
    before = PartyOrg.objects.count()
    assert api.post(outsider, "/api/v1/orgs/", body(world)).status_code == 404
    secretary = world_mod.user(
        "t-sec", role="secretary", org_node=world.orgs["community_committee"]
    )
    assert api.post(secretary, "/api/v1/orgs/", body(world)).status_code == 403
    assert PartyOrg.objects.count() == before


def test_patch_changes_only_what_is_sent(world, api):
    org = branch(world)
    r = patch(api, world.users["admin"], f"/api/v1/orgs/{org.pk}", {"name": "改名党支部"})
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "改名党支部" and r.json()["founding_full_members"] == 3
    r = patch(
        api,
        world.users["admin"],
        f"/api/v1/orgs/{org.pk}",
        {"form": "temporary", "project_name": "抢险", "ends_on": "2027-01-31"},
    )
    assert r.status_code == 200, r.content
    assert (r.json()["form"], r.json()["project_name"]) == ("temporary", "抢险")


@pytest.mark.parametrize("key", ["code", "contact_phone", "credit_code_override_reason"])
def test_patch_null_clears_a_text_field(world, api, key):
    """null for a text field clears it (the column holds text, never NULL: a null code was a
    500 on PostgreSQL, found by the deep fuzz)."""
    org = branch(world)
    r = patch(api, world.users["admin"], f"/api/v1/orgs/{org.pk}", {key: None})
    assert r.status_code == 200, r.content
    org.refresh_from_db()
    assert getattr(org, key) == ""


def test_patch_drops_control_characters_from_the_code(world, api):
    org = branch(world)
    r = patch(api, world.users["admin"], f"/api/v1/orgs/{org.pk}", {"code": "A\u00001"})
    assert r.status_code == 200, r.content
    org.refresh_from_db()
    assert org.code == "A1"


def test_change_kind_answers_with_warnings_and_history(world, api):
    org = branch(world)
    people(org, 120)
    r = api.post(
        world.users["admin"],
        f"/api/v1/orgs/{org.pk}/change-kind",
        {"kind": "general_branch", "reason": "党员增加"},
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["kind"] == "general_branch"
    assert data["warnings"] == [
        {
            "code": "over_general_branch_size",
            "message": "党员120名，超过100名，一般应设立基层党委",
            "count": 120,
        }
    ]
    assert data["kind_changes"][0]["from_kind_label"] == "党支部"
    assert KindChange.objects.filter(org=org).count() == 1


def test_dissolve_409_with_members_then_200(world, api):
    org = branch(world)
    members = people(org, 2)
    r = api.post(world.users["admin"], f"/api/v1/orgs/{org.pk}/dissolve", {"reason": "合并"})
    assert r.status_code == 409
    assert r.json()["detail"] == "测试党支部尚有党员2名，不能撤销：请先将其组织关系转出"
    for m in members:
        m.org = world.orgs["grid_branch"]
        m.org_path = world.orgs["grid_branch"].path
        m.save(update_fields=["org", "org_path"])
    r = api.post(world.users["admin"], f"/api/v1/orgs/{org.pk}/dissolve", {"reason": "合并"})
    assert r.status_code == 200, r.content
    assert r.json()["dissolved_on"] and r.json()["dissolved_reason"] == "合并"


def test_dissolved_orgs_leave_the_default_list(world, api):
    org = branch(world)
    lifecycle.org_dissolve(actor=world.users["admin"], org=org, reason="撤销")
    parent = world.orgs["community_committee"].pk
    ids = [
        i["id"]
        for i in api.get(world.users["admin"], f"/api/v1/orgs/?parent={parent}").json()["items"]
    ]
    assert org.pk not in ids
    r = api.get(world.users["admin"], f"/api/v1/orgs/?parent={parent}&include_closed=1")
    assert org.pk in [i["id"] for i in r.json()["items"]]
    assert api.get(world.users["admin"], f"/api/v1/orgs/{org.pk}").status_code == 200


def test_move(world, api):
    org = branch(world)
    r = api.post(
        world.users["admin"],
        f"/api/v1/orgs/{org.pk}/move",
        {"parent_id": world.orgs["village_committee"].pk},
    )
    assert r.status_code == 200, r.content
    assert r.json()["parent_id"] == world.orgs["village_committee"].pk


def test_list_carries_member_counts_in_a_pinned_number_of_queries(
    world, api, django_assert_max_num_queries
):
    parent = world.orgs["community_committee"]
    for i in range(6):
        b = branch(world, name=f"计数党支部{i}")
        people(b, i + 1)
    people(world.orgs["unit_group"], 4)
    user = world.users["admin"]
    api.get(user, f"/api/v1/orgs/?parent={parent.pk}")  # warm the grants and the statements
    with django_assert_max_num_queries(6):
        r = api.get(user, f"/api/v1/orgs/?parent={parent.pk}")
    items = {i["name"]: i for i in r.json()["items"]}
    assert items["计数党支部5"]["member_count"] == 6
    assert items["龙桥社区第一网格党支部"]["member_count"] == 4
    with django_assert_max_num_queries(8):
        r = api.get(user, "/api/v1/orgs/?q=党支部&page_size=200")
    assert {i["name"]: i["full_member_count"] for i in r.json()["items"]}["计数党支部2"] == 3


def test_detail_shows_the_form_and_warnings(world, api):
    org = branch(world)
    people(org, 51)
    r = api.get(world.users["street"], f"/api/v1/orgs/{org.pk}")
    assert r.status_code == 200
    assert r.json()["warnings"][0]["count"] == 51
    assert r.json()["credit_code"] == ""
    assert r.json()["kind"] == OrgKind.BRANCH
