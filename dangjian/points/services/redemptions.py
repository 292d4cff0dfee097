"""Redemption: points for goods and services, and the receipt the shopkeeper scans.

Redeeming locks the item's row, checks the stock and the balance, debits the subject's points
account into the scheme's ``spent`` account (``core.ledger``, which refuses a negative
balance under the account's row lock) and takes the stock, all in one transaction. The
receipt's code is marked used once, by someone who manages the scheme.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, ledger, notify, scope
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount
from dangjian.points.models import Item, Redemption, RedemptionState
from dangjian.points.services.awards import (
    LEDGER,
    account_code,
    is_subject,
    scheme_accounts,
    subject_paths,
)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at the counter


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def normalize_code(code) -> str:
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())[:16]


@transaction.atomic
def redemption_create(*, actor, item_id, quantity=1) -> Redemption:
    """Redeem ``quantity`` of an item of one of the actor's own schemes."""
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise ValidationError({"quantity": ["数量必须是整数"]}) from None
    if not 1 <= quantity <= 100:
        raise ValidationError({"quantity": ["数量必须在1到100之间"]})
    item = (
        Item.objects.select_for_update(of=("self",))
        .select_related("scheme")
        .filter(pk=item_id or 0)
        .first()
    )
    if item is None or not is_subject(item.scheme, actor):
        raise Http404("未找到")
    if not item.active or not item.scheme.active:
        raise ValidationError({"item_id": ["该物品已下架"]})
    if item.stock < quantity:
        raise ValidationError({"quantity": [f"库存不足：剩余{item.stock}件"]})
    cost = item.price * quantity
    account = (
        LedgerAccount.objects.select_for_update()
        .filter(ledger=LEDGER, code=account_code(item.scheme_id, actor.pk))
        .first()
    )
    balance = account.balance if account is not None else 0
    if account is None or balance < cost:
        raise ValidationError({"quantity": [f"积分余额不足：需要{cost}分，现有{balance}分"]})
    _issue, spent_id = scheme_accounts(item.scheme)
    spent = LedgerAccount.objects.get(pk=spent_id)
    code = new_code()
    txn = ledger.post(
        ledger=LEDGER,
        key=f"redeem:{code}",
        kind="points.redeem",
        entries=[(account, -cost), (spent, cost)],
        memo=f"兑换{item.name}×{quantity}",
        actor=actor,
    )
    Item.objects.filter(pk=item.pk).update(stock=F("stock") - quantity)
    area_path, org_path = subject_paths(actor)
    r = Redemption.objects.create(
        scheme=item.scheme,
        item=item,
        item_name=item.name,
        user=actor,
        subject_name=str(actor)[:50],
        quantity=quantity,
        points=cost,
        code=code,
        txn=txn,
        created_at=timezone.now(),
        area_path=item.area_path,
        org_path=item.org_path,
    )
    audit.record(
        actor=actor,
        action="points.redeem",
        obj=r,
        after={"item": item.name, "quantity": quantity, "points": str(cost)},
        area_path=area_path or item.area_path,
        org_path=org_path or item.org_path,
    )
    notify.notify(
        recipients=[actor.pk],
        kind="points.redemption",
        title=f"兑换成功：{item.name}×{quantity}，凭兑换码领取",
        url=f"/m/points/receipts/{r.pk}/",
        key=f"points.redemption:{r.pk}",
    )
    return r


def receipt_lookup(*, actor, code) -> Redemption:
    """The redemption of a receipt code, for someone who manages its scheme (else 404)."""
    code = normalize_code(code)
    if not code:
        raise Http404("未找到")
    return scope.get_visible(
        Redemption.objects.select_related("scheme"),
        actor,
        "points.manage",
        view_action="points.manage",
        code=code,
    )


@transaction.atomic
def receipt_use(*, actor, code) -> Redemption:
    """The shopkeeper hands the goods over: the receipt is used, once."""
    r = scope.get_visible(
        Redemption.objects.select_for_update(of=("self",)),
        actor,
        "points.manage",
        view_action="points.manage",
        code=normalize_code(code) or "-",
    )
    if r.state != RedemptionState.READY:
        used = timezone.localtime(r.used_at).strftime("%Y-%m-%d %H:%M") if r.used_at else ""
        raise Conflict(f"该兑换码已于{used}领取，不能重复使用")
    r.state = RedemptionState.USED
    r.used_at = timezone.now()
    r.used_by = actor
    r.save(update_fields=["state", "used_at", "used_by"])
    audit.record(actor=actor, action="points.receipt_use", obj=r)
    return r
