"""Redemption: points and stock in one transaction, refusals change nothing, receipts."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.core import ledger
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerTransaction, Notification
from dangjian.points import selectors, services
from dangjian.points.models import Item, Redemption, RedemptionState
from tests.points.helpers import credit, item, resident, resident_scheme

pytestmark = pytest.mark.django_db


def _state(it, user):
    it.refresh_from_db()
    balances = {b.scheme.pk: b.balance for b in selectors.my_balances(user)}
    return it.stock, balances, LedgerTransaction.objects.count(), Redemption.objects.count()


def test_redeem_debits_points_and_stock_and_the_receipt_is_used_once(world):
    s = resident_scheme(world)
    u = resident(world)
    credit(world, s, u, points="50")
    it = item(world, s, price="20", stock=3)
    r = services.redemption_create(actor=u, item_id=it.pk, quantity=2)
    assert r.points == Decimal("40.00") and r.state == RedemptionState.READY
    stock, balances, *_ = _state(it, u)
    assert stock == 1 and balances[s.pk] == Decimal("10.00")
    assert Notification.objects.filter(recipient=u, kind="points.redemption").exists()
    staff = world.users["community"]
    assert services.receipt_lookup(actor=staff, code=r.code.lower()).pk == r.pk
    with pytest.raises(Http404):
        services.receipt_lookup(actor=world.users["street3"], code=r.code)
    with pytest.raises(Http404):  # the redeemer cannot mark their own receipt used
        services.receipt_use(actor=u, code=r.code)
    services.receipt_use(actor=staff, code=r.code)
    with pytest.raises(Conflict):
        services.receipt_use(actor=staff, code=r.code)
    assert ledger.verify("points") == []


def test_more_than_balance_or_stock_is_refused_and_nothing_changes(world):
    s = resident_scheme(world)
    u = resident(world)
    credit(world, s, u, points="30")
    it = item(world, s, price="20", stock=1)
    before = _state(it, u)
    with pytest.raises(ValidationError) as e:
        services.redemption_create(actor=u, item_id=it.pk, quantity=2)
    assert "库存不足" in str(e.value)
    assert _state(it, u) == before
    it2 = item(world, s, name="大米", price="40", stock=9)
    before = _state(it2, u)
    with pytest.raises(ValidationError) as e:
        services.redemption_create(actor=u, item_id=it2.pk)
    assert "余额不足" in str(e.value)
    assert _state(it2, u) == before
    with pytest.raises(ValidationError):
        services.redemption_create(actor=u, item_id=it.pk, quantity=0)


def test_only_subjects_of_the_scheme_redeem(world):
    s = resident_scheme(world)
    it = item(world, s)
    outsider = resident(world, "外村人", home="village")
    with pytest.raises(Http404):
        services.redemption_create(actor=outsider, item_id=it.pk)
    assert Item.objects.get(pk=it.pk).stock == 5


def test_a_correction_after_the_points_were_spent_is_refused(world):
    from dangjian.points.models import Award

    s = resident_scheme(world)
    u = resident(world)
    credit(world, s, u, points="20")
    it = item(world, s, price="20", stock=1)
    services.redemption_create(actor=u, item_id=it.pk)
    award = Award.objects.get()
    with pytest.raises(Conflict):
        services.award_reverse(actor=world.users["community"], award_id=award.pk, note="错记")
    assert Award.objects.get().state == "posted"
