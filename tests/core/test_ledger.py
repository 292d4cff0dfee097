import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from dangjian.core import ledger
from dangjian.core.models import LedgerAccount, LedgerEntry, LedgerTransaction
from tests.conftest import postgres_only


def accounts(n=2, allow_negative=True):
    return [
        ledger.account_open(
            ledger="points", code=f"acct-{i}", name=f"账户{i}", allow_negative=allow_negative
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_post_moves_balances_and_chains():
    a, b = accounts()
    t1 = ledger.post(
        ledger="points", key="src:rule:1", kind="award", entries=[(a, "-10.00"), (b, "10")]
    )
    t2 = ledger.post(ledger="points", key="src:rule:2", kind="award", entries=[(a, -5), (b, 5)])
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (Decimal("-15.00"), Decimal("15.00"))
    assert t1.seq == 1 and t2.seq == 2 and t2.prev_hash == t1.hash
    assert ledger.verify() == []


@pytest.mark.django_db
def test_replaying_a_key_changes_nothing():
    a, b = accounts()
    key = ledger.idempotency_key("orglife", "attend", 42)
    t1 = ledger.post(ledger="points", key=key, kind="award", entries=[(a, -3), (b, 3)])
    t2 = ledger.post(ledger="points", key=key, kind="award", entries=[(a, -3), (b, 3)])
    assert t1.pk == t2.pk
    b.refresh_from_db()
    assert b.balance == Decimal("3.00")
    assert LedgerTransaction.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([(0, 5), (1, -4)], "借贷不平"),
        ([(0, 5)], "至少包含两条"),
        ([(0, "1.005"), (1, "-1.005")], "两位小数"),
        ([(0, "abc"), (1, 1)], "金额无效"),
        ([(0, 0), (1, 0)], "不能为零"),
    ],
)
def test_bad_transactions_are_refused_and_write_nothing(entries, message):
    accts = accounts()
    with pytest.raises(ValidationError) as exc:
        ledger.post(
            ledger="points", key="bad", kind="award", entries=[(accts[i], v) for i, v in entries]
        )
    assert message in str(exc.value)
    assert LedgerTransaction.objects.count() == 0 and LedgerEntry.objects.count() == 0


@pytest.mark.django_db
def test_insufficient_balance_is_refused():
    a, b = accounts(allow_negative=False)
    with pytest.raises(ValidationError, match="余额不足"):
        ledger.post(ledger="points", key="k", kind="redeem", entries=[(a, -1), (b, 1)])


@pytest.mark.django_db
def test_rows_cannot_be_edited_or_deleted_only_reversed():
    a, b = accounts()
    txn = ledger.post(ledger="points", key="k", kind="award", entries=[(a, -7), (b, 7)])
    with pytest.raises(PermissionError):
        txn.save()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.all().update(amount=1)
    with pytest.raises(PermissionError):
        txn.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_ledgerentry SET amount = 1")
    rev = ledger.reverse(txn=txn, memo="录入错误")
    assert rev.reverses_id == txn.pk
    b.refresh_from_db()
    assert b.balance == 0
    with pytest.raises(ValidationError):
        ledger.reverse(txn=rev)
    assert ledger.reverse(txn=txn).pk == rev.pk  # reversing twice is the same reversal
    assert ledger.verify() == []


@pytest.mark.django_db
def test_verify_finds_a_forged_entry_and_a_wrong_balance():
    a, b = accounts()
    txn = ledger.post(ledger="points", key="k", kind="award", entries=[(a, -7), (b, 7)])
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO core_ledgerentry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
            [txn.pk, b.pk, "100.00"],
        )
    LedgerAccount.objects.filter(pk=a.pk).update(balance=Decimal("1.00"))
    problems = [str(p) for p in ledger.verify("points")]
    assert any("借贷不平" in p for p in problems)
    assert any("哈希校验失败" in p for p in problems)
    assert any("acct-0" in p and "余额" in p for p in problems)
    with pytest.raises(CommandError, match="台账校验发现"):
        call_command("ledger", "verify")


class TestBalancesEqualEntrySums(HypothesisTestCase):
    @settings(max_examples=25)
    @given(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 100000)), max_size=8
        )
    )
    def test_property(self, moves):
        accts = [
            ledger.account_open(ledger="timebank", code=f"p-{i}", name=f"p{i}", allow_negative=True)
            for i in range(4)
        ]
        for n, (src, dst, cents) in enumerate(moves):
            if src == dst:
                continue
            amount = Decimal(cents) / 100
            key = f"prop:{n}"
            ledger.post(
                ledger="timebank",
                key=key,
                kind="t",
                entries=[(accts[src], -amount), (accts[dst], amount)],
            )
            ledger.post(
                ledger="timebank",
                key=key,
                kind="t",
                entries=[(accts[src], -amount), (accts[dst], amount)],
            )
        for acct in accts:
            acct.refresh_from_db()
            total = sum((e.amount for e in LedgerEntry.objects.filter(account=acct)), Decimal(0))
            assert acct.balance == total
        assert sum((a.balance for a in accts), Decimal(0)) == 0
        assert ledger.verify("timebank") == []


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_parallel_posts_on_one_account_lose_nothing():
    a, b = accounts()
    errors = []

    def worker(n):
        try:
            for i in range(10):
                ledger.post(
                    ledger="points", key=f"par:{n}:{i}", kind="award", entries=[(a, -1), (b, 1)]
                )
        except Exception as exc:  # collected, the assertion below reports it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    b.refresh_from_db()
    assert b.balance == Decimal("60.00")
    assert ledger.verify("points") == []
