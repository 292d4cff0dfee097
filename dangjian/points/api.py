"""Points under /api/v1/points/: schemes, rules, awards, the committee's reviews, the
catalogue, redemptions, receipts, rankings, stars and the caller's own balance. Thin: parse,
call a selector or a service, serialize. Points as decimal strings with two places."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Query, Router, Status

from dangjian.core import workflow
from dangjian.core.api import ERRORS, AllowedActionOut, Schema, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.apidates import RecordedDate
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.organizations.models import PartyOrg
from dangjian.points import selectors, services
from dangjian.points.models import Award, AwardState, Item, Redemption, Rule, Scheme
from dangjian.territory.models import Area

router = Router(tags=["积分"])


def _pts(value) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- schemes and rules ------------------------------------------------------------------------


class SchemeOut(Schema):
    id: int
    name: str
    audience: str
    audience_label: str
    area_id: int | None
    area_name: str | None
    org_id: int | None
    org_name: str | None
    name_display: str
    name_display_label: str
    star_count: int
    active: bool


def scheme_out(s: Scheme) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "audience": s.audience,
        "audience_label": s.get_audience_display(),
        "area_id": s.area_id,
        "area_name": s.area.name if s.area_id else None,
        "org_id": s.org_id,
        "org_name": s.org.name if s.org_id else None,
        "name_display": s.name_display,
        "name_display_label": s.get_name_display_display(),
        "star_count": s.star_count,
        "active": s.active,
    }


class SchemeIn(Schema):
    name: str
    audience: str
    area_id: int | None = None
    org_id: int | None = None
    name_display: str | None = None
    star_count: int | None = None


class SchemePatch(Schema):
    name: str | None = None
    name_display: str | None = None
    star_count: int | None = None
    active: bool | None = None


def _given(data: Schema) -> dict:
    return {k: v for k, v in data.model_dump(exclude_unset=True).items()}


@router.get("/schemes/", response={200: page_schema(SchemeOut), **ERRORS})
def scheme_list(request):
    return paginate(request, selectors.schemes(request.auth), scheme_out)


@router.post("/schemes/", response={201: SchemeOut, **ERRORS})
def scheme_create(request, data: SchemeIn):
    s = services.scheme_create(actor=request.auth, data=_given(data))
    return Status(201, scheme_out(selectors.scheme_detail(request.auth, s.pk)))


@router.get("/schemes/{int:scheme_id}", response={200: SchemeOut, **ERRORS})
def scheme_detail(request, scheme_id: int):
    return scheme_out(selectors.scheme_detail(request.auth, _pk(scheme_id)))


@router.patch("/schemes/{int:scheme_id}", response={200: SchemeOut, **ERRORS})
def scheme_update(request, scheme_id: int, data: SchemePatch):
    s = services.scheme_update(actor=request.auth, scheme_id=_pk(scheme_id), data=_given(data))
    return scheme_out(selectors.scheme_detail(request.auth, s.pk))


class RuleOut(Schema):
    id: int
    scheme_id: int
    name: str
    category: str
    list_kind: str
    list_kind_label: str
    points: str
    source: str
    source_label: str
    evidence_required: bool
    cap: str | None
    cap_period: str
    cap_period_label: str
    active: bool


def rule_out(r: Rule) -> dict:
    return {
        "id": r.pk,
        "scheme_id": r.scheme_id,
        "name": r.name,
        "category": r.category,
        "list_kind": r.list_kind,
        "list_kind_label": r.get_list_kind_display(),
        "points": _pts(r.points),
        "source": r.source,
        "source_label": r.get_source_display(),
        "evidence_required": r.evidence_required,
        "cap": _pts(r.cap),
        "cap_period": r.cap_period,
        "cap_period_label": r.get_cap_period_display(),
        "active": r.active,
    }


class RuleIn(Schema):
    scheme_id: int
    name: str
    category: str
    points: str
    list_kind: str | None = None
    source: str | None = None
    evidence_required: bool = False
    cap: str | None = None
    cap_period: str | None = None


class RulePatch(Schema):
    name: str | None = None
    category: str | None = None
    points: str | None = None
    list_kind: str | None = None
    evidence_required: bool | None = None
    cap: str | None = None
    cap_period: str | None = None
    active: bool | None = None


class RuleFilter(Schema):
    scheme: int | None = None


@router.get("/rules/", response={200: page_schema(RuleOut), **ERRORS})
def rule_list(request, f: Query[RuleFilter]):
    return paginate(request, selectors.rules(request.auth, scheme_id=_pk(f.scheme)), rule_out)


@router.post("/rules/", response={201: RuleOut, **ERRORS})
def rule_create(request, data: RuleIn):
    given = _given(data)
    scheme_id = _pk(given.pop("scheme_id"))
    r = services.rule_create(actor=request.auth, scheme_id=scheme_id, data=given)
    return Status(201, rule_out(r))


@router.patch("/rules/{int:rule_id}", response={200: RuleOut, **ERRORS})
def rule_update(request, rule_id: int, data: RulePatch):
    return rule_out(
        services.rule_update(actor=request.auth, rule_id=_pk(rule_id), data=_given(data))
    )


# --- awards and reviews -----------------------------------------------------------------------


class AwardOut(Schema):
    id: int
    scheme_id: int
    scheme_name: str
    rule_id: int
    rule_name: str
    user_id: int
    subject_name: str
    source: str
    source_label: str
    points: str
    occurred_on: str
    state: str
    state_label: str
    evidence: str
    note: str
    created_at: str | None
    allowed_actions: list[AllowedActionOut]


def award_out(user, a: Award) -> dict:
    return {
        "id": a.pk,
        "scheme_id": a.scheme_id,
        "scheme_name": a.scheme.name,
        "rule_id": a.rule_id,
        "rule_name": a.rule.name,
        "user_id": a.user_id,
        "subject_name": a.subject_name,
        "source": a.source,
        "source_label": a.get_source_display(),
        "points": _pts(a.points),
        "occurred_on": a.occurred_on.isoformat(),
        "state": a.state,
        "state_label": a.get_state_display(),
        "evidence": a.evidence,
        "note": a.note,
        "created_at": _iso(a.created_at),
        "allowed_actions": workflow.allowed_actions(services.AWARD_FLOW, user, a)
        if a.state in (AwardState.SUBMITTED, AwardState.APPROVED)
        else [],
    }


class AwardFilter(Schema):
    scheme: int | None = None
    state: str | None = None
    user: int | None = None
    area: int | None = None
    period: str | None = None


class AwardIn(Schema):
    rule_id: int
    user_id: int | None = None
    occurred_on: RecordedDate | None = None
    evidence: str = ""
    evidence_file_id: int | None = None
    note: str = ""


class AwardTransitionIn(Schema):
    action: str
    note: str = ""


class ReverseIn(Schema):
    note: str


@router.get("/awards/", response={200: page_schema(AwardOut), **ERRORS})
def award_list(request, f: Query[AwardFilter]):
    """Awards the caller sees; ``area`` (its subtree, by the subject's place or their
    organization's) and ``period`` (``YYYY-MM``, by the date the award happened) select the
    list behind the dashboard's 当月记分."""
    qs = selectors.awards(
        request.auth,
        scheme_id=_pk(f.scheme),
        state=f.state,
        user_id=_pk(f.user),
        area=_pk(f.area),
        period=f.period,
    )
    return paginate(request, qs, lambda a: award_out(request.auth, a))


@router.post("/awards/", response={201: AwardOut, **ERRORS})
def award_submit(request, data: AwardIn):
    """A manual award with its evidence, waiting for the committee (or one's own claim)."""
    given = _given(data)
    a = services.award_submit(
        actor=request.auth,
        rule_id=_pk(given.pop("rule_id")),
        user_id=given.pop("user_id", None),
        data=given,
    )
    return Status(201, award_out(request.auth, selectors.award_detail(request.auth, a.pk)))


@router.get("/awards/{int:award_id}", response={200: AwardOut, **ERRORS})
def award_detail(request, award_id: int):
    return award_out(request.auth, selectors.award_detail(request.auth, _pk(award_id)))


@router.post("/awards/{int:award_id}/transitions", response={200: AwardOut, **ERRORS})
def award_transition(request, award_id: int, data: AwardTransitionIn):
    """``approve`` (monthly review), ``reject``, ``score`` (quarterly scoring: posts)."""
    a = services.award_transition(
        actor=request.auth, award_id=_pk(award_id), action=data.action, note=data.note
    )
    return award_out(request.auth, selectors.award_detail(request.auth, a.pk))


@router.post("/awards/{int:award_id}/reverse", response={200: AwardOut, **ERRORS})
def award_reverse(request, award_id: int, data: ReverseIn):
    a = services.award_reverse(actor=request.auth, award_id=_pk(award_id), note=data.note)
    return award_out(request.auth, selectors.award_detail(request.auth, a.pk))


class ReviewFilter(Schema):
    scheme: int | None = None


@router.get("/reviews/", response={200: page_schema(AwardOut), **ERRORS})
def review_list(request, f: Query[ReviewFilter]):
    qs = selectors.review_queue(request.auth, scheme_id=_pk(f.scheme))
    return paginate(request, qs, lambda a: award_out(request.auth, a))


# --- catalogue, redemptions, receipts ---------------------------------------------------------


class ItemOut(Schema):
    id: int
    scheme_id: int
    scheme_name: str
    name: str
    description: str
    price: str
    stock: int
    active: bool


def item_out(i: Item) -> dict:
    return {
        "id": i.pk,
        "scheme_id": i.scheme_id,
        "scheme_name": i.scheme.name,
        "name": i.name,
        "description": i.description,
        "price": _pts(i.price),
        "stock": i.stock,
        "active": i.active,
    }


class ItemIn(Schema):
    scheme_id: int
    name: str
    price: str
    stock: int = 0
    description: str = ""


class ItemPatch(Schema):
    name: str | None = None
    price: str | None = None
    stock: int | None = None
    description: str | None = None
    active: bool | None = None


class ItemFilter(Schema):
    scheme: int | None = None


@router.get("/catalogue/", response={200: page_schema(ItemOut), **ERRORS})
def item_list(request, f: Query[ItemFilter]):
    return paginate(request, selectors.items(request.auth, scheme_id=_pk(f.scheme)), item_out)


@router.post("/catalogue/", response={201: ItemOut, **ERRORS})
def item_create(request, data: ItemIn):
    given = _given(data)
    i = services.item_create(actor=request.auth, scheme_id=_pk(given.pop("scheme_id")), data=given)
    return Status(201, item_out(i))


@router.get("/catalogue/{int:item_id}", response={200: ItemOut, **ERRORS})
def item_detail(request, item_id: int):
    return item_out(selectors.item_detail(request.auth, _pk(item_id)))


@router.patch("/catalogue/{int:item_id}", response={200: ItemOut, **ERRORS})
def item_update(request, item_id: int, data: ItemPatch):
    return item_out(
        services.item_update(actor=request.auth, item_id=_pk(item_id), data=_given(data))
    )


class RedemptionOut(Schema):
    id: int
    scheme_id: int
    item_id: int
    item_name: str
    user_id: int
    subject_name: str
    quantity: int
    points: str
    code: str | None
    state: str
    state_label: str
    created_at: str | None
    used_at: str | None


def redemption_out(user, r: Redemption) -> dict:
    return {
        "id": r.pk,
        "scheme_id": r.scheme_id,
        "item_id": r.item_id,
        "item_name": r.item_name,
        "user_id": r.user_id,
        "subject_name": r.subject_name,
        "quantity": r.quantity,
        "points": _pts(r.points),
        # The code is the redeemer's to show at the counter; staff scan it, never list it.
        "code": r.code if r.user_id == user.pk else None,
        "state": r.state,
        "state_label": r.get_state_display(),
        "created_at": _iso(r.created_at),
        "used_at": _iso(r.used_at),
    }


class RedeemIn(Schema):
    item_id: int
    quantity: int = 1


class RedemptionFilter(Schema):
    scheme: int | None = None
    state: str | None = None
    area: int | None = None
    period: str | None = None


@router.get("/redemptions/", response={200: page_schema(RedemptionOut), **ERRORS})
def redemption_list(request, f: Query[RedemptionFilter]):
    """Redemptions the caller sees; ``area`` and ``period`` (``YYYY-MM``, by the time of the
    redemption) select the list behind the dashboard's 当月兑换积分."""
    qs = selectors.redemptions(
        request.auth, scheme_id=_pk(f.scheme), state=f.state, area=_pk(f.area), period=f.period
    )
    return paginate(request, qs, lambda r: redemption_out(request.auth, r))


@router.post("/redemptions/", response={201: RedemptionOut, **ERRORS})
def redemption_create(request, data: RedeemIn):
    """Redeem an item of one's own scheme: points and stock in one transaction."""
    r = services.redemption_create(
        actor=request.auth, item_id=_pk(data.item_id), quantity=data.quantity
    )
    return Status(201, redemption_out(request.auth, r))


@router.get("/redemptions/{int:redemption_id}", response={200: RedemptionOut, **ERRORS})
def redemption_detail(request, redemption_id: int):
    r = selectors.redemption_detail(request.auth, _pk(redemption_id))
    return redemption_out(request.auth, r)


class ReceiptOut(Schema):
    id: int
    item_name: str
    quantity: int
    points: str
    subject_name: str
    state: str
    state_label: str
    created_at: str | None
    used_at: str | None


def receipt_out(r: Redemption) -> dict:
    return {
        "id": r.pk,
        "item_name": r.item_name,
        "quantity": r.quantity,
        "points": _pts(r.points),
        "subject_name": r.subject_name,
        "state": r.state,
        "state_label": r.get_state_display(),
        "created_at": _iso(r.created_at),
        "used_at": _iso(r.used_at),
    }


@router.get("/receipts/{code}", response={200: ReceiptOut, **ERRORS})
def receipt_check(request, code: str):
    """What a scanned receipt code is for (the shopkeeper, who manages the scheme)."""
    return receipt_out(services.receipt_lookup(actor=request.auth, code=code))


@router.post("/receipts/{code}/use", response={200: ReceiptOut, **ERRORS})
def receipt_use(request, code: str):
    """Hand the goods over: the receipt is used, once (again: 409)."""
    return receipt_out(services.receipt_use(actor=request.auth, code=code))


# --- rankings, stars, my points ----------------------------------------------------------------


class RankingFilter(Schema):
    year: int | None = None
    quarter: int | None = None
    month: int | None = None
    scheme: int | None = None
    area: int | None = None
    org: int | None = None
    limit: int = 50


class RankOut(Schema):
    rank: int
    user_id: int
    name: str
    points: str


class RankingOut(Schema):
    start: str
    end: str
    items: list[RankOut]


def period_of(year, quarter=None, month=None) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    year = year or today.year
    if not 2000 <= year <= today.year + 1:
        raise ValidationError({"year": ["年度无效"]})
    if month is not None:
        if not 1 <= month <= 12:
            raise ValidationError({"month": ["月份必须在1到12之间"]})
        return services.period_bounds(dt.date(year, month, 1), "month")
    if quarter is not None:
        if not 1 <= quarter <= 4:
            raise ValidationError({"quarter": ["季度必须在1到4之间"]})
        return services.period_bounds(dt.date(year, quarter * 3, 1), "quarter")
    return services.period_bounds(dt.date(year, 1, 1), "year")


@router.get("/rankings/", response={200: RankingOut, **ERRORS})
def ranking(request, f: Query[RankingFilter]):
    """Subjects by points earned in a year, quarter or month, for a scheme or any node."""
    start, end = period_of(f.year, f.quarter, f.month)
    if not 1 <= f.limit <= 200:
        raise ValidationError({"limit": ["条数必须在1到200之间"]})
    area_path = org_path = ""
    if f.area is not None:
        area = Area.objects.visible_to(request.auth, "points.view").filter(pk=_pk(f.area)).first()
        if area is None:
            raise ValidationError({"area": ["区域不存在"]})
        area_path = area.path
    if f.org is not None:
        org = PartyOrg.objects.visible_to(request.auth, "points.view").filter(pk=_pk(f.org)).first()
        if org is None:
            raise ValidationError({"org": ["党组织不存在"]})
        org_path = org.path
    rows = selectors.ranking(
        request.auth,
        start=start,
        end=end,
        scheme_id=_pk(f.scheme),
        area_path=area_path,
        org_path=org_path,
        limit=f.limit,
    )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "items": [
            {"rank": r.rank, "user_id": r.user_id, "name": r.name, "points": _pts(r.points)}
            for r in rows
        ],
    }


class StarsIn(Schema):
    year: int


class StarOut(Schema):
    scheme_id: int
    year: int
    rank: int
    user_id: int
    name: str
    points: str


def star_out(s) -> dict:
    return {
        "scheme_id": s.scheme_id,
        "year": s.year,
        "rank": s.rank,
        "user_id": s.user_id,
        "name": s.subject_name,
        "points": _pts(s.points),
    }


@router.post("/schemes/{int:scheme_id}/stars", response={200: list[StarOut], **ERRORS})
def stars_award(request, scheme_id: int, data: StarsIn):
    """The committee names the year's 积分明星 (top ``star_count`` by points earned)."""
    stars = services.stars_award(actor=request.auth, scheme_id=_pk(scheme_id), year=data.year)
    return [star_out(s) for s in stars]


class StarFilter(Schema):
    scheme: int | None = None
    year: int | None = None


@router.get("/stars/", response={200: page_schema(StarOut), **ERRORS})
def star_list(request, f: Query[StarFilter]):
    qs = selectors.stars(request.auth, scheme_id=_pk(f.scheme), year=f.year)
    return paginate(request, qs, star_out)


class BalanceOut(Schema):
    scheme_id: int
    scheme_name: str
    audience: str
    audience_label: str
    balance: str
    earned_this_year: str


class PointsMeOut(Schema):
    items: list[BalanceOut]


@router.get("/me", response={200: PointsMeOut, **ERRORS})
def my_points(request) -> Any:
    """The caller's balance in each scheme they belong to."""
    return {
        "items": [
            {
                "scheme_id": b.scheme.pk,
                "scheme_name": b.scheme.name,
                "audience": b.scheme.audience,
                "audience_label": b.scheme.get_audience_display(),
                "balance": _pts(b.balance),
                "earned_this_year": _pts(b.earned_year),
            }
            for b in selectors.my_balances(request.auth)
        ]
    }
