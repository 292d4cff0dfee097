"""Points on the ledger, property-tested: whatever sequence of batch awards, replays,
redemptions (within and beyond balance and stock), manual deductions and corrections,
balances equal the sums of entries, no subject goes negative, stock never goes below zero,
the chain verifies, and a replay changes nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import ledger
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount, LedgerEntry, LedgerTransaction
from dangjian.points import services
from dangjian.points.models import Award, AwardState, Item
from tests.points.helpers import event, item, resident, resident_scheme, rule

pytestmark = pytest.mark.django_db

OPS = st.lists(
    st.tuples(
        st.sampled_from(["award", "replay", "redeem", "deduct", "reverse"]),
        st.integers(0, 2),  # who
        st.integers(1, 4),  # how many / quantity
    ),
    max_size=12,
)


def _snapshot():
    return (
        LedgerTransaction.objects.count(),
        list(LedgerAccount.objects.order_by("pk").values_list("balance", flat=True)),
        list(Item.objects.order_by("pk").values_list("stock", flat=True)),
    )


def _check():
    for acct in LedgerAccount.objects.filter(ledger="points"):
        total = LedgerEntry.objects.filter(account=acct).aggregate(s=Sum("amount"))["s"] or 0
        assert acct.balance == Decimal(str(total)).quantize(Decimal("0.01")), acct.code
        if not acct.allow_negative:
            assert acct.balance >= 0, acct.code
    assert sum(LedgerAccount.objects.filter(ledger="points").values_list("balance", flat=True)) == 0
    assert all(s >= 0 for s in Item.objects.values_list("stock", flat=True))
    assert ledger.verify("points") == []


def test_property_points_ledger(world):
    s = resident_scheme(world)
    rule(world, s, source="cases.visit", points="7", cap="50", cap_period="year")
    black = rule(world, s, name="乱堆乱放", list_kind="black", points="9")
    it = item(world, s, price="10", stock=3)
    people = [resident(world, n) for n in ("甲", "乙", "丙")]
    staff = world.users["community"]

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(OPS)
    def run(ops):
        with transaction.atomic():
            sent = []
            for n, (op, who, k) in enumerate(ops):
                u = people[who]
                try:
                    if op == "award":
                        evs = [event(u, f"{n}-{i}") for i in range(k)]
                        services.award_events(evs)
                        sent.extend(evs)
                    elif op == "replay" and sent:
                        before = _snapshot()
                        assert services.award_events(sent) == 0
                        assert _snapshot() == before
                    elif op == "redeem":
                        services.redemption_create(actor=u, item_id=it.pk, quantity=k)
                    elif op == "deduct":
                        a = services.award_submit(
                            actor=staff, rule_id=black.pk, user_id=u.pk, data={}
                        )
                        services.award_transition(actor=staff, award_id=a.pk, action="approve")
                        services.award_transition(actor=staff, award_id=a.pk, action="score")
                    elif op == "reverse":
                        a = Award.objects.filter(user=u, state=AwardState.POSTED).first()
                        if a is not None:
                            services.award_reverse(actor=staff, award_id=a.pk, note="更正")
                except (ValidationError, Conflict, Http404):
                    pass  # refused: must have written nothing, which the invariants check
                _check()
            transaction.set_rollback(True)

    run()
