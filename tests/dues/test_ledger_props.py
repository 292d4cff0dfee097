"""Dues on the ledger, property-tested: whatever sequence of payments, replays, reversals,
extras and remittances, balances equal the sums of entries, the chain verifies, and a replayed
idempotency key changes nothing."""

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import ledger
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount, LedgerEntry, LedgerTransaction
from dangjian.dues import calc, services
from dangjian.dues.models import DuesPayment, DuesPaymentMonth
from tests.dues.helpers import at, dues_member

pytestmark = pytest.mark.django_db

OPS = st.lists(
    st.tuples(
        st.sampled_from(["pay", "replay", "reverse", "extra", "remit"]),
        st.integers(0, 1),  # which member
        st.integers(-7, 7),  # month offset from the current one
        st.integers(1, 200000),  # cents
    ),
    max_size=10,
)


def _check_invariants():
    for acct in LedgerAccount.objects.filter(ledger="dues"):
        total = LedgerEntry.objects.filter(account=acct).aggregate(s=Sum("amount"))["s"] or 0
        assert acct.balance == Decimal(str(total)).quantize(Decimal("0.01")), acct.code
    assert sum(LedgerAccount.objects.filter(ledger="dues").values_list("balance", flat=True)) == 0
    assert ledger.verify("dues") == []
    # A month is paid at most once at any time.
    live = list(DuesPaymentMonth.objects.filter(reversed=False).values_list("member_id", "month"))
    assert len(live) == len(set(live))
    # What the app says was paid is what the ledger holds for the member.
    for p in DuesPayment.objects.filter(reversed_at__isnull=True):
        assert p.total == p.dues_amount + p.extra_amount


def test_property_balances_equal_entries_and_replays_change_nothing(world):
    admin = world.users["admin"]
    with time_machine.travel(at(2026, 6, 15), tick=False):
        members = [
            dues_member(world, month="2025-06", quarterly=True, name="甲"),
            dues_member(world, org="unit_group", month="2025-06", quarterly=True, name="乙"),
        ]
    current = calc.month_of(at(2026, 6, 15).date())

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(OPS)
    def run(ops):
        with time_machine.travel(at(2026, 6, 15), tick=False), transaction.atomic():
            keys = {}
            for n, (op, who, offset, cents) in enumerate(ops):
                m = members[who]
                month = calc.month_text(calc.add_months(current, offset))
                try:
                    if op == "pay":
                        p, _ = services.payment_create(
                            actor=admin, member=m, months=[month], client_key=f"k{n}"
                        )
                        keys[f"k{n}"] = (m, month)
                    elif op == "replay" and keys:
                        key = sorted(keys)[cents % len(keys)]
                        mm, mon = keys[key]
                        before = (
                            LedgerTransaction.objects.count(),
                            list(LedgerAccount.objects.order_by("pk").values_list("balance")),
                        )
                        p, created = services.payment_create(
                            actor=admin, member=mm, months=[mon], client_key=key
                        )
                        assert not created
                        assert before == (
                            LedgerTransaction.objects.count(),
                            list(LedgerAccount.objects.order_by("pk").values_list("balance")),
                        )
                    elif op == "reverse":
                        p = DuesPayment.objects.filter(member=m, reversed_at__isnull=True).first()
                        if p is not None:
                            services.payment_reverse(actor=admin, payment=p, note="测试冲正")
                    elif op == "extra":
                        services.payment_create(
                            actor=admin, member=m, extra=str(Decimal(cents) / 100)
                        )
                    elif op == "remit":
                        services.remittance_create(
                            actor=admin,
                            org=world.orgs["grid_branch"],
                            amount=str(Decimal(cents) / 1000),
                        )
                except (ValidationError, Conflict):
                    pass  # refused: must have written nothing, which the invariants check
                _check_invariants()
            transaction.set_rollback(True)

    run()
