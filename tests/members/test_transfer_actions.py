"""Transfers on the kernel's workflow engine: the detail lists the moves the caller may make
now (``allowed_actions``), per side and state, and the console's buttons come from it."""

import pytest

from dangjian.members import services
from dangjian.members.models import MemberTransfer
from tests.members.helpers import member

pytestmark = pytest.mark.django_db

SENDING = [
    {"action": "approve_out", "label": "转出方审批同意"},
    {"action": "reject_out", "label": "转出方退回"},
    {"action": "cancel", "label": "撤销申请"},
]
RECEIVING = [
    {"action": "approve_in", "label": "转入方接收"},
    {"action": "reject_in", "label": "转入方退回"},
]


@pytest.fixture
def m(world):
    return member(world.users["street"], world.orgs["grid_branch"], name="周八")


def allowed(api, user, pk):
    r = api.get(user, f"/api/v1/members/transfers/{pk}")
    assert r.status_code == 200, r.content
    return r.json()["allowed_actions"]


def test_each_side_sees_its_own_moves_of_an_internal_transfer(world, api, m, street2_user):
    street = world.users["street"]
    t = services.transfer_request(
        actor=world.users["county"], member=m, to_org=world.orgs["street2_wc"]
    )
    # Requested: the sending side approves, returns or cancels; the receiving side waits.
    assert allowed(api, street, t.pk) == SENDING
    assert allowed(api, street2_user, t.pk) == []
    r = api.post(street, f"/api/v1/members/transfers/{t.pk}/transitions", {"action": "approve_out"})
    assert r.status_code == 200 and r.json()["state"] == "out_approved"
    # The transition's answer lists the caller's moves now: the sending side may still cancel.
    assert r.json()["allowed_actions"] == [{"action": "cancel", "label": "撤销申请"}]
    assert allowed(api, street2_user, t.pk) == RECEIVING
    assert allowed(api, street, t.pk) == [{"action": "cancel", "label": "撤销申请"}]
    r = api.post(
        street2_user, f"/api/v1/members/transfers/{t.pk}/transitions", {"action": "approve_in"}
    )
    assert r.status_code == 200 and r.json()["state"] == "completed"
    assert r.json()["allowed_actions"] == []
    assert allowed(api, street, t.pk) == []
    # Out of both sides' reach: absent, as before.
    assert api.get(world.users["street3"], f"/api/v1/members/transfers/{t.pk}").status_code == 404


def test_out_of_system_transfer_lists_its_own_labels_and_ends_with_none(world, api, m):
    street = world.users["street"]
    t = services.transfer_request(
        actor=street, member=m, kind="out_of_system", to_org_name="中共某省某县委组织部"
    )
    assert allowed(api, street, t.pk) == [
        {"action": "approve_out", "label": "审批同意并开具介绍信"},
        {"action": "reject_out", "label": "转出方退回"},
        {"action": "cancel", "label": "撤销申请"},
    ]
    r = api.post(street, f"/api/v1/members/transfers/{t.pk}/transitions", {"action": "reject_out"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert r.json()["allowed_actions"] == []
    assert MemberTransfer.objects.get(pk=t.pk).state == "rejected"


def test_console_buttons_are_the_allowed_actions(world, client, m, street2_user):
    t = services.transfer_request(
        actor=world.users["county"], member=m, to_org=world.orgs["street2_wc"]
    )
    client.force_login(world.users["street"])
    body = client.get("/members/transfers/").content.decode()
    buttons = [f'name="action" value="{a["action"]}"' for a in SENDING + RECEIVING]
    assert [b in body for b in buttons] == [True, True, True, False, False]
    client.force_login(street2_user)
    body = client.get("/members/transfers/").content.decode()
    assert [b in body for b in buttons] == [False] * 5
    services.transfer_transition(actor=world.users["street"], transfer=t, action="approve_out")
    body = client.get("/members/transfers/").content.decode()
    assert [b in body for b in buttons] == [False, False, False, True, True]
