"""The whole order on the services: order, dispatch, accept, check in and out, confirm; and
every refusal (full, expired, cancelled, check-out before check-in, someone else's order)
changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.core import ledger
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount, Notification
from dangjian.core.scope import Forbidden
from dangjian.timebank import selectors, services
from dangjian.timebank.models import Order, OrderStep, Participation
from tests.timebank.helpers import dispatched, helper, move, order

pytestmark = pytest.mark.django_db


def _balance(user) -> Decimal:
    a = LedgerAccount.objects.filter(ledger="timebank", code=f"timebank:user:{user.pk}").first()
    return a.balance if a else Decimal("0")


def test_the_whole_order(world):
    resident = world.users["resident"]
    a, b = helper(world, "李红"), helper(world, "王强")
    o = order(world, helpers=2)
    assert o.state == "ordered"
    assert [x.pk for x in selectors.orders_to_dispatch(world.users["community"])] == [o.pk]
    assert list(selectors.orders_to_accept(a)) == []  # not dispatched yet
    move(world.users["community"], o, "dispatch", open_to_checked_in=True)
    assert [x.pk for x in selectors.orders_to_accept(a)] == [o.pk]
    move(a, o, "accept")
    o = move(b, o, "accept")
    assert o.state == "staffed" and o.accepted_count == 2
    start = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        move(a, o, "check_in", lat="25.43", lng="119.01")
        move(b, o, "check_in")
    with time_machine.travel(start + dt.timedelta(hours=2, minutes=30), tick=False):
        move(a, o, "check_out")
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        move(b, o, "check_out")
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        assert [x.pk for x in selectors.orders_to_confirm(resident)] == [o.pk]
        o = move(resident, o, "confirm", rating=5, comment="很满意")
    assert o.state == "completed" and o.rating == 5
    assert _balance(a) == Decimal("2.50") and _balance(b) == Decimal("1.00")
    community = LedgerAccount.objects.get(code=f"timebank:community:{o.community_id}")
    assert community.balance == Decimal("-3.50")
    assert ledger.verify("timebank") == []
    assert Notification.objects.filter(recipient=resident).exists()
    rows = list(selectors.confirmed_participations())
    assert {r["user_id"]: r["hours"] for r in rows} == {
        a.pk: Decimal("2.50"),
        b.pk: Decimal("1.00"),
    }
    assert all(r["member_id"] and r["org_path"] for r in rows)
    assert [s.action for s in OrderStep.objects.filter(order=o)] == [
        "create",
        "dispatch",
        "accept",
        "accept",
        "check_in",
        "check_in",
        "check_out",
        "check_out",
        "confirm",
    ]


def _fingerprint(o):
    o.refresh_from_db()
    return (
        o.state,
        o.accepted_count,
        list(Participation.objects.filter(order=o).values_list("state", "hours")),
        OrderStep.objects.filter(order=o).count(),
    )


def test_a_full_order_refuses_and_changes_nothing(world):
    a, b = helper(world, "李红"), helper(world, "王强")
    o = dispatched(world)
    move(a, o, "accept")
    before = _fingerprint(o)
    with pytest.raises(Conflict, match="已满员"):
        move(b, o, "accept")
    assert _fingerprint(o) == before


def test_accept_once_per_member(world):
    a = helper(world, "李红")
    o = dispatched(world, helpers=3)
    move(a, o, "accept")
    before = _fingerprint(o)
    with pytest.raises(Conflict, match="只能接一次"):
        move(a, o, "accept")
    assert _fingerprint(o) == before


def test_an_expired_order_refuses(world):
    a = helper(world, "李红")
    o = dispatched(world)
    with time_machine.travel(o.ends_at + dt.timedelta(minutes=1), tick=False):
        with pytest.raises(Conflict, match="时间已过"):
            move(a, o, "accept")
        assert services.orders_expire() == 1
    o.refresh_from_db()
    assert o.state == "expired"
    with pytest.raises(Conflict, match="已过期"):
        move(a, o, "accept")


def test_a_cancelled_order_refuses(world):
    a = helper(world, "李红")
    o = dispatched(world)
    with pytest.raises(ValidationError) as exc:
        move(world.users["resident"], o, "cancel")
    assert "note" in exc.value.message_dict
    move(world.users["resident"], o, "cancel", note="老人已住院")
    before = _fingerprint(o)
    with pytest.raises(Conflict, match="已取消"):
        move(a, o, "accept")
    assert _fingerprint(o) == before


def test_check_out_before_check_in_refuses(world):
    a = helper(world, "李红")
    o = dispatched(world)
    move(a, o, "accept")
    before = _fingerprint(o)
    with pytest.raises(Conflict, match="尚未签到"):
        move(a, o, "check_out")
    assert _fingerprint(o) == before


def test_confirming_someone_elses_order_refuses(world):
    a = helper(world, "李红")
    o = dispatched(world)
    move(a, o, "accept")
    move(a, o, "check_in")
    move(a, o, "check_out")
    before = _fingerprint(o)
    with pytest.raises(Forbidden):
        move(a, o, "confirm", rating=5)
    with pytest.raises((Forbidden, Http404)):
        move(world.users["community"], o, "confirm", rating=5)
    assert _fingerprint(o) == before


def test_a_member_not_checked_in_cannot_see_or_accept(world):
    stranger = helper(world, "赵六", checked_in=False)
    o = dispatched(world)
    with pytest.raises(Http404):
        move(stranger, o, "accept")
    assert list(selectors.orders_to_accept(stranger)) == []


def test_a_correction_reverses_and_reposts(world):
    a = helper(world, "李红")
    o = dispatched(world)
    move(a, o, "accept")
    start = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        move(a, o, "check_in")
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        move(a, o, "check_out")
        move(world.users["resident"], o, "confirm", rating=4)
    p = Participation.objects.get(order=o)
    first = p.txn
    services.participation_correct(
        actor=world.users["community"], participation=p, hours="1.50", reason="签退延迟"
    )
    p.refresh_from_db()
    assert p.hours == Decimal("1.50") and p.txn_id != first.pk
    assert _balance(a) == Decimal("1.50")
    assert ledger.verify("timebank") == []
    with pytest.raises(ValidationError):
        services.participation_correct(
            actor=world.users["community"], participation=p, hours="-1", reason="x"
        )


def test_bad_order_input_names_the_field(world):
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        services.order_create(
            actor=world.users["resident"],
            service_class="nope",
            description="",
            place="",
            starts_at=now,
            ends_at=now - dt.timedelta(hours=1),
            helpers_wanted=0,
        )
    assert set(exc.value.message_dict) >= {
        "service_class",
        "description",
        "place",
        "ends_at",
        "helpers_wanted",
    }
    assert Order.objects.count() == 0
