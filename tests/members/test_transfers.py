"""Membership transfers: the workflow as data, both sides, history, moves and refusals."""

import pytest

from dangjian.core.models import AuditEntry
from dangjian.members.models import Member, MemberTransfer, TransferStep
from tests.members.helpers import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def m(world):
    return member(world.users["street"], world.orgs["grid_branch"], name="周八")


def transition(api, user, t, action, **extra):
    return api.post(user, f"/api/v1/members/transfers/{t}/transitions", {"action": action, **extra})


def test_internal_transfer_both_sides_approve_and_the_member_moves(world, api, m, street2_user):
    county = world.users["county"]
    r = api.post(
        world.users["street"],
        f"/api/v1/members/{m.pk}/transfers",
        {"to_org_id": world.orgs["street2_wc"].pk, "reason": "工作调动"},
    )
    # The street cannot see the other street's committee: refused as absent, nothing written.
    assert r.status_code == 404
    assert not MemberTransfer.objects.exists()
    r = api.post(
        county,
        f"/api/v1/members/{m.pk}/transfers",
        {"to_org_id": world.orgs["street2_wc"].pk, "reason": "工作调动"},
    )
    assert r.status_code == 200, r.content
    t = r.json()
    assert (t["state"], t["state_label"]) == ("requested", "待转出方审批")
    assert [a["code"] for a in t["actions"]] == ["approve_out", "reject_out", "cancel"]
    # Both sides see the transfer; the receiving side does not see the file yet.
    assert api.get(street2_user, f"/api/v1/members/transfers/{t['id']}").status_code == 200
    assert api.get(street2_user, f"/api/v1/members/{m.pk}").status_code == 404
    # Illegal moves change nothing.
    r = transition(api, street2_user, t["id"], "approve_in")
    assert r.status_code == 409 and "待转出方审批" in r.json()["detail"]
    r = transition(api, street2_user, t["id"], "approve_out")
    assert r.status_code == 403 and "转出方" in r.json()["detail"]
    r = transition(api, world.users["street"], t["id"], "fly")
    assert r.status_code == 422 and "approve_out" in r.json()["errors"]["action"][0]
    assert MemberTransfer.objects.get().state == "requested"
    r = transition(api, world.users["street"], t["id"], "approve_out", note="同意转出")
    assert r.status_code == 200 and r.json()["state"] == "out_approved"
    r = transition(api, world.users["street"], t["id"], "approve_in")
    assert r.status_code == 403
    r = transition(api, street2_user, t["id"], "approve_in", note="同意接收")
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["state"] == "completed" and out["completed_at"]
    assert [(h["action"], h["to_state"]) for h in out["history"]] == [
        ("request", "requested"),
        ("approve_out", "out_approved"),
        ("approve_in", "completed"),
    ]
    assert (
        out["history"][2]["actor_name"] == "t-street2" and out["history"][2]["note"] == "同意接收"
    )
    m.refresh_from_db()
    assert m.org_id == world.orgs["street2_wc"].pk and m.org_path == world.orgs["street2_wc"].path
    assert api.get(street2_user, f"/api/v1/members/{m.pk}").status_code == 200
    assert api.get(world.users["street"], f"/api/v1/members/{m.pk}").status_code == 404
    # The old side still sees the transfer it took part in.
    assert api.get(world.users["street"], f"/api/v1/members/transfers/{t['id']}").status_code == 200
    r = transition(api, street2_user, t["id"], "approve_in")
    assert r.status_code == 409
    moved = AuditEntry.objects.get(action="member.transfer", object_id=str(m.pk))
    assert moved.after["org_path"] == world.orgs["street2_wc"].path
    assert TransferStep.objects.count() == 3


def test_rejects_cancels_and_one_open_transfer(world, api, m):
    u = world.users["street"]
    r = api.post(u, f"/api/v1/members/{m.pk}/transfers", {"to_org_id": world.orgs["unit_group"].pk})
    assert r.status_code == 422 and "党小组" in r.json()["errors"]["to_org"][0]
    r = api.post(
        u, f"/api/v1/members/{m.pk}/transfers", {"to_org_id": world.orgs["grid_branch"].pk}
    )
    assert r.status_code == 422 and "当前所在" in r.json()["errors"]["to_org"][0]
    r = api.post(
        u, f"/api/v1/members/{m.pk}/transfers", {"to_org_id": world.orgs["community_committee"].pk}
    )
    t = r.json()["id"]
    r = api.post(
        u, f"/api/v1/members/{m.pk}/transfers", {"to_org_id": world.orgs["community_committee"].pk}
    )
    assert r.status_code == 409 and "未办结" in r.json()["detail"]
    assert transition(api, u, t, "cancel").json()["state"] == "cancelled"
    assert transition(api, u, t, "approve_out").status_code == 409
    t2 = api.post(
        u, f"/api/v1/members/{m.pk}/transfers", {"to_org_id": world.orgs["community_committee"].pk}
    ).json()["id"]
    assert transition(api, u, t2, "approve_out").json()["state"] == "out_approved"
    assert transition(api, u, t2, "reject_in", note="信息不全").json()["state"] == "rejected"
    m.refresh_from_db()
    assert m.org_id == world.orgs["grid_branch"].pk
    assert api.get(world.users["street3"], f"/api/v1/members/transfers/{t2}").status_code == 404
    assert api.get(world.users["street3"], "/api/v1/members/transfers/").json()["count"] == 0
    assert api.get(u, "/api/v1/members/transfers/", state="rejected").json()["count"] == 1


def test_out_of_system_needs_a_letter_and_takes_the_file_out_of_the_lists(world, api, m):
    u = world.users["street"]
    r = api.post(u, f"/api/v1/members/{m.pk}/transfers", {"kind": "out_of_system"})
    assert r.status_code == 422 and "to_org_name" in r.json()["errors"]
    t = api.post(
        u,
        f"/api/v1/members/{m.pk}/transfers",
        {"kind": "out_of_system", "to_org_name": "中共某省某县委组织部"},
    ).json()
    r = transition(api, u, t["id"], "approve_out")
    assert r.status_code == 422 and r.json()["errors"]["letter_number"] == ["请填写介绍信编号"]
    r = transition(api, u, t["id"], "approve_out", letter_number="闽组转字第0012号")
    assert r.status_code == 200 and r.json()["state"] == "completed"
    assert r.json()["letter_number"] == "闽组转字第0012号"
    m.refresh_from_db()
    assert m.left_on is not None
    assert api.get(u, "/api/v1/members/").json()["count"] == 0
    assert api.get(u, "/api/v1/members/", include_left="true").json()["count"] == 1
    r = api.post(
        u, f"/api/v1/members/{m.pk}/transfers", {"to_org_id": world.orgs["community_committee"].pk}
    )
    assert r.status_code == 409


def test_into_system_recorded_with_letter_number(world, api):
    from tests.members.helpers import id_no

    r = api.post(
        world.users["street"],
        "/api/v1/members/",
        {
            "org_id": world.orgs["grid_branch"].pk,
            "name": "吴九",
            "ethnicity": "01",
            "status": "full",
            "joined_on": "2001-07-01",
            "confirmed_on": "2002-07-01",
            "id_number": id_no("19750505", 5),
            "transfer_letter_number": "浙组转字第88号",
        },
    )
    assert r.status_code == 422 and "transfer_from_name" in r.json()["errors"]
    r = api.post(
        world.users["street"],
        "/api/v1/members/",
        {
            "org_id": world.orgs["grid_branch"].pk,
            "name": "吴九",
            "ethnicity": "01",
            "status": "full",
            "joined_on": "2001-07-01",
            "confirmed_on": "2002-07-01",
            "id_number": id_no("19750505", 5),
            "transfer_letter_number": "浙组转字第88号",
            "transfer_from_name": "中共杭州市某街道工委",
        },
    )
    assert r.status_code == 200, r.content
    detail = api.get(world.users["street"], f"/api/v1/members/{r.json()['id']}").json()
    [t] = detail["transfers"]
    assert (t["kind"], t["state"], t["letter_number"]) == (
        "into_system",
        "completed",
        "浙组转字第88号",
    )
    assert t["history"][0]["action_label"] == "登记转入"
    assert Member.objects.count() == 1
