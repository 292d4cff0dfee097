"""Parallel payments on PostgreSQL: nothing lost, no month paid twice."""

import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connections

from dangjian.core import ledger
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount
from dangjian.dues import services
from dangjian.dues.models import DuesPaymentMonth
from tests.conftest import postgres_only
from tests.dues.helpers import at, dues_member

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def _run(workers):
    threads = [threading.Thread(target=w) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_parallel_payments_into_one_branch_account_lose_nothing(world):
    admin = world.users["admin"]
    with time_machine.travel(at(2026, 6, 15), tick=True):
        members = [
            dues_member(world, base="4000", month="2026-01", name=f"并发{i}") for i in range(6)
        ]
        errors = []

        def worker(m):
            def go():
                try:
                    for month in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05"):
                        services.payment_create(actor=admin, member=m, months=[month])
                except Exception as exc:  # collected, asserted below
                    errors.append(exc)
                finally:
                    connections.close_all()

            return go

        _run([worker(m) for m in members])
    assert errors == []
    branch = LedgerAccount.objects.get(ledger="dues", code=f"org:{world.orgs['grid_branch'].pk}")
    assert branch.balance == Decimal("1200.00")  # 6 members × 5 months × 40.00
    assert ledger.verify("dues") == []


def test_parallel_payments_of_one_month_pay_it_once(world):
    admin = world.users["admin"]
    with time_machine.travel(at(2026, 6, 15), tick=True):
        m = dues_member(world, base="4000", month="2026-01")
        outcomes = []

        def go():
            try:
                services.payment_create(actor=admin, member=m, months=["2026-06"])
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            except Exception as exc:  # collected, asserted below
                outcomes.append(repr(exc))
            finally:
                connections.close_all()

        _run([go for _ in range(6)])
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    assert DuesPaymentMonth.objects.filter(member=m).count() == 1
    member_acct = LedgerAccount.objects.get(ledger="dues", code=f"member:{m.pk}")
    assert member_acct.balance == Decimal("-40.00")
    assert ledger.verify("dues") == []
