"""Dues under /api/v1/dues/: the quote, member dues, payments, arrears, hardship decisions,
remittances, branch totals and the funds for the grassroots. Thin: parse, call a selector or a
service, serialize. Money as decimal strings with two places; months as ``YYYY-MM``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Query, Router, Status

from dangjian.core import scope, workflow
from dangjian.core.api import ERRORS, AllowedActionOut, Schema, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.dues import calc, rates, selectors, services
from dangjian.dues.models import (
    HARDSHIP_ACTION_LABELS,
    HARDSHIP_FLOW,
    DuesPayment,
    DuesRemittance,
    Hardship,
    HardshipState,
)
from dangjian.members.models import Member
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

router = Router(tags=["党费"])


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _months(values) -> list[str]:
    return [calc.month_text(m) for m in values]


class _Rows(list):
    """A list that ``core.api.paginate`` can page (it calls ``count()`` and slices)."""

    def count(self, *args):  # type: ignore[override]
        return len(self)


# --- the quote ----------------------------------------------------------------------------------


class QuoteIn(Schema):
    category: Any = None
    base: Any = None


class QuoteOut(Schema):
    rate: str | None
    amount: str


@router.post("/quote", response={200: QuoteOut, **ERRORS})
def quote(request, data: QuoteIn):
    """Monthly dues for a category and a base (any signed-in user: a member checks their
    own figure). ``rate`` is the canonical decimal fraction ("0.005", "0.01", "0.015",
    "0.02"), null for the flat categories; ``amount`` yuan to the fen, rounded half up."""
    q = rates.dues_quote(data.category, data.base)
    return {"rate": q.rate_text, "amount": q.amount_text}


# --- member dues --------------------------------------------------------------------------------


class BaseOut(Schema):
    effective_month: str
    category: str
    category_label: str
    base: str
    rate: str | None
    amount: str
    note: str
    created_at: str


class MemberDuesOut(Schema):
    id: int
    name: str
    org_id: int
    org_name: str
    status: str
    status_label: str
    has_profile: bool
    category: str | None
    category_label: str | None
    base: str | None
    rate: str | None
    monthly_amount: str | None
    dues_from: str | None
    quarterly: bool
    arrears_months: list[str]
    arrears_count: int
    streak_months: list[str]
    arrears_level: str
    arrears_level_label: str


class MonthOut(Schema):
    month: str
    amount: str
    paid: bool
    receipt_no: str | None
    payable: bool


class MemberDuesDetailOut(MemberDuesOut):
    paid_months: list[str]
    bases: list[BaseOut]
    months: list[MonthOut]
    window_from: str
    window_to: str


def member_dues_out(m: Member, st: selectors.DuesStatus) -> dict:
    return {
        "id": m.pk,
        "name": m.name,
        "org_id": m.org_id,
        "org_name": m.org.name,
        "status": m.status,
        "status_label": m.get_status_display(),
        "has_profile": st.has_profile,
        "category": st.category,
        "category_label": st.category_label,
        "base": _money(st.base),
        "rate": None if st.rate is None else str(st.rate.normalize()),
        "monthly_amount": _money(st.monthly),
        "dues_from": calc.month_text(st.dues_from) if st.dues_from else None,
        "quarterly": st.quarterly,
        "arrears_months": _months(st.arrears),
        "arrears_count": len(st.arrears),
        "streak_months": _months(st.streak),
        "arrears_level": st.level,
        "arrears_level_label": st.level_label,
    }


def _base_out(b) -> dict:
    return {
        "effective_month": calc.month_text(b.effective_month),
        "category": b.category,
        "category_label": b.get_category_display(),
        "base": _money(b.base),
        "rate": b.rate_text,
        "amount": _money(b.amount),
        "note": b.note,
        "created_at": _iso(b.created_at),
    }


def member_dues_detail(user, member: Member) -> dict:
    st = selectors.statuses([member.pk])[member.pk]
    out = member_dues_out(member, st)
    profile = selectors.profile_of(member)
    earliest, latest = services.window()
    out["paid_months"] = _months(st.paid)
    out["window_from"], out["window_to"] = calc.month_text(earliest), calc.month_text(latest)
    out["bases"] = [_base_out(b) for b in profile.bases.all()] if profile else []
    out["months"] = selectors.month_table(member, profile, st) if profile else []
    return out


class MemberListParams(Schema):
    org: int | None = None
    q: str | None = None
    arrears: int | None = None
    page: int = 1
    page_size: int = 20


@router.get("/members/", response={200: page_schema(MemberDuesOut), **ERRORS})
def list_members(request, params: Query[MemberListParams]):
    """Members visible to the user with their dues: category, base, monthly amount, arrears.
    ``arrears=N``: only those with N or more unpaid months in a row."""
    org = selectors.visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    q = (params.q or "").strip()[:50]
    if params.arrears is not None:
        rows = selectors.arrears(request.auth, org=org, minimum=max(params.arrears, 1))
        rows = [(m, st) for m, st in rows if not q or q in m.name]
        return paginate(request, _Rows(rows), lambda pair: member_dues_out(*pair))
    page = paginate(request, selectors.members(request.auth, org=org, q=q), lambda m: m)
    st = selectors.statuses([m.pk for m in page["items"]])
    page["items"] = [member_dues_out(m, st[m.pk]) for m in page["items"]]
    return page


@router.get("/members/{int:member_id}", response={200: MemberDuesDetailOut, **ERRORS})
def member_detail(request, member_id: int):
    member = selectors.member_detail(request.auth, _pk(member_id))
    return member_dues_detail(request.auth, member)


class ProfileIn(Schema):
    category: Any = None
    base: Any = None
    effective_month: Any = None
    quarterly: bool | None = None
    note: str = ""


@router.patch("/members/{int:member_id}", response={200: MemberDuesDetailOut, **ERRORS})
def update_profile(request, member_id: int, data: ProfileIn):
    """Set the dues category and base from an effective month (``YYYY-MM``; default this
    month, or the join month for a new probationary member)."""
    services.profile_set(
        actor=request.auth,
        member=Member(pk=_pk(member_id)),
        category=data.category,
        base=data.base,
        effective_month=data.effective_month,
        quarterly=data.quarterly,
        note=data.note,
    )
    member = selectors.member_detail(request.auth, member_id)
    return member_dues_detail(request.auth, member)


# --- payments -----------------------------------------------------------------------------------


class PaymentOut(Schema):
    id: int
    receipt_no: str
    member_id: int
    member_name: str
    org_id: int
    org_name: str
    kind: str
    kind_label: str
    months: list[str]
    dues_amount: str
    extra_amount: str
    total: str
    remit_whole: bool
    paid_on: dt.date
    note: str
    reversed: bool
    reversed_at: str | None
    reverse_note: str
    created_at: str


def payment_out(p: DuesPayment, months: list[dt.date]) -> dict:
    return {
        "id": p.pk,
        "receipt_no": p.receipt_no,
        "member_id": p.member_id,
        "member_name": p.member.name,
        "org_id": p.org_id,
        "org_name": p.org.name,
        "kind": p.kind,
        "kind_label": p.get_kind_display(),
        "months": _months(months),
        "dues_amount": _money(p.dues_amount),
        "extra_amount": _money(p.extra_amount),
        "total": _money(p.total),
        "remit_whole": p.remit_whole,
        "paid_on": p.paid_on,
        "note": p.note,
        "reversed": p.reversed_at is not None,
        "reversed_at": _iso(p.reversed_at),
        "reverse_note": p.reverse_note,
        "created_at": _iso(p.created_at),
    }


def _payment_page(request, qs) -> dict:
    page = paginate(request, qs, lambda p: p)
    months = selectors.payment_months([p.pk for p in page["items"]])
    page["items"] = [payment_out(p, months.get(p.pk, [])) for p in page["items"]]
    return page


def _payment_one(user, pk: int) -> dict:
    p = selectors.payment_detail(user, pk)
    return payment_out(p, selectors.payment_months([p.pk]).get(p.pk, []))


class PaymentListParams(Schema):
    org: int | None = None
    member: int | None = None
    page: int = 1
    page_size: int = 20


@router.get("/payments/", response={200: page_schema(PaymentOut), **ERRORS})
def list_payments(request, params: Query[PaymentListParams]):
    org = selectors.visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    member = (
        selectors.member_detail(request.auth, _pk(params.member))
        if params.member is not None
        else None
    )
    return _payment_page(request, selectors.payments(request.auth, org=org, member=member))


class PaymentIn(Schema):
    member_id: int | None = None
    months: Any = None
    extra: Any = None
    amount: Any = None
    paid_on: Any = None
    client_key: str = ""
    note: str = ""


@router.post("/payments/", response={200: PaymentOut, 201: PaymentOut, **ERRORS})
def create_payment(request, data: PaymentIn):
    """Record a payment (201). Replaying the same ``client_key`` for the member answers the
    first payment (200) and posts nothing; a month already paid is 409; a month outside the
    six-month window is 422 with the reason."""
    if data.member_id is None:
        raise ValidationError({"member_id": ["请选择党员（member_id）"]})
    payment, created = services.payment_create(
        actor=request.auth,
        member=Member(pk=_pk(data.member_id)),
        months=data.months,
        extra=data.extra,
        amount=data.amount,
        paid_on=data.paid_on,
        client_key=data.client_key,
        note=data.note,
    )
    return Status(201 if created else 200, _payment_one(request.auth, payment.pk))


@router.get("/payments/{int:payment_id}", response={200: PaymentOut, **ERRORS})
def payment_detail(request, payment_id: int):
    return _payment_one(request.auth, _pk(payment_id))


class NoteIn(Schema):
    note: str = ""


@router.post("/payments/{int:payment_id}/reverse", response={200: PaymentOut, **ERRORS})
def reverse_payment(request, payment_id: int, data: NoteIn):
    """Reverse a payment through the ledger (mirror entries); its months become unpaid."""
    p = services.payment_reverse(
        actor=request.auth, payment=DuesPayment(pk=_pk(payment_id)), note=data.note
    )
    return _payment_one(request.auth, p.pk)


# --- arrears ------------------------------------------------------------------------------------


class ArrearsOut(Schema):
    id: int
    name: str
    org_id: int
    org_name: str
    level: str
    level_label: str
    streak: int
    streak_months: list[str]
    arrears_months: list[str]


class ArrearsParams(Schema):
    org: int | None = None
    level: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("/arrears/", response={200: page_schema(ArrearsOut), **ERRORS})
def list_arrears(request, params: Query[ArrearsParams]):
    """Members of a subtree with 3 or more unpaid months in a row (``level=warning``: 3 to 5;
    ``level=leave``: 6 or more, flagged for the branch with the months). Nothing automatic."""
    org = selectors.visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    if params.level not in (None, "", selectors.Level.WARNING, selectors.Level.LEAVE):
        raise ValidationError({"level": ["level应为warning（连续3个月）或leave（连续6个月）"]})
    rows = selectors.arrears(request.auth, org=org)
    if params.level:
        rows = [(m, st) for m, st in rows if st.level == params.level]
    return paginate(
        request,
        _Rows(rows),
        lambda pair: {
            "id": pair[0].pk,
            "name": pair[0].name,
            "org_id": pair[0].org_id,
            "org_name": pair[0].org.name,
            "level": pair[1].level,
            "level_label": pair[1].level_label,
            "streak": len(pair[1].streak),
            "streak_months": _months(pair[1].streak),
            "arrears_months": _months(pair[1].arrears),
        },
    )


# --- hardship reduction or waiver ---------------------------------------------------------------


class HardshipStepOut(Schema):
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor: str | None
    note: str
    at: str


class HardshipOut(Schema):
    id: int
    member_id: int
    member_name: str
    kind: str
    kind_label: str
    amount: str | None
    from_month: str
    to_month: str
    reason: str
    state: str
    state_label: str
    actions: list[str]
    history: list[HardshipStepOut]


class HardshipDetailOut(HardshipOut):
    allowed_actions: list[AllowedActionOut]


def hardship_detail_out(user, h: Hardship) -> dict:
    """One hardship with the actions ``user`` may take now."""
    return hardship_out(h) | {
        "allowed_actions": workflow.allowed_actions(services.HARDSHIP, user, h)
    }


def hardship_out(h: Hardship) -> dict:
    return {
        "id": h.pk,
        "member_id": h.member_id,
        "member_name": h.member.name,
        "kind": h.kind,
        "kind_label": h.get_kind_display(),
        "amount": _money(h.amount),
        "from_month": calc.month_text(h.from_month),
        "to_month": calc.month_text(h.to_month),
        "reason": h.reason,
        "state": h.state,
        "state_label": h.get_state_display(),
        "actions": [a for a, m in HARDSHIP_FLOW.items() if h.state in m.sources],
        "history": [
            {
                "action": s.action,
                "action_label": HARDSHIP_ACTION_LABELS.get(s.action, s.action),
                "from_state": s.from_state,
                "to_state": s.to_state,
                "actor": str(s.actor) if s.actor_id else None,
                "note": s.note,
                "at": _iso(s.at),
            }
            for s in h.steps.all()
        ],
    }


class HardshipParams(Schema):
    org: int | None = None
    state: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("/hardships/", response={200: page_schema(HardshipOut), **ERRORS})
def list_hardships(request, params: Query[HardshipParams]):
    org = selectors.visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    if params.state and params.state not in HardshipState.values:
        raise ValidationError({"state": ["状态（state）取值无效"]})
    qs = selectors.hardships(request.auth, org=org, state=params.state or "")
    qs = qs.prefetch_related("steps__actor")
    return paginate(request, qs, hardship_out)


class HardshipIn(Schema):
    member_id: int | None = None
    kind: Any = None
    amount: Any = None
    from_month: Any = None
    to_month: Any = None
    reason: str = ""


@router.post("/hardships/", response={200: HardshipDetailOut, **ERRORS})
def create_hardship(request, data: HardshipIn):
    if data.member_id is None:
        raise ValidationError({"member_id": ["请选择党员（member_id）"]})
    h = services.hardship_request(
        actor=request.auth,
        member=Member(pk=_pk(data.member_id)),
        kind=data.kind,
        amount=data.amount,
        from_month=data.from_month,
        to_month=data.to_month,
        reason=data.reason,
    )
    return hardship_detail_out(request.auth, selectors.hardship_detail(request.auth, h.pk))


@router.get("/hardships/{int:hardship_id}", response={200: HardshipDetailOut, **ERRORS})
def hardship_detail(request, hardship_id: int):
    return hardship_detail_out(
        request.auth, selectors.hardship_detail(request.auth, _pk(hardship_id))
    )


class HardshipTransitionIn(Schema):
    action: str = ""
    note: str = ""


@router.post(
    "/hardships/{int:hardship_id}/transitions", response={200: HardshipDetailOut, **ERRORS}
)
def hardship_transition(request, hardship_id: int, data: HardshipTransitionIn):
    """``agree`` (branch), ``approve`` (the next level), ``reject`` (with a note), ``withdraw``."""
    h = services.hardship_transition(
        actor=request.auth,
        hardship=Hardship(pk=_pk(hardship_id)),
        action=data.action,
        note=data.note,
    )
    return hardship_detail_out(request.auth, selectors.hardship_detail(request.auth, h.pk))


# --- remittances, totals, funds -----------------------------------------------------------------


class RemittanceOut(Schema):
    id: int
    from_org_id: int
    from_org_name: str
    to_org_id: int
    to_org_name: str
    amount: str
    period: str
    note: str
    created_at: str


def remittance_out(r: DuesRemittance) -> dict:
    return {
        "id": r.pk,
        "from_org_id": r.from_org_id,
        "from_org_name": r.from_org.name,
        "to_org_id": r.to_org_id,
        "to_org_name": r.to_org.name,
        "amount": _money(r.amount),
        "period": r.period,
        "note": r.note,
        "created_at": _iso(r.created_at),
    }


class OrgParams(Schema):
    org: int | None = None
    page: int = 1
    page_size: int = 20


@router.get("/remittances/", response={200: page_schema(RemittanceOut), **ERRORS})
def list_remittances(request, params: Query[OrgParams]):
    org = selectors.visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    return paginate(request, selectors.remittances(request.auth, org=org), remittance_out)


class RemittanceIn(Schema):
    org_id: int | None = None
    amount: Any = None
    period: str = ""
    note: str = ""
    client_key: str = ""


@router.post("/remittances/", response={200: RemittanceOut, 201: RemittanceOut, **ERRORS})
def create_remittance(request, data: RemittanceIn):
    """Remit dues from an organization to the one above it (through the ledger)."""
    if data.org_id is None:
        raise ValidationError({"org_id": ["请选择上缴的党组织（org_id）"]})
    r, created = services.remittance_create(
        actor=request.auth,
        org=PartyOrg(pk=_pk(data.org_id)),
        amount=data.amount,
        period=data.period,
        note=data.note,
        client_key=data.client_key,
    )
    return Status(201 if created else 200, remittance_out(r))


class MonthAmountOut(Schema):
    month: str
    amount: str


class FundStandardsOut(Schema):
    new_org: str
    per_member_year: str
    per_secretary_month: str
    secretary_months: int


class DuesTotalsOut(Schema):
    org_id: int
    org_name: str
    year: int
    members: int
    with_profile: int
    monthly_due: str
    paid_this_month: int
    collected_dues: str
    collected_extra: str
    remit_whole: str
    remitted_up: str
    balance: str
    warning: int
    leave: int
    by_month: list[MonthAmountOut]


class YearOrgParams(Schema):
    org: int | None = None
    area: int | None = None
    year: int | None = None


def _year(value: int | None) -> int | None:
    if value is not None and not 2000 <= value <= 2100:
        raise ValidationError({"year": ["年份（year）应在2000至2100之间"]})
    return value


@router.get("/totals", response={200: DuesTotalsOut, **ERRORS})
def branch_totals(request, params: Query[YearOrgParams]):
    """An organization's subtree: what it collected in the year, remitted upward, holds."""
    if params.org is None:
        raise ValidationError({"org": ["请指定党组织（org）"]})
    org = selectors.visible_org(request.auth, _pk(params.org))
    t = selectors.totals(request.auth, org, _year(params.year))
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "year": t.year,
        "members": t.members,
        "with_profile": t.with_profile,
        "monthly_due": _money(t.monthly_due),
        "paid_this_month": t.paid_this_month,
        "collected_dues": _money(t.collected_dues),
        "collected_extra": _money(t.collected_extra),
        "remit_whole": _money(t.remit_whole),
        "remitted_up": _money(t.remitted_up),
        "balance": _money(t.balance),
        "warning": t.warning,
        "leave": t.leave,
        "by_month": [{"month": calc.month_text(m), "amount": _money(a)} for m, a in t.by_month],
    }


class FundsOut(Schema):
    org_id: int | None
    area_id: int | None
    name: str
    year: int
    new_orgs: int
    members: int
    secretaries: int
    new_org_amount: str
    member_amount: str
    secretary_amount: str
    total: str
    standards: FundStandardsOut


@router.get("/funds/", response={200: FundsOut, **ERRORS})
def funds(request, params: Query[YearOrgParams]):
    """The funds a subtree's 两新 organizations are entitled to in a year (Nantong standards,
    settings): per branch or above founded (not a group, not temporary), per member per year,
    per full-time secretary per month served (dues/funds.py)."""
    org = selectors.visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    area = None
    if params.area is not None:
        area = scope.get_visible(
            Area.objects.all(), request.auth, "territory.view", pk=_pk(params.area)
        )
    f = selectors.funds(request.auth, org=org, area=area, year=_year(params.year))
    node = org or area
    return {
        "org_id": org.pk if org else None,
        "area_id": area.pk if area else None,
        "name": node.name,
        "year": f.year,
        "new_orgs": f.new_orgs,
        "members": f.members,
        "secretaries": f.secretaries,
        "new_org_amount": _money(f.new_org_amount),
        "member_amount": _money(f.member_amount),
        "secretary_amount": _money(f.secretary_amount),
        "total": _money(f.total),
        "standards": f.standards,
    }
