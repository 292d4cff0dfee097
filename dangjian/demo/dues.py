"""Demo dues: a profile and a base for every active member, payments for most, arrears for a
few (some three months behind, a handful six), a few approved hardship waivers.

Called once by ``dangjian.demo.generator.seed`` after the members are written, for both
scales. Written in bulk, but the ledger rows go through the ledger's own chain function
(``core.ledger._digest``) in sequence, so ``dangjian ledger verify`` passes on the seed: each
paid month is one balanced transaction (member account −, branch account +) keyed as the
service keys it. The small city's dues start eight months back; the whole city's two months
back (with the arrears examples further back), which keeps the city seed to a few hundred
thousand ledger rows.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from dangjian.core import ledger
from dangjian.core.models import LedgerAccount, LedgerEntry, LedgerHead, LedgerTransaction
from dangjian.dues import calc, rates
from dangjian.dues.models import (
    DuesBase,
    DuesPayment,
    DuesPaymentMonth,
    DuesProfile,
    Hardship,
    HardshipKind,
    HardshipState,
    HardshipStep,
    PaymentKind,
)
from dangjian.members.models import Member, Occupation, Status
from dangjian.organizations.models import OrgKind, PartyOrg

BATCH = 5000
CENT = Decimal("0.01")


def _category(rng: random.Random, occupation: str) -> str:
    if occupation == Occupation.RETIRED:
        return rates.RETIRED
    if occupation == Occupation.FARMER:
        return rates.FARMER
    if occupation == Occupation.STUDENT:
        return rates.STUDENT
    roll = rng.random()
    if roll < 0.08:
        return rates.SELF_EMPLOYED
    if roll < 0.11:
        return rates.UNEMPLOYED
    if roll < 0.13:
        return rates.LOW_INCOME
    return rates.IN_SERVICE


def _base(rng: random.Random, category: str) -> Decimal:
    if category in (rates.IN_SERVICE, rates.SELF_EMPLOYED):
        return Decimal(
            rng.choice(
                [2600, 3000, 3200, 3800, 4500, 5000, 5600, 6800, 8000, 9500, 10000, 12000, 16000]
            )
            + rng.randrange(0, 100) * 10
        )
    if category == rates.RETIRED:
        return Decimal(rng.choice([2200, 3100, 3900, 4600, 5000, 5400, 6300, 7800]))
    return Decimal("0.00")


def _bulk(model, rows) -> list:
    out = []
    for i in range(0, len(rows), BATCH):
        out += model.objects.bulk_create(rows[i : i + BATCH])
    return out


def seed_dues(b, users: dict, progress: bool = False) -> dict:
    """Write the demo dues for the city ``b`` built; return the counts."""
    t0 = time.perf_counter()
    rng = random.Random(f"dangjian-dues-{b.scale}")
    city = b.scale == "city"
    today = timezone.localdate()
    current = calc.month_of(today)
    start = calc.add_months(current, -2 if city else -8)
    now = timezone.now()

    orgs = {
        o[0]: o
        for o in PartyOrg.objects.values_list(
            "id", "kind", "parent_id", "path", "area_path", "name"
        )
    }

    def branch(org_id: int) -> int:
        o = orgs[org_id]
        while o[1] == OrgKind.GROUP and o[2] in orgs:
            o = orgs[o[2]]
        return o[0]

    members = list(
        Member.objects.filter(
            left_on__isnull=True, status__in=(Status.FULL, Status.PROBATIONARY)
        ).values_list("id", "name", "org_id", "org_path", "occupation", "joined_on", "user_id")
    )
    demo_member_user = users.get("demo-member")

    # Who pays and who is behind: the plan, and from it the balances the ledger will hold.
    last_closed = calc.add_months(current, -1)
    plans = []
    member_balance: dict[int, Decimal] = defaultdict(Decimal)
    branch_balance: dict[int, Decimal] = defaultdict(Decimal)
    for mid, _name, org_id, _path, occupation, joined_on, user_id in members:
        category = _category(rng, occupation)
        quote = rates.dues_quote(category, _base(rng, category))
        dues_from = max(start, calc.month_of(joined_on))
        roll = rng.random()
        if user_id is not None and demo_member_user is not None and user_id == demo_member_user.pk:
            behaviour = "paid"
        elif roll < (0.01 if city else 0.04):
            behaviour = "leave"  # six or more months behind
            dues_from = max(calc.add_months(current, -7), calc.month_of(joined_on))
        elif roll < (0.04 if city else 0.12):
            behaviour = "warning"  # three to five months behind
            dues_from = max(calc.add_months(current, -4), calc.month_of(joined_on))
        elif roll < 0.2:
            behaviour = "late"  # last month not yet paid
        else:
            behaviour = "paid"
        months: list[dt.date] = []
        if behaviour in ("paid", "late") and quote.amount > 0:
            upto = last_closed if behaviour == "paid" else calc.add_months(current, -2)
            months = calc.month_range(dues_from, upto)
        paid_on = None
        if months:
            paid_on = min(
                calc.add_months(months[-1], 1) + dt.timedelta(days=rng.randrange(0, 9)), today
            )
            total = quote.amount * len(months)
            member_balance[mid] -= total
            branch_balance[branch(org_id)] += total
        plans.append((mid, org_id, dues_from, quote, behaviour, months, paid_on))

    # Accounts (with the balances of the entries below), one per member and collecting branch.
    member_accounts = _bulk(
        LedgerAccount,
        [
            LedgerAccount(
                ledger="dues",
                code=f"member:{mid}",
                name=f"{name}党费",
                owner_type="members.member",
                owner_id=mid,
                org_path=org_path,
                allow_negative=True,
                balance=member_balance[mid].quantize(CENT),
            )
            for mid, name, _o, org_path, *_ in members
        ],
    )
    acct_of_member = {a.owner_id: a for a in member_accounts}
    branch_ids = sorted({branch(m[2]) for m in members})
    branch_accounts = _bulk(
        LedgerAccount,
        [
            LedgerAccount(
                ledger="dues",
                code=f"org:{oid}",
                name=f"{orgs[oid][5]}党费",
                owner_type="organizations.partyorg",
                owner_id=oid,
                org_path=orgs[oid][3],
                area_path=orgs[oid][4],
                balance=branch_balance[oid].quantize(CENT),
            )
            for oid in branch_ids
        ],
    )
    acct_of_branch = {a.owner_id: a for a in branch_accounts}

    profiles = _bulk(
        DuesProfile,
        [
            DuesProfile(
                member_id=mid,
                category=quote.category,
                quarterly=rng.random() < 0.1,
                dues_from=dues_from,
                account=acct_of_member[mid],
            )
            for mid, _org, dues_from, quote, *_ in plans
        ],
    )
    _bulk(
        DuesBase,
        [
            DuesBase(
                profile=p,
                category=p.category,
                base=quote.base,
                rate=quote.rate,
                amount=quote.amount,
                effective_month=dues_from,
                note="演示数据",
            )
            for p, (_mid, _org, dues_from, quote, *_) in zip(profiles, plans, strict=True)
        ],
    )

    # Payments: one combined payment per paying member, one ledger transaction per month.
    payments, month_plan = [], []
    for n, (mid, org_id, _from, quote, _b, months, paid_on) in enumerate(
        (p for p in plans if p[5]), start=1
    ):
        total = (quote.amount * len(months)).quantize(CENT)
        payments.append(
            DuesPayment(
                member_id=mid,
                org_id=branch(org_id),
                receipt_no=f"DF{paid_on:%Y}S{n:08d}",
                kind=PaymentKind.MONTHLY if len(months) == 1 else PaymentKind.COMBINED,
                first_month=months[0],
                last_month=months[-1],
                months_count=len(months),
                dues_amount=total,
                extra_amount=Decimal("0.00"),
                total=total,
                paid_on=paid_on,
                note="演示数据",
            )
        )
        month_plan.append((mid, org_id, months, quote.amount, paid_on))
    payments = _bulk(DuesPayment, payments)

    head, _ = LedgerHead.objects.get_or_create(ledger="dues")
    seq, prev = head.seq, head.last_hash
    txns, legs = [], []
    for p, (mid, org_id, months, amount, paid_on) in zip(payments, month_plan, strict=True):
        m_acct, b_acct = acct_of_member[mid], acct_of_branch[branch(org_id)]
        for month in months:
            seq += 1
            txn = LedgerTransaction(
                ledger="dues",
                seq=seq,
                idempotency_key=ledger.idempotency_key(
                    "dues", "month", f"{mid}:{calc.month_text(month)}:0"
                ),
                kind="dues.payment",
                memo=f"{calc.month_label(month)}党费（演示）",
                occurred_on=paid_on,
                created_at=now,
                prev_hash=prev,
            )
            entries = [(m_acct.pk, -amount), (b_acct.pk, amount)]
            txn.hash = ledger._digest(prev, txn, entries)
            prev = txn.hash
            txns.append(txn)
            legs.append((p, mid, month, amount, m_acct.pk, b_acct.pk))
    txns = _bulk(LedgerTransaction, txns)
    entry_rows, month_rows = [], []
    for txn, (p, mid, month, amount, m_pk, b_pk) in zip(txns, legs, strict=True):
        entry_rows.append(LedgerEntry(transaction=txn, account_id=m_pk, amount=-amount))
        entry_rows.append(LedgerEntry(transaction=txn, account_id=b_pk, amount=amount))
        month_rows.append(
            DuesPaymentMonth(payment=p, member_id=mid, month=month, amount=amount, txn=txn)
        )
    _bulk(LedgerEntry, entry_rows)
    _bulk(DuesPaymentMonth, month_rows)
    LedgerHead.objects.filter(pk=head.pk).update(seq=seq, last_hash=prev)

    # A few approved hardship waivers (the next months), with their history.
    waived = [p for p in plans if p[4] == "paid"][: (20 if city else 4)]
    hardships = _bulk(
        Hardship,
        [
            Hardship(
                member_id=mid,
                kind=HardshipKind.WAIVE,
                from_month=calc.add_months(current, 1),
                to_month=calc.add_months(current, 3),
                reason="因病住院，家庭收入减少（演示数据）",
                state=HardshipState.APPROVED,
            )
            for mid, *_ in waived
        ],
    )
    _bulk(
        HardshipStep,
        [
            HardshipStep(hardship=h, action=a, from_state=f, to_state=t)
            for h in hardships
            for a, f, t in (
                ("request", "", HardshipState.REQUESTED),
                ("agree", HardshipState.REQUESTED, HardshipState.BRANCH_AGREED),
                ("approve", HardshipState.BRANCH_AGREED, HardshipState.APPROVED),
            )
        ],
    )
    behaviours = defaultdict(int)
    for plan in plans:
        behaviours[plan[4]] += 1
    return {
        "dues_profiles": len(profiles),
        "dues_payments": len(payments),
        "dues_paid_months": len(month_rows),
        "dues_ledger_transactions": len(txns),
        "dues_arrears_warning": behaviours["warning"],
        "dues_arrears_leave": behaviours["leave"],
        "dues_hardships": len(hardships),
        "dues_seconds": round(time.perf_counter() - t0, 2),
    }
