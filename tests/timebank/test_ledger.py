"""Hours on the ledger, property-tested: whatever sequence of acceptances, check-ins and
-outs, confirmations, corrections and cancellations, balances equal the sums of entries and the
chain verifies; ``dangjian ledger verify`` finds a tampered hours row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import ledger
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount, LedgerEntry
from dangjian.core.scope import Forbidden
from dangjian.timebank import services
from dangjian.timebank.models import Participation
from tests.timebank.helpers import dispatched, helper, move

pytestmark = pytest.mark.django_db

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["order", "accept", "check_in", "check_out", "confirm", "correct", "cancel", "withdraw"]
        ),
        st.integers(0, 2),  # which helper
        st.integers(0, 3),  # which order
        st.integers(0, 1200),  # minutes, or hundredths of an hour for a correction
    ),
    max_size=14,
)


def _check_invariants():
    accounts = LedgerAccount.objects.filter(ledger="timebank")
    for acct in accounts:
        total = LedgerEntry.objects.filter(account=acct).aggregate(s=Sum("amount"))["s"] or 0
        assert acct.balance == Decimal(str(total)).quantize(Decimal("0.01")), acct.code
    assert sum(accounts.values_list("balance", flat=True)) == 0
    assert ledger.verify("timebank") == []
    # What the app says was credited is what each helper's account holds.
    for acct in accounts.filter(code__startswith="timebank:user:"):
        credited = (
            Participation.objects.filter(user_id=acct.owner_id, state="confirmed").aggregate(
                s=Sum("hours")
            )["s"]
            or 0
        )
        assert acct.balance == Decimal(str(credited)).quantize(Decimal("0.01"))


def test_property_balances_equal_entries(world):
    helpers = [helper(world, n) for n in ("甲", "乙", "丙")]
    resident, community = world.users["resident"], world.users["community"]
    base = timezone.now().replace(microsecond=0)

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(OPS)
    def run(ops):
        clock = base
        with transaction.atomic():
            orders = []
            for op, who, which, n in ops:
                h = helpers[who]
                try:
                    with time_machine.travel(clock, tick=False):
                        if op == "order" or not orders:
                            orders.append(dispatched(world, helpers=2))
                            continue
                        o = orders[which % len(orders)]
                        if op == "correct":
                            p = Participation.objects.filter(order=o, state="confirmed").first()
                            if p is not None:
                                services.participation_correct(
                                    actor=community,
                                    participation=p,
                                    hours=str(Decimal(n) / 100),
                                    reason="核实更正",
                                )
                        elif op == "confirm":
                            move(resident, o, "confirm", rating=5)
                        elif op in ("cancel", "withdraw"):
                            move(resident if op == "cancel" else h, o, op, note="有事")
                        else:
                            move(h, o, op)
                except (ValidationError, Conflict, Forbidden, Http404):
                    pass  # refused: must have written nothing, which the invariants check
                clock += dt.timedelta(minutes=n % 240)
                _check_invariants()
            transaction.set_rollback(True)

    run()


def test_ledger_verify_finds_a_tampered_hours_row(world):
    a = helper(world, "李红")
    o = dispatched(world)
    move(a, o, "accept")
    start = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        move(a, o, "check_in")
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        move(a, o, "check_out")
        move(world.users["resident"], o, "confirm", rating=5)
    call_command("ledger", "verify")  # clean
    p = Participation.objects.get(order=o)
    entry = LedgerEntry.objects.get(transaction_id=p.txn_id, amount__gt=0)
    # Rows are append-only in the database: an edit is refused outright.
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("30.00"))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_ledgerentry SET amount = %s WHERE id = %s", ["30.00", entry.pk])
    # A row slipped in behind the application's back is found.
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO core_ledgerentry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
            [p.txn_id, entry.account_id, "27.00"],
        )
    problems = [str(x) for x in ledger.verify("timebank")]
    assert any("哈希校验失败" in x for x in problems)
    with pytest.raises(CommandError, match="台账校验发现"):
        call_command("ledger", "verify")
