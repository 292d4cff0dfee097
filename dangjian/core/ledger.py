"""The one ledger: dues payments, points and time-bank hours.

A transaction is two or more entries summing to zero, posted once per idempotency key
(source, rule, subject), insert-only, chained per ledger by SM3 over the previous hash and the
transaction's canonical text. Balances are cached on the accounts under row locks; corrections
are reversing transactions. ``verify`` recomputes balances and chains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cryptography.hazmat.primitives import hashes
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.utils import timezone

from dangjian.core import audit, bulk
from dangjian.core.models import LedgerAccount, LedgerEntry, LedgerHead, LedgerTransaction

LEDGERS = {"dues": "党费", "points": "积分", "timebank": "时间银行"}
CENT = Decimal("0.01")
GENESIS = "0" * 64


def idempotency_key(source: str, rule: str, subject: str | int) -> str:
    key = f"{source}:{rule}:{subject}"
    if len(key) > 200:
        raise ValidationError({"idempotency_key": ["幂等键过长"]})  # invariant
    return key


def _decimal(value) -> Decimal:
    """A balance as the driver reads it (SQLite answers a float or an int, PostgreSQL a
    Decimal): to the fen."""
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(CENT)


def _amount(value) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": [f"金额无效：{value}"]}) from None
    if not d.is_finite() or d != d.quantize(CENT):
        raise ValidationError({"amount": [f"金额最多保留两位小数：{value}"]})
    return d.quantize(CENT)


def _digest(prev_hash: str, txn: LedgerTransaction, entries: list[tuple[int, Decimal]]) -> str:
    return _digest_of(
        prev_hash,
        txn.ledger,
        txn.seq,
        txn.idempotency_key,
        txn.kind,
        txn.memo,
        txn.occurred_on,
        txn.reverses_id,
        entries,
    )


def _digest_of(
    prev_hash: str,
    ledger: str,
    seq: int,
    key: str,
    kind: str,
    memo: str,
    occurred_on: dt.date,
    reverses_id: int | None,
    entries: list[tuple[int, Decimal]],
) -> str:
    lines = [
        prev_hash,
        ledger,
        str(seq),
        key,
        kind,
        memo,
        occurred_on.isoformat(),
        str(reverses_id or ""),
    ]
    lines += [f"{account_id}:{amount:.2f}" for account_id, amount in sorted(entries)]
    h = hashes.Hash(hashes.SM3())
    h.update("\n".join(lines).encode())
    return h.finalize().hex()


@transaction.atomic
def account_open(
    *,
    ledger: str,
    code: str,
    name: str,
    owner: models.Model | None = None,
    area_path: str = "",
    org_path: str = "",
    allow_negative: bool = False,
) -> LedgerAccount:
    """The account for ``code`` in ``ledger``, opened if new."""
    if ledger not in LEDGERS:
        raise ValidationError({"ledger": [f"未知台账：{ledger}"]})  # invariant
    account, _ = LedgerAccount.objects.get_or_create(
        ledger=ledger,
        code=code,
        defaults={
            "name": name,
            "owner_type": owner._meta.label_lower if owner is not None else "",
            "owner_id": owner.pk if owner is not None else None,
            "area_path": area_path,
            "org_path": org_path,
            "allow_negative": allow_negative,
        },
    )
    return account


@transaction.atomic
def post(
    *,
    ledger: str,
    key: str,
    kind: str,
    entries: Sequence[tuple[LedgerAccount, Decimal | str | int]],
    memo: str = "",
    occurred_on: dt.date | None = None,
    actor=None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Post a balanced transaction once. Posting the same key again returns the first one."""
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if ledger not in LEDGERS:
        raise ValidationError({"ledger": [f"未知台账：{ledger}"]})  # invariant
    if len(entries) < 2:
        raise ValidationError({"entries": ["一笔交易至少包含两条分录"]})  # invariant
    amounts: dict[int, Decimal] = {}
    for account, value in entries:
        if account.ledger != ledger:
            # invariant: the caller names the ledger's own accounts
            raise ValidationError({"entries": [f"账户{account.code}不属于{LEDGERS[ledger]}台账"]})
        amount = _amount(value)
        if amount == 0:
            raise ValidationError({"entries": ["分录金额不能为零"]})  # invariant
        amounts[account.pk] = amounts.get(account.pk, Decimal(0)) + amount
    if sum(amounts.values(), Decimal(0)) != 0:
        raise ValidationError({"entries": ["借贷不平：分录合计必须为零"]})  # invariant
    amounts = {k: v for k, v in amounts.items() if v != 0}
    if len(amounts) < 2:
        raise ValidationError({"entries": ["一笔交易至少涉及两个账户"]})  # invariant

    head, _ = LedgerHead.objects.get_or_create(ledger=ledger)
    head = LedgerHead.objects.select_for_update().get(pk=head.pk)
    # Re-check under the chain lock: a concurrent post of the same key has finished by now.
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    locked = {
        a.pk: a
        for a in LedgerAccount.objects.select_for_update().filter(pk__in=amounts).order_by("pk")
    }
    for pk, amount in amounts.items():
        account = locked[pk]
        if not account.allow_negative and account.balance + amount < 0:
            raise ValidationError({"entries": [f"账户“{account.name}”余额不足"]})

    txn = LedgerTransaction(
        ledger=ledger,
        seq=head.seq + 1,
        idempotency_key=key,
        kind=kind,
        memo=memo[:200],
        occurred_on=occurred_on or timezone.localdate(),
        created_at=timezone.now(),
        actor_id=actor.pk if actor is not None and getattr(actor, "pk", None) else None,
        reverses=reverses,
        prev_hash=head.last_hash,
    )
    txn.hash = _digest(head.last_hash, txn, list(amounts.items()))
    try:
        with transaction.atomic():
            txn.save()
    except IntegrityError:
        raise ValidationError({"idempotency_key": ["该业务已记账"]}) from None
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(transaction=txn, account_id=pk, amount=a) for pk, a in amounts.items()]
    )
    for pk, amount in amounts.items():
        LedgerAccount.objects.filter(pk=pk).update(balance=models.F("balance") + amount)
    LedgerHead.objects.filter(pk=head.pk).update(seq=txn.seq, last_hash=txn.hash)
    return txn


@dataclass(frozen=True)
class Posting:
    """One transaction of a batch (``post_many``): ``entries`` are (account id, amount)."""

    key: str
    kind: str
    entries: tuple[tuple[int, Decimal], ...]
    memo: str = ""
    occurred_on: dt.date | None = None


@transaction.atomic
def accounts_open_many(
    *, ledger: str, specs: Sequence[dict], allow_negative: bool = False
) -> dict[str, int]:
    """Open the accounts of ``specs`` (dicts with ``code``, ``name`` and optionally
    ``owner_type``, ``owner_id``, ``area_path``, ``org_path``) that do not exist yet, in bulk;
    returns the id of every account by code."""
    if ledger not in LEDGERS:
        raise ValidationError({"ledger": [f"未知台账：{ledger}"]})  # invariant
    codes = list({s["code"] for s in specs})
    found: dict[str, int] = dict(
        bulk.values_in(LedgerAccount, "code", codes, ("code", "id"), where={"ledger": ledger})
    )
    missing = {s["code"]: s for s in specs if s["code"] not in found}
    if missing:
        now = bulk.db_value(LedgerAccount, timezone.now())
        bulk.insert_rows(
            LedgerAccount,
            (
                "ledger",
                "code",
                "name",
                "owner_type",
                "owner_id",
                "area_path",
                "org_path",
                "allow_negative",
                "balance",
                "created_at",
            ),
            (
                (
                    ledger,
                    s["code"],
                    s["name"][:100],
                    s.get("owner_type", ""),
                    s.get("owner_id"),
                    s.get("area_path", ""),
                    s.get("org_path", ""),
                    allow_negative,
                    Decimal(0),
                    now,
                )
                for s in missing.values()
            ),
            ignore_conflicts=True,
        )
        found.update(
            bulk.values_in(
                LedgerAccount, "code", list(missing), ("code", "id"), where={"ledger": ledger}
            )
        )
    return found


@transaction.atomic
def post_many(*, ledger: str, postings: Sequence[Posting], actor=None) -> dict[str, int]:
    """Post a batch of balanced transactions under one chain lock, in order, in bulk.

    The rules are ``post``'s: each transaction balanced, at least two accounts, amounts to the
    fen, insert-only, chained, each key posted once (keys already posted, or repeated in the
    batch, are skipped), balances cached and updated under row locks, no account without
    ``allow_negative`` going below zero (the whole batch is refused, nothing written).
    Returns the transaction id of every key posted now.
    """
    if ledger not in LEDGERS:
        raise ValidationError({"ledger": [f"未知台账：{ledger}"]})  # invariant
    if not postings:
        return {}
    head, _ = LedgerHead.objects.get_or_create(ledger=ledger)
    head = LedgerHead.objects.select_for_update().get(pk=head.pk)
    keys = list({p.key for p in postings})
    done: set[str] = {
        k
        for (k,) in bulk.values_in(LedgerTransaction, "idempotency_key", keys, ("idempotency_key",))
    }
    todo: list[tuple[Posting, dict[int, Decimal]]] = []
    for p in postings:
        if p.key in done:
            continue
        done.add(p.key)
        amounts: dict[int, Decimal] = {}
        for account_id, value in p.entries:
            amount = _amount(value)
            if amount == 0:
                raise ValidationError({"entries": ["分录金额不能为零"]})  # invariant
            amounts[account_id] = amounts.get(account_id, Decimal(0)) + amount
        if sum(amounts.values(), Decimal(0)) != 0:
            raise ValidationError({"entries": [f"借贷不平：{p.key}"]})  # invariant
        amounts = {k: v for k, v in amounts.items() if v != 0}
        if len(amounts) < 2:
            raise ValidationError({"entries": ["一笔交易至少涉及两个账户"]})  # invariant
        todo.append((p, amounts))
    if not todo:
        return {}
    account_ids = sorted({pk for _, amounts in todo for pk in amounts})
    locked: dict[int, tuple[str, str, bool, Decimal]] = {}
    columns = ("id", "ledger", "name", "allow_negative", "balance")
    for pk, led, name, neg, bal in bulk.values_in(
        LedgerAccount, "id", account_ids, columns, lock=True
    ):
        locked[pk] = (led, name, bool(neg), _decimal(bal))
    if len(locked) != len(account_ids):
        raise ValidationError({"entries": ["账户不存在"]})  # invariant
    running = {pk: v[3] for pk, v in locked.items()}
    for _p, amounts in todo:
        for pk, amount in amounts.items():
            led, name, neg, _bal = locked[pk]
            if led != ledger:
                # invariant: the caller names the ledger's own accounts
                raise ValidationError({"entries": [f"账户{name}不属于{LEDGERS[ledger]}台账"]})
            running[pk] += amount
            if not neg and running[pk] < 0:
                raise ValidationError({"entries": [f"账户“{name}”余额不足"]})
    convert = bulk.adapter(LedgerTransaction)
    now = convert(timezone.now())
    today = timezone.localdate()
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
    seq, prev = head.seq, head.last_hash
    rows: list[tuple] = []
    for p, amounts in todo:
        seq += 1
        occurred = p.occurred_on or today
        digest = _digest_of(
            prev, ledger, seq, p.key, p.kind, p.memo[:200], occurred, None, list(amounts.items())
        )
        rows.append(
            (
                ledger,
                seq,
                p.key,
                p.kind,
                p.memo[:200],
                convert(occurred),
                now,
                actor_id,
                None,
                prev,
                digest,
            )
        )
        prev = digest
    bulk.insert_rows(
        LedgerTransaction,
        (
            "ledger",
            "seq",
            "idempotency_key",
            "kind",
            "memo",
            "occurred_on",
            "created_at",
            "actor_id",
            "reverses",
            "prev_hash",
            "hash",
        ),
        rows,
    )
    ids = dict(
        LedgerTransaction.objects.filter(ledger=ledger, seq__gt=head.seq, seq__lte=seq).values_list(
            "seq", "pk"
        )
    )
    bulk.insert_rows(
        LedgerEntry,
        ("transaction", "account", "amount"),
        (
            (ids[row[1]], pk, a)
            for row, (_p, amounts) in zip(rows, todo, strict=True)
            for pk, a in amounts.items()
        ),
    )
    bulk.update_rows(
        LedgerAccount,
        "balance",
        ((running[pk], pk) for pk in account_ids if running[pk] != locked[pk][3]),
    )
    LedgerHead.objects.filter(pk=head.pk).update(seq=seq, last_hash=prev)
    return {row[2]: ids[row[1]] for row in rows}


@transaction.atomic
def reverse(*, txn: LedgerTransaction, memo: str = "", actor=None) -> LedgerTransaction:
    """Post the mirror image of ``txn``; a transaction is reversed at most once."""
    if txn.reverses_id is not None:
        raise ValidationError({"transaction": ["冲正交易不能再次冲正"]})
    entries = [(e.account, -e.amount) for e in txn.entries.select_related("account")]
    result = post(
        ledger=txn.ledger,
        key=f"reverse:{txn.pk}",
        kind="reversal",
        entries=entries,
        memo=memo or f"冲正：{txn.memo}",
        actor=actor,
        reverses=txn,
    )
    audit.record(
        actor=actor, action="ledger.reverse", obj=result, note=memo, object_repr=f"冲正 {txn}"
    )
    return result


@dataclass
class Problem:
    ledger: str
    what: str

    def __str__(self) -> str:
        return f"[{LEDGERS.get(self.ledger, self.ledger)}] {self.what}"


def verify(ledger: str | None = None) -> list[Problem]:
    """Recompute every balance and every hash; the problems found (none: all is well)."""
    problems: list[Problem] = []
    ledgers = [ledger] if ledger else list(LEDGERS)
    for name in ledgers:
        sums = dict(
            LedgerEntry.objects.filter(account__ledger=name)
            .values("account_id")
            .annotate(total=Sum("amount"))
            .values_list("account_id", "total")
        )
        for account in LedgerAccount.objects.filter(ledger=name).only("pk", "code", "balance"):
            # SQLite sums NUMERIC columns as floats: quantizing restores the exact cents.
            expected = Decimal(str(sums.get(account.pk) or 0)).quantize(CENT)
            if account.balance != expected:
                problems.append(
                    Problem(
                        name, f"账户{account.code}余额{account.balance}与分录合计{expected}不符"
                    )
                )
        prev = GENESIS
        expected_seq = 1
        entries_by_txn: dict[int, list[tuple[int, Decimal]]] = {}
        txns = LedgerTransaction.objects.filter(ledger=name).order_by("seq")
        for start in range(0, txns.count(), 5000):
            batch = list(txns[start : start + 5000])
            entries_by_txn.clear()
            for txn_id, account_id, amount in LedgerEntry.objects.filter(
                transaction__in=batch
            ).values_list("transaction_id", "account_id", "amount"):
                entries_by_txn.setdefault(txn_id, []).append((account_id, amount))
            for txn in batch:
                entries = entries_by_txn.get(txn.pk, [])
                if txn.seq != expected_seq:
                    problems.append(Problem(name, f"序号断档：期望{expected_seq}，实际{txn.seq}"))
                    expected_seq = txn.seq
                if sum((a for _, a in entries), Decimal(0)) != 0:
                    problems.append(Problem(name, f"交易#{txn.seq}借贷不平"))
                if txn.prev_hash != prev:
                    problems.append(Problem(name, f"交易#{txn.seq}前序哈希不符"))
                if _digest(txn.prev_hash, txn, entries) != txn.hash:
                    problems.append(Problem(name, f"交易#{txn.seq}哈希校验失败，数据可能被篡改"))
                prev = txn.hash
                expected_seq += 1
        head = LedgerHead.objects.filter(ledger=name).first()
        if head is not None and head.last_hash != prev:
            problems.append(Problem(name, "链尾哈希与最后一笔交易不符"))
    return problems
