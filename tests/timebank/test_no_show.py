"""A no-show is recorded, and either side cancels with a reason (issue 16): the community or the
resident records a helper who never came (the place opens again, no hours, the step in the
order's history); a helper withdraws with a reason before checking in; the community cancels
with a reason; an accepted helper who never checked in when the resident confirms is recorded
as not come. Each refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount
from dangjian.core.scope import Forbidden
from dangjian.timebank.models import OrderStep, Participation
from tests.timebank.helpers import dispatched, helper, move

pytestmark = pytest.mark.django_db


def _state(o):
    o.refresh_from_db()
    return (
        o.state,
        o.accepted_count,
        sorted(Participation.objects.filter(order=o).values_list("user_id", "state")),
        OrderStep.objects.filter(order=o).count(),
    )


def test_a_no_show_is_recorded_and_the_place_opens_again(world):
    a, b, c = helper(world, "李红"), helper(world, "王强"), helper(world, "张伟")
    o = dispatched(world, helpers=2)
    move(a, o, "accept")
    o = move(b, o, "accept")
    assert o.state == "staffed"
    pa = Participation.objects.get(order=o, user=a)
    before = _state(o)
    with pytest.raises(ValidationError) as exc:  # which helper, named on the field
        move(world.users["community"], o, "no_show")
    assert "participation_id" in exc.value.message_dict
    with pytest.raises(Forbidden):  # a helper does not record another's absence
        move(b, o, "no_show", participation_id=pa.pk)
    assert _state(o) == before
    o = move(world.users["community"], o, "no_show", participation_id=pa.pk)
    assert (o.state, o.accepted_count) == ("open", 1)
    pa.refresh_from_db()
    assert pa.state == "no_show"
    step = OrderStep.objects.filter(order=o).latest("id")
    assert step.action == "no_show" and step.actor_id == world.users["community"].pk
    with pytest.raises(Forbidden, match="只有已接单的志愿者"):  # no check-in on it now
        move(a, o, "check_in")
    move(c, o, "accept")  # the place is taken again
    # A helper already serving is not a no-show.
    move(b, o, "check_in")
    pb = Participation.objects.get(order=o, user=b)
    with pytest.raises(ValidationError):
        move(world.users["resident"], o, "no_show", participation_id=pb.pk)
    # At the resident's confirmation, a helper accepted but never checked in is recorded too.
    start = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        move(b, o, "check_out")
        move(world.users["resident"], o, "confirm", rating=4)
    assert dict(Participation.objects.filter(order=o).values_list("user_id", "state")) == {
        a.pk: "no_show",
        b.pk: "confirmed",
        c.pk: "no_show",
    }
    credited = LedgerAccount.objects.filter(ledger="timebank", code__startswith="timebank:user:")
    assert {x.owner_id for x in credited if x.balance > Decimal(0)} == {b.pk}


def test_a_helper_withdraws_with_a_reason_before_checking_in(world):
    a = helper(world, "李红")
    o = dispatched(world)
    o = move(a, o, "accept")
    before = _state(o)
    with pytest.raises(ValidationError) as exc:
        move(a, o, "withdraw")
    assert "note" in exc.value.message_dict
    assert _state(o) == before
    o = move(a, o, "withdraw", note="临时加班")
    assert (o.state, o.accepted_count) == ("open", 0)
    assert Participation.objects.get(order=o).state == "cancelled"
    assert OrderStep.objects.filter(order=o).latest("id").note == "临时加班"


def test_the_community_cancels_with_a_reason_but_not_once_someone_serves(world):
    a = helper(world, "李红")
    o = dispatched(world, helpers=2)
    move(a, o, "accept")
    move(a, o, "check_in")
    before = _state(o)
    with pytest.raises(Conflict, match="已有志愿者签到"):
        move(world.users["community"], o, "cancel", note="社区统一安排")
    assert _state(o) == before
    other = dispatched(world)
    with pytest.raises(ValidationError) as exc:
        move(world.users["community"], other, "cancel")
    assert "note" in exc.value.message_dict
    other = move(world.users["community"], other, "cancel", note="需求已由物业解决")
    assert other.state == "cancelled"
    assert OrderStep.objects.filter(order=other).latest("id").note == "需求已由物业解决"
