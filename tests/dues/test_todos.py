"""Hardship requests wait on the branch, then on the level above (not the one who agreed)."""

import pytest
import time_machine

from dangjian.core import todo
from dangjian.dues import services
from tests.dues.helpers import at, dues_member

pytestmark = pytest.mark.django_db


def waiting(user, key):
    return [t.object_id for t in todo.inbox(user, limit=None, only=[key])]


def test_a_hardship_request_waits_on_each_level_in_turn(world):
    community, street = world.users["community"], world.users["street"]
    with time_machine.travel(at(2026, 6, 15), tick=False):
        m = dues_member(world, month="2026-01", name="困难党员")
        h = services.hardship_request(
            actor=community,
            member=m,
            kind="waive",
            from_month="2026-07",
            to_month="2026-08",
            reason="重病住院",
        )
        assert waiting(community, "dues.hardship_decide") == [h.pk]
        assert waiting(street, "dues.hardship_decide") == []  # two levels up: not theirs
        assert waiting(world.users["street3"], "dues.hardship_decide") == []
        item = todo.inbox(community, only=["dues.hardship_decide"])[0]
        assert item.url == f"/dues/members/{m.pk}/" and item.subject == "困难党员 · 免交党费"
        services.hardship_transition(actor=community, hardship=h, action="agree")
        assert waiting(community, "dues.hardship_decide") == []
        assert waiting(community, "dues.hardship_approve") == []  # decided for the branch
        assert waiting(street, "dues.hardship_approve") == [h.pk]
        assert waiting(world.users["county"], "dues.hardship_approve") == []
        services.hardship_transition(actor=street, hardship=h, action="approve")
        assert waiting(street, "dues.hardship_approve") == []
