"""Transfers wait on the side that moves them next; the receiving side is told one arrived."""

import pytest

from dangjian.core import todo
from dangjian.core.models import Notification
from dangjian.members.services import transfers
from tests.members.helpers import member

pytestmark = pytest.mark.django_db


def waiting(user, key):
    return [t.object_id for t in todo.inbox(user, limit=None, only=[key])]


def test_a_transfer_waits_on_each_side_and_the_receiver_is_told(world, street2_user):
    community = world.users["community"]
    m = member(world.users["street"], world.orgs["grid_branch"], name="周八")
    t = transfers.transfer_request(
        actor=world.users["county"], member=m, to_org=world.orgs["street2_wc"], reason="工作调动"
    )
    assert waiting(community, "members.transfer_out") == [t.pk]
    assert waiting(street2_user, "members.transfer_in") == []
    assert waiting(world.users["street3"], "members.transfer_out") == []
    item = todo.inbox(community, only=["members.transfer_out"])[0]
    assert item.title == "审批转出申请" and "周八" in item.subject
    assert item.url == "/members/transfers/?state=requested"
    transfers.transfer_transition(actor=community, transfer=t, action="approve_out")
    assert waiting(community, "members.transfer_out") == []
    assert waiting(street2_user, "members.transfer_in") == [t.pk]
    n = Notification.objects.get(recipient=street2_user)
    assert n.kind == "members.transfer" and "周八" in n.body
    assert not Notification.objects.filter(recipient=community).exists()
    transfers.transfer_transition(actor=street2_user, transfer=t, action="approve_in")
    assert waiting(street2_user, "members.transfer_in") == []
    assert Notification.objects.filter(recipient=street2_user).count() == 1
