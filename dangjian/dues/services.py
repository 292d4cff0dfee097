"""Writes of the dues module: each atomic, validated in full before writing (Chinese messages
naming the field), scoped (a member out of reach reads as absent), audited, and re-checked for
visibility after writing. Money moves only through ``core.ledger``."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core import audit, ledger, scope, tree, workflow
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount
from dangjian.core.validation import Errors, clean_free_text
from dangjian.core.validation import clean_text as _text
from dangjian.dues import calc, rates
from dangjian.dues.models import (
    HARDSHIP_FLOW,
    DuesBase,
    DuesPayment,
    DuesPaymentMonth,
    DuesProfile,
    DuesRemittance,
    Hardship,
    HardshipKind,
    HardshipState,
    HardshipStep,
    PaymentKind,
)
from dangjian.members.models import Member, Status
from dangjian.organizations.models import OrgKind, PartyOrg

LEDGER = "dues"
ACTIVE_STATUSES = (Status.PROBATIONARY, Status.FULL)
MAX_NOTE = 200
MAX_REASON = 500
MAX_MONTHS_PER_PAYMENT = 13  # six late, the current one, six ahead


def money(value, field: str, label: str, *, allow_zero: bool = True) -> Decimal:
    """Yuan to the fen from a string or number; a Chinese error naming the field."""
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValidationError({field: [f"{label}（{field}）必须是金额，如“12.50”"]})
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [f"{label}（{field}）必须是金额，如“12.50”"]}) from None
    if not d.is_finite():
        raise ValidationError({field: [f"{label}（{field}）必须是有限的数字"]})
    if d < 0:
        raise ValidationError({field: [f"{label}（{field}）不能为负数"]})
    if d > rates.MAX_BASE:
        raise ValidationError({field: [f"{label}（{field}）金额过大"]})
    if d != d.quantize(rates.CENT, ROUND_HALF_UP):
        raise ValidationError({field: [f"{label}（{field}）最多保留两位小数（到分）"]})
    if d == 0 and not allow_zero:
        raise ValidationError({field: [f"{label}（{field}）必须大于0"]})
    return d.quantize(rates.CENT)


# --- organizations and accounts ---------------------------------------------------------------


def branch_of(org: PartyOrg) -> PartyOrg:
    """The organization that collects a member's dues: a party group's branch above it."""
    current = org
    while current.kind == OrgKind.GROUP and current.parent_id:
        current = PartyOrg.objects.only("pk", "name", "kind", "path", "area_path", "parent_id").get(
            pk=current.parent_id
        )
    return current


def org_account(org: PartyOrg) -> LedgerAccount:
    return ledger.account_open(
        ledger=LEDGER,
        code=f"org:{org.pk}",
        name=f"{org.name}党费",
        owner=org,
        area_path=org.area_path,
        org_path=org.path,
    )


def member_account(member: Member) -> LedgerAccount:
    # A member's account holds minus what the member paid in: it may go negative.
    return ledger.account_open(
        ledger=LEDGER,
        code=f"member:{member.pk}",
        name=f"{member.name}党费",
        owner=member,
        org_path=member.org_path,
        allow_negative=True,
    )


def _member_for(actor, member: Member, action: str = "dues.manage") -> Member:
    found = scope.get_visible(
        Member.objects.select_related("org"),
        actor,
        action,
        view_action="dues.view",
        pk=member.pk,
    )
    return found


def _require_active(member: Member) -> None:
    if member.status not in ACTIVE_STATUSES or member.left_on is not None:
        raise Conflict(f"{member.name}的党员状态为“{member.get_status_display()}”，不再登记党费")


# --- profile and base history -------------------------------------------------------------------


@transaction.atomic
def profile_set(
    *,
    actor,
    member: Member,
    category=None,
    base=None,
    effective_month=None,
    quarterly: bool | None = None,
    note: str = "",
) -> DuesProfile:
    """Set a member's dues category and base from ``effective_month`` (default: this month;
    for a new probationary member, the month of the branch vote, i.e. the join date).

    A new base applies from the month the new pay starts; earlier months keep the amount they
    had. A second record for the same month replaces the first (audited).
    """
    member = _member_for(actor, member)
    _require_active(member)
    profile = DuesProfile.objects.select_for_update().filter(member=member).first()
    errors = Errors()
    note = clean_free_text(note)
    if len(note) > MAX_NOTE:
        errors.add("note", f"说明不能超过{MAX_NOTE}个字")
    current = profile.bases.order_by("-effective_month").first() if profile else None
    if category in (None, "") and current is not None:
        category = current.category
    try:
        category = rates.parse_category(category)
    except ValidationError as exc:
        errors.take(exc)
        category = None
    base_value = None
    if base in (None, "") and category in rates.FLAT_CATEGORIES:
        base_value = Decimal("0.00")
    elif base in (None, "") and current is not None and category == current.category:
        base_value = current.base
    else:
        try:
            base_value = rates.parse_base(base)
        except ValidationError as exc:
            errors.take(exc)
    today = timezone.localdate()
    join_month = calc.month_of(member.joined_on)
    month = None
    if effective_month not in (None, ""):
        try:
            month = calc.parse_month(effective_month, "effective_month", "起始月份")
        except ValidationError as exc:
            errors.take(exc)
    elif profile is None and member.status == Status.PROBATIONARY:
        month = join_month
    else:
        month = calc.month_of(today)
    if month is not None:
        if month < join_month:
            errors.add(
                "effective_month",
                f"起始月份不能早于入党（支部大会表决）的月份{calc.month_label(join_month)}",
            )
        elif profile is not None and month < profile.dues_from:
            errors.add(
                "effective_month",
                f"起始月份不能早于起缴月份{calc.month_label(profile.dues_from)}",
            )
        elif calc.months_between(calc.month_of(today), month) > 12:
            errors.add("effective_month", "起始月份最多只能设在12个月以后")
    errors.check()
    quote = rates.dues_quote(category, base_value)

    before = audit.snapshot(profile) if profile else None
    if profile is None:
        profile = DuesProfile.objects.create(
            member=member,
            category=category,
            quarterly=bool(quarterly),
            dues_from=month,
            account=member_account(member),
        )
    elif quarterly is not None:
        profile.quarterly = bool(quarterly)
        profile.save(update_fields=["quarterly", "updated_at"])
    row = DuesBase.objects.filter(profile=profile, effective_month=month).first()
    old_row = audit.snapshot(row) if row else None
    if row is None:
        row = DuesBase(profile=profile, effective_month=month)
    row.category = category
    row.base = quote.base
    row.rate = quote.rate
    row.amount = quote.amount
    row.note = note
    row.recorded_by = actor if getattr(actor, "pk", None) else None
    row.save()
    # The profile's category is the one in force this month (or the first one to come).
    in_force = (
        profile.bases.filter(effective_month__lte=calc.month_of(today)).last()
        or profile.bases.first()
    )
    if in_force is not None and profile.category != in_force.category:
        profile.category = in_force.category
        profile.save(update_fields=["category", "updated_at"])
    b, a = audit.diff(before, audit.snapshot(profile))
    audit.record(
        actor=actor,
        action="dues.profile_set",
        obj=profile,
        before={"profile": b, "base": old_row},
        after={"profile": a, "base": audit.snapshot(row)},
        org_path=member.org_path,
        object_repr=f"{member.name}党费档案",
    )
    scope.assert_visible(profile, actor, "dues.view")
    return profile


# --- hardship reduction or waiver ---------------------------------------------------------------


@transaction.atomic
def hardship_request(
    *, actor, member: Member, kind, from_month, to_month, reason, amount=None
) -> Hardship:
    """A request for reduction or waiver, recorded by the branch; the branch decides and the
    next level approves (``hardship_transition``)."""
    member = _member_for(actor, member)
    _require_active(member)
    profile = DuesProfile.objects.filter(member=member).first()
    errors = Errors()
    if profile is None:
        errors.add("member_id", "请先为该党员设置党费类别和缴费基数")
    if kind not in HardshipKind.values:
        errors.add("kind", "类型（kind）应为reduce（减交）或waive（免交）")
    first = last = None
    try:
        first = calc.parse_month(from_month, "from_month", "起始月份")
    except ValidationError as exc:
        errors.take(exc)
    try:
        last = calc.parse_month(to_month, "to_month", "截止月份")
    except ValidationError as exc:
        errors.take(exc)
    if first and last:
        if last < first:
            errors.add("to_month", "截止月份不能早于起始月份")
        elif calc.months_between(first, last) >= 12:
            errors.add("to_month", "一次减免最长12个月，期满可再申请")
        if profile is not None and first < profile.dues_from:
            errors.add(
                "from_month", f"起始月份不能早于起缴月份{calc.month_label(profile.dues_from)}"
            )
    reason = clean_free_text(reason)
    if not reason:
        errors.add("reason", "请填写困难情况（reason）")
    elif len(reason) > MAX_REASON:
        errors.add("reason", f"困难情况不能超过{MAX_REASON}个字")
    reduced = None
    if kind == HardshipKind.REDUCE:
        try:
            reduced = money(amount, "amount", "减交后月交金额", allow_zero=False)
        except ValidationError as exc:
            errors.take(exc)
        if amount in (None, ""):
            errors.add("amount", "减交须填写减交后的月交金额（amount）")
    elif kind == HardshipKind.WAIVE and amount not in (None, "", 0, "0", "0.00"):
        errors.add("amount", "免交不需要填写金额")
    errors.check()
    h = Hardship.objects.create(
        member=member,
        kind=kind,
        amount=reduced,
        from_month=first,
        to_month=last,
        reason=reason,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    HardshipStep.objects.create(
        hardship=h, action="request", from_state="", to_state=h.state, actor=h.requested_by
    )
    audit.record(
        actor=actor,
        action="dues.hardship_request",
        obj=h,
        after=audit.snapshot(h),
        org_path=member.org_path,
    )
    scope.assert_visible(h, actor, "dues.view")
    return h


# The hardship workflow on the kernel's engine (``core.workflow``): ``HARDSHIP_FLOW`` is the
# data, these are its sides, its fields and its history row.


def _side_branch(actor, h: Hardship, move) -> str | None:
    reach = scope.reach_of(actor, move.permission)
    if not any(tree.is_within(h.member.org_path, p) for p in reach.org_paths):
        return f"“{move.label}”须由党员所在支部办理"
    return None


def _side_next_level(actor, h: Hardship, move) -> str | None:
    branch = branch_of(h.member.org)
    parent = (
        PartyOrg.objects.only("pk", "path", "name").get(pk=branch.parent_id)
        if branch.parent_id
        else None
    )
    if parent is None:
        return "该支部没有上级党组织，无法审批"
    reach = scope.reach_of(actor, move.permission)
    if not any(tree.is_within(parent.path, p) for p in reach.org_paths):
        return f"减免须由上级党组织（{parent.name}）审批"
    decided = h.steps.filter(action="agree").values_list("actor_id", flat=True).last()
    if decided is not None and decided == actor.pk:
        return "支部决定人不能再作为上级审批人"
    return None


def _hardship_clean(ctx: workflow.Context) -> None:
    ctx.note = clean_free_text(ctx.note)
    if len(ctx.note) > MAX_REASON:
        ctx.errors.add("note", f"说明不能超过{MAX_REASON}个字")
    elif "note" in ctx.move.needs and not ctx.note:
        ctx.errors.add("note", "请填写不同意的理由（note）")


def _hardship_save(ctx: workflow.Context) -> None:
    ctx.obj.save(update_fields=["state", "updated_at"])


def _hardship_history(ctx: workflow.Context) -> None:
    HardshipStep.objects.create(
        hardship=ctx.obj,
        action=ctx.action,
        from_state=ctx.from_state,
        to_state=ctx.obj.state,
        actor=ctx.actor,
        note=ctx.note,
    )


def _hardship_audit(ctx: workflow.Context) -> dict:
    return {
        "action": f"dues.hardship_{ctx.action}",
        "before": {"state": ctx.from_state},
        "after": {"state": ctx.obj.state},
        "org_path": ctx.obj.member.org_path,
    }


HARDSHIP = workflow.Flow(
    name="dues.hardship",
    states=HardshipState,
    actions=HARDSHIP_FLOW,
    sides={"branch": _side_branch, "next_level": _side_next_level},
    queryset=lambda: Hardship.objects.select_related("member", "member__org"),
    view_permission="dues.view",
    clean=_hardship_clean,
    save=_hardship_save,
    history=_hardship_history,
    audit=_hardship_audit,
)


def hardship_transition(*, actor, hardship: Hardship, action: str, note: str = "") -> Hardship:
    """The one transition service of the hardship workflow (``HARDSHIP``, run by the kernel)."""
    return workflow.run(HARDSHIP, actor=actor, pk=hardship.pk, action=action, note=note).obj


# --- payments -----------------------------------------------------------------------------------


def window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The months a payment may cover today: at most six late and six ahead."""
    current = calc.month_of(today or timezone.localdate())
    n = int(rates.setting("WINDOW_MONTHS"))
    return calc.add_months(current, -n), calc.add_months(current, n)


def profile_rows(profile: DuesProfile) -> tuple[list[calc.BaseRow], list[calc.Relief]]:
    bases = [
        calc.BaseRow(b.effective_month, b.amount)
        for b in profile.bases.order_by("effective_month").only("effective_month", "amount")
    ]
    reliefs = [
        calc.Relief(h.from_month, h.to_month, h.amount or Decimal("0.00"))
        for h in Hardship.objects.filter(member_id=profile.member_id, state=HardshipState.APPROVED)
    ]
    return bases, reliefs


def _parse_months(errors: Errors, months) -> list[dt.date]:
    if months in (None, ""):
        return []
    if isinstance(months, str):
        months = [m for m in re.split(r"[,，\s]+", months) if m]
    if not isinstance(months, list | tuple):
        errors.add("months", '缴费月份（months）应为月份列表，如["2026-01"]')
        return []
    out = []
    for value in months:
        try:
            out.append(calc.parse_month(value, "months", "缴费月份"))
        except ValidationError as exc:
            errors.take(exc)
            return []
    if len(set(out)) != len(out):
        errors.add("months", "缴费月份有重复")
        return []
    if len(out) > MAX_MONTHS_PER_PAYMENT:
        errors.add("months", f"一次最多缴纳{MAX_MONTHS_PER_PAYMENT}个月")
        return []
    return sorted(out)


def _kind(months: list[dt.date], extra: Decimal) -> str:
    if not months:
        return PaymentKind.EXTRA
    if len(months) == 1:
        return PaymentKind.MONTHLY
    if (
        len(months) == 3
        and months[0].month in (1, 4, 7, 10)
        and calc.months_between(months[0], months[-1]) == 2
    ):
        return PaymentKind.QUARTERLY
    return PaymentKind.COMBINED


def _generation(member_id: int, month: dt.date) -> int:
    return DuesPaymentMonth.objects.filter(member_id=member_id, month=month, reversed=True).count()


def _same_request(p: DuesPayment, months: list[dt.date], extra: Decimal) -> bool:
    got = sorted(p.months.values_list("month", flat=True))
    return got == months and p.extra_amount == extra


def paid_day_of(errors: Errors, paid_on) -> dt.date:
    """The day a payment was handed over: ``paid_on`` (a date or ``YYYY-MM-DD``), today when
    empty; no later than today and no earlier than last month (an error on ``paid_on``)."""
    today = timezone.localdate()
    if paid_on in (None, ""):
        return today
    paid_day = today
    if isinstance(paid_on, dt.date):
        paid_day = paid_on
    else:
        try:
            paid_day = dt.date.fromisoformat(str(paid_on))
        except ValueError:
            errors.add("paid_on", "缴纳日期（paid_on）格式应为YYYY-MM-DD")
    if paid_day > today:
        errors.add("paid_on", "缴纳日期不能晚于今天")
    elif calc.months_between(paid_day, today) > 1:
        errors.add("paid_on", "缴纳日期最早为上月")
    return paid_day


@transaction.atomic
def payment_create(
    *,
    actor,
    member: Member,
    months=None,
    extra=None,
    paid_on=None,
    client_key: str = "",
    note: str = "",
    amount=None,
) -> tuple[DuesPayment, bool]:
    """Record a payment: ``(payment, created)``. Replaying the same ``client_key`` returns the
    first payment (``created`` False) and posts nothing.

    Each month must be owed, unpaid, within six months late or ahead of the current month;
    months after the current one need the branch's consent to pay quarterly. ``amount``, when
    given, must equal the dues owed for the months (a check against a stale form).
    """
    member = _member_for(actor, member)
    client_key = _text(client_key)
    if len(client_key) > 64:
        raise ValidationError({"client_key": ["请求标识（client_key）不能超过64个字符"]})
    # One payment at a time per member: the profile row is the lock.
    profile = DuesProfile.objects.select_for_update().filter(member=member).first()
    errors = Errors()
    parsed = _parse_months(errors, months)
    try:
        extra_value = money(extra, "extra", "自愿多交金额")
    except ValidationError as exc:
        errors.take(exc)
        extra_value = Decimal("0.00")
    if client_key:
        existing = DuesPayment.objects.filter(member=member, client_key=client_key).first()
        if existing is not None:
            if errors or not _same_request(existing, parsed, extra_value):
                raise Conflict("该请求标识（client_key）已用于另一笔缴费")
            return existing, False
    _require_active(member)
    if profile is None:
        errors.add("member_id", "请先为该党员设置党费类别和缴费基数")
    today = timezone.localdate()
    paid_day = paid_day_of(errors, paid_on)
    note = clean_free_text(note)
    if len(note) > MAX_NOTE:
        errors.add("note", f"备注不能超过{MAX_NOTE}个字")
    if not parsed and extra_value == 0 and "months" not in errors and "extra" not in errors:
        errors.add("months", "请选择缴费月份（months），或填写自愿多交金额（extra）")
    owed: dict[dt.date, Decimal] = {}
    if profile is not None and parsed:
        earliest, latest = window(today)
        current = calc.month_of(today)
        bases, reliefs = profile_rows(profile)
        for m in parsed:
            if m < earliest:
                errors.add(
                    "months",
                    f"{calc.month_label(m)}超出补缴期限：党费最多补缴6个月，"
                    f"现可补缴{calc.month_label(earliest)}及以后的月份",
                )
            elif m > latest:
                errors.add(
                    "months",
                    f"{calc.month_label(m)}超出预交期限：党费最多预交6个月，"
                    f"现最远可预交至{calc.month_label(latest)}",
                )
            elif m < profile.dues_from:
                errors.add(
                    "months",
                    f"{calc.month_label(m)}早于起缴月份{calc.month_label(profile.dues_from)}，无需缴纳",
                )
            elif m > current and not profile.quarterly:
                errors.add(
                    "months",
                    f"{calc.month_label(m)}尚未到期：提前缴纳以后月份须经支部同意按季缴纳",
                )
            else:
                a = calc.amount_for(m, bases, reliefs)
                if a <= 0:
                    errors.add("months", f"{calc.month_label(m)}党费已批准免交，无需缴纳")
                else:
                    owed[m] = a
    errors.check()
    taken = list(
        DuesPaymentMonth.objects.filter(member=member, month__in=parsed, reversed=False)
        .select_related("payment")
        .order_by("month")
    )
    if taken:
        t = taken[0]
        raise Conflict(
            f"{calc.month_label(t.month)}党费已缴纳（收据编号{t.payment.receipt_no}），不能重复缴纳"
        )
    dues_total = sum(owed.values(), Decimal("0.00"))
    if amount not in (None, ""):
        try:
            stated = money(amount, "amount", "缴纳金额")
        except ValidationError:
            raise
        if stated != dues_total:
            raise ValidationError(
                {"amount": [f"缴纳金额应为{dues_total:.2f}元（所选月份的应交党费合计）"]}
            )
    assert profile is not None
    branch = branch_of(member.org)
    m_account = profile.account
    b_account = org_account(branch)
    payment = DuesPayment.objects.create(
        member=member,
        org=branch,
        receipt_no=uuid.uuid4().hex[:32],
        kind=_kind(parsed, extra_value),
        first_month=parsed[0] if parsed else None,
        last_month=parsed[-1] if parsed else None,
        months_count=len(parsed),
        dues_amount=dues_total,
        extra_amount=extra_value,
        total=dues_total + extra_value,
        remit_whole=extra_value >= Decimal(str(rates.setting("EXTRA_REMIT_WHOLE"))),
        paid_on=paid_day,
        client_key=client_key,
        note=note,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    payment.receipt_no = f"DF{paid_day:%Y}{payment.pk:08d}"
    rows = []
    for m, a in owed.items():
        key = ledger.idempotency_key(
            "dues", "month", f"{member.pk}:{calc.month_text(m)}:{_generation(member.pk, m)}"
        )
        txn = ledger.post(
            ledger=LEDGER,
            key=key,
            kind="dues.payment",
            entries=[(m_account, -a), (b_account, a)],
            memo=f"{member.name} {calc.month_label(m)}党费",
            occurred_on=paid_day,
            actor=actor,
        )
        rows.append(DuesPaymentMonth(payment=payment, member=member, month=m, amount=a, txn=txn))
    if extra_value > 0:
        payment.extra_txn = ledger.post(
            ledger=LEDGER,
            key=ledger.idempotency_key("dues", "extra", payment.pk),
            kind="dues.extra",
            entries=[(m_account, -extra_value), (b_account, extra_value)],
            memo=f"{member.name} 自愿多交党费"
            + ("（全额上缴中央）" if payment.remit_whole else ""),
            occurred_on=paid_day,
            actor=actor,
        )
    payment.save(update_fields=["receipt_no", "extra_txn"])
    try:
        with transaction.atomic():
            DuesPaymentMonth.objects.bulk_create(rows)
    except IntegrityError:
        raise Conflict("所选月份的党费已由另一笔缴费登记，请刷新后重试") from None
    audit.record(
        actor=actor,
        action="dues.payment_create",
        obj=payment,
        after={
            "receipt_no": payment.receipt_no,
            "months": [calc.month_text(m) for m in owed],
            "dues_amount": str(dues_total),
            "extra_amount": str(extra_value),
            "remit_whole": payment.remit_whole,
        },
        org_path=member.org_path,
    )
    scope.assert_visible(payment, actor, "dues.view")
    return payment, True


@transaction.atomic
def payment_reverse(*, actor, payment: DuesPayment, note: str = "") -> DuesPayment:
    """Reverse a payment through the ledger (mirror transactions); its months become unpaid.
    Ledger rows are never edited."""
    p = scope.get_visible(
        DuesPayment.objects.select_for_update(of=("self",)).select_related("member"),
        actor,
        "dues.manage",
        view_action="dues.view",
        pk=payment.pk,
    )
    if p.reversed_at is not None:
        raise Conflict(f"收据{p.receipt_no}已于{timezone.localtime(p.reversed_at):%Y-%m-%d}冲正")
    note = clean_free_text(note)
    if not note:
        raise ValidationError({"note": ["请填写冲正原因（note）"]})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": [f"冲正原因不能超过{MAX_NOTE}个字"]})
    txns = [row.txn for row in p.months.select_related("txn").filter(reversed=False)]
    if p.extra_txn_id:
        txns.append(p.extra_txn)
    try:
        with transaction.atomic():
            for txn in txns:
                ledger.reverse(txn=txn, memo=f"冲正收据{p.receipt_no}：{note}", actor=actor)
    except ValidationError as exc:
        messages = exc.message_dict.get("entries", [])
        if any("余额不足" in m for m in messages):
            raise Conflict("收缴党组织的党费账户余额不足（可能已上缴），不能冲正") from None
        raise
    p.months.update(reversed=True)
    p.reversed_at = timezone.now()
    p.reversed_by = actor
    p.reverse_note = note
    p.save(update_fields=["reversed_at", "reversed_by", "reverse_note"])
    audit.record(
        actor=actor,
        action="dues.payment_reverse",
        obj=p,
        note=note,
        after={"receipt_no": p.receipt_no, "reversed": True},
        org_path=p.member.org_path,
    )
    return p


# --- remittance upward ----------------------------------------------------------------------------


@transaction.atomic
def remittance_create(
    *, actor, org: PartyOrg, amount, period: str = "", note: str = "", client_key: str = ""
) -> tuple[DuesRemittance, bool]:
    """Hand dues from ``org`` to the organization above it, through the ledger."""
    found = scope.get_visible(PartyOrg.objects.all(), actor, "organizations.view", pk=org.pk)
    reach = scope.reach_of(actor, "dues.manage")
    if not any(tree.is_within(found.path, p) for p in reach.org_paths):
        raise scope.Forbidden("您没有管理该党组织党费的权限")
    client_key = _text(client_key)
    if len(client_key) > 64:
        raise ValidationError({"client_key": ["请求标识（client_key）不能超过64个字符"]})
    errors = Errors()
    try:
        value = money(amount, "amount", "上缴金额", allow_zero=False)
    except ValidationError as exc:
        errors.take(exc)
        value = None
    if amount in (None, ""):
        errors.add("amount", "请填写上缴金额（amount）")
    period, note = _text(period), clean_free_text(note)
    if len(period) > 20:
        errors.add("period", "所属期间不能超过20个字")
    if len(note) > MAX_NOTE:
        errors.add("note", f"备注不能超过{MAX_NOTE}个字")
    if found.parent_id is None:
        errors.add("org_id", "该党组织没有上级党组织，无处上缴")
    errors.check()
    key = ledger.idempotency_key("dues", "remit", f"{found.pk}:{client_key or uuid.uuid4().hex}")
    existing = DuesRemittance.objects.filter(txn__idempotency_key=key).first()
    if existing is not None:
        return existing, False
    parent = PartyOrg.objects.get(pk=found.parent_id)
    source = org_account(found)
    target = org_account(parent)
    short = {"amount": [f"上缴金额超过本组织党费结余{source.balance:.2f}元"]}
    if source.balance < value:
        raise ValidationError(short)
    try:
        with transaction.atomic():
            txn = ledger.post(
                ledger=LEDGER,
                key=key,
                kind="dues.remittance",
                entries=[(source, -value), (target, value)],
                memo=f"{found.name}上缴{parent.name}党费" + (f"（{period}）" if period else ""),
                actor=actor,
            )
    except ValidationError as exc:
        if any("余额不足" in m for m in exc.message_dict.get("entries", [])):
            raise ValidationError(short) from None
        raise
    r = DuesRemittance.objects.create(
        from_org=found,
        to_org=parent,
        from_org_path=found.path,
        amount=value,
        period=period,
        note=note,
        txn=txn,
        client_key=client_key,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="dues.remittance_create",
        obj=r,
        after={"amount": str(value), "to_org": parent.name, "period": period},
        org_path=found.path,
        area_path=found.area_path,
    )
    return r, True
