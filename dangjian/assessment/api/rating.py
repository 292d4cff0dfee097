"""Star rating routes: schemes, ratings (list in county ranking order, detail with the
explanation lines), objections, hand scores, publication and the recompute button. Thin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone, translation
from ninja import Query, Router

from dangjian.assessment import indicators
from dangjian.assessment.api.common import (
    dec,
    labels,
    raw_date,
    raw_dec,
    raw_moment,
    year_or_none,
)
from dangjian.assessment.models import Indicator, ObjectionState, Rating, RatingState, Sector
from dangjian.assessment.selectors import rating as selectors
from dangjian.assessment.selectors import stored
from dangjian.assessment.services import rating as services
from dangjian.core import scope, tree
from dangjian.core.api import ERRORS, Schema, iso, paginate
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema

router = Router()


# --- schemes ------------------------------------------------------------------------------------


class IndicatorOut(Schema):
    id: int
    code: str
    name: str
    weight: str
    kind: str
    kind_label: str
    computation: str
    computation_label: str | None
    description: str


class StarSchemeOut(Schema):
    id: int
    sector: str
    sector_label: str
    year: int
    name: str
    thresholds: dict[str, str]
    five_star_cap: str
    total_weight: str
    indicators: list[IndicatorOut]


def indicator_out(i: Indicator) -> dict:
    comp = indicators.REGISTRY.get(i.computation)
    return {
        "id": i.pk,
        "code": i.code,
        "name": i.name,
        "weight": dec(i.weight),
        "kind": i.kind,
        "kind_label": i.get_kind_display(),
        "computation": i.computation,
        "computation_label": comp.label if comp else None,
        "description": i.description,
    }


def scheme_out(s) -> dict:
    inds = list(s.indicators.all())
    return {
        "id": s.pk,
        "sector": s.sector,
        "sector_label": s.get_sector_display(),
        "year": s.year,
        "name": s.name,
        "thresholds": {str(k): dec(v) for k, v in s.thresholds()},
        "five_star_cap": f"{s.five_star_cap:.3f}",
        "total_weight": dec(sum(i.weight for i in inds)) if inds else "0.00",
        "indicators": [indicator_out(i) for i in inds],
    }


class SchemeParams(Schema):
    year: Any = None
    sector: str = ""
    page: int = 1
    page_size: int = 20


@router.get("/schemes/", response={200: page_schema(StarSchemeOut), **ERRORS})
def list_schemes(request, params: Query[SchemeParams]):
    """Indicator schemes per sector and year (the rules: every staff user reads them)."""
    qs = selectors.schemes(request.auth, year=year_or_none(params.year), sector=params.sector)
    return paginate(request, qs, scheme_out)


@router.get("/schemes/{scheme_id}", response={200: StarSchemeOut, **ERRORS})
def scheme_detail(request, scheme_id: int):
    return scheme_out(selectors.scheme_get(request.auth, _pk(scheme_id)))


class StarSchemeIn(Schema):
    sector: Any = None
    year: Any = None
    name: str = ""
    five_star: Any = None
    four_star: Any = None
    three_star: Any = None
    two_star: Any = None
    one_star: Any = None
    five_star_cap: Any = None


_THRESHOLDS = ("five_star", "four_star", "three_star", "two_star", "one_star", "five_star_cap")


@router.post("/schemes/", response={200: StarSchemeOut, **ERRORS})
def create_scheme(request, data: StarSchemeIn):
    values = {k: getattr(data, k) for k in _THRESHOLDS if getattr(data, k) is not None}
    s = services.scheme_create(
        actor=request.auth, sector=data.sector, year=data.year, name=data.name, **values
    )
    return scheme_out(selectors.scheme_get(request.auth, s.pk))


class SchemeUpdateIn(Schema):
    name: str | None = None
    five_star: Any = None
    four_star: Any = None
    three_star: Any = None
    two_star: Any = None
    one_star: Any = None
    five_star_cap: Any = None


@router.patch("/schemes/{scheme_id}", response={200: StarSchemeOut, **ERRORS})
def update_scheme(request, scheme_id: int, data: SchemeUpdateIn):
    """Change the thresholds or the cap: audited, applies from the next computation."""
    s = selectors.scheme_get(request.auth, _pk(scheme_id))
    values = {k: v for k, v in data.dict().items() if v is not None}
    services.scheme_update(actor=request.auth, scheme=s, **values)
    return scheme_out(selectors.scheme_get(request.auth, s.pk))


class IndicatorIn(Schema):
    code: str = ""
    name: str = ""
    weight: Any = None
    kind: str = ""
    computation: str = ""
    description: str = ""


@router.post("/schemes/{scheme_id}/indicators/", response={200: StarSchemeOut, **ERRORS})
def set_indicator(request, scheme_id: int, data: IndicatorIn):
    """Add an indicator, or change the one with that code."""
    s = selectors.scheme_get(request.auth, _pk(scheme_id))
    services.indicator_set(actor=request.auth, scheme=s, **data.dict())
    return scheme_out(selectors.scheme_get(request.auth, s.pk))


# --- ratings ------------------------------------------------------------------------------------


class StarRatingOut(Schema):
    id: int
    org_id: int
    org_name: str
    year: int
    sector: str
    sector_label: str
    score: str
    stars: int
    stars_by_score: int
    capped: bool
    rank: int | None
    state: str
    state_label: str
    published_on: str | None
    window_ends_on: str | None
    computed_at: str | None


class LineOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    weight: str
    figure: str
    source: str
    points: str


class ObjectionOut(Schema):
    id: int
    rating_id: int
    reason: str
    state: str
    state_label: str
    filed_at: str | None
    response: str
    handled_at: str | None


class StarRatingDetailOut(StarRatingOut):
    lines: list[LineOut]
    objections: list[ObjectionOut]
    allowed_actions: list[str]


def rating_out(r) -> dict:
    return {
        "id": r.pk,
        "org_id": r.org_id,
        "org_name": r.org_name,
        "year": r.year,
        "sector": r.scheme.sector,
        "sector_label": r.scheme.get_sector_display(),
        "score": dec(r.score),
        "stars": r.stars,
        "stars_by_score": r.stars_by_score,
        "capped": r.capped,
        "rank": r.rank,
        "state": r.state,
        "state_label": r.get_state_display(),
        "published_on": iso(r.published_on),
        "window_ends_on": iso(r.window_ends_on),
        "computed_at": iso(r.computed_at),
    }


def objection_out(o) -> dict:
    return {
        "id": o.pk,
        "rating_id": o.rating_id,
        "reason": o.reason,
        "state": o.state,
        "state_label": o.get_state_display(),
        "filed_at": iso(o.filed_at),
        "response": o.response,
        "handled_at": iso(o.handled_at),
    }


def allowed_actions(user, r) -> list[str]:
    out = []
    if r.state == RatingState.PUBLISHED and scope.is_visible(r, user, services.OBJECT):
        out.append("object")
    if scope.is_visible(r, user, services.MANAGE):
        if r.state == RatingState.COMPUTED:
            out.append("publish")
        if any(o.state == "filed" for o in r.objections.all()):
            out.append("handle_objection")
    return out


class RatingParams(Schema):
    year: Any = None
    org: int | None = None
    area: int | None = None
    stars: int | None = None
    state: str = ""
    page: int = 1
    page_size: int = 20


@router.get("/ratings/", response={200: page_schema(StarRatingOut), **ERRORS})
def list_ratings(request, params: Query[RatingParams]):
    """Stored ratings by organization (``org``: its subtree), node (``area``: a county gives
    its ranking) and year, in county ranking order."""
    user = request.auth
    org = selectors.visible_org(user, _pk(params.org)) if params.org is not None else None
    area = selectors.visible_area(user, _pk(params.area)) if params.area is not None else None
    if params.stars is not None and not 0 <= params.stars <= 5:
        raise ValidationError({"stars": ["星级（stars）应在0至5之间"]})
    year = year_or_none(params.year)
    if area is not None and year and org is None and params.stars is None and not params.state:
        # A node's ranking: the hot path, compiled statements over the stored rows.
        with connections[Rating._default_manager.db].cursor() as cursor:
            ranking = stored.Ranking(user, year=year, path=area.path, cursor=cursor)
            return paginate(request, ranking, head_formatter())
    qs = selectors.ratings(
        user,
        year=year,
        org=org,
        area=area,
        stars=params.stars,
        state=params.state,
    )
    return paginate(request, qs, rating_out)


# What a driver gives a decimal as, formatted straight (text goes through ``raw_dec``).
_NUMBERS = (int, float, Decimal)


# The sector and state labels per language, both in one lookup (``labels`` caches each).
_head_labels: dict[str, tuple[dict, dict]] = {}


def _head_labels_for(language: str) -> tuple[dict, dict]:
    found = _head_labels[language] = (labels(Sector, language), labels(RatingState, language))
    return found


def head_formatter(language: str | None = None, zone=None):
    """The function that turns a stored ``stored.LISTED`` row (the first fields of a ``HEAD``
    row), as the driver gave it, into the API's rating: the language, the labels and the
    time zone are looked up once (or given by a caller that has them), not per row."""
    language = language or translation.get_language()
    sectors, states = _head_labels.get(language) or _head_labels_for(language)
    zone = zone or timezone.get_current_timezone()
    # A county's ratings share a handful of dates (one computation, one publication): each
    # distinct triple is formatted once (in this request; nothing is kept across requests).
    days: dict = {}

    def out(row: tuple) -> dict:
        (
            pk,
            org_id,
            org_name,
            year,
            sector,
            score,
            stars,
            by_score,
            capped,
            rank,
            state,
            published_on,
            window_ends_on,
            computed_at,
        ) = row
        when = (published_on, window_ends_on, computed_at)
        # A lookup, not try/except KeyError: a rating page formats one row, always a miss.
        found = days.get(when)
        if found is None:
            found = days[when] = (
                None if published_on is None else raw_date(published_on),
                None if window_ends_on is None else raw_date(window_ends_on),
                raw_moment(computed_at, zone),
            )
        published, window, computed = found
        return {
            "id": pk,
            "org_id": org_id,
            "org_name": org_name,
            "year": year,
            "sector": sector,
            "sector_label": sectors[sector],
            "score": f"{score:.2f}" if score.__class__ in _NUMBERS else raw_dec(score),
            "stars": stars,
            "stars_by_score": by_score,
            "capped": bool(capped),
            "rank": rank,
            "state": state,
            "state_label": states[state],
            "published_on": published,
            "window_ends_on": window,
            "computed_at": computed,
        }

    return out


def head_out(row: tuple) -> dict:
    """One stored rating read as a ``stored.HEAD`` tuple."""
    return head_formatter()(row[: len(stored.LISTED)])


def _reaches(user, action: str, org_path: str, area_path: str) -> bool:
    reach = scope.reach_of(user, action)
    return any(tree.is_within(org_path, p) for p in reach.org_paths) or any(
        tree.is_within(area_path, p) for p in reach.area_paths
    )


@router.get("/ratings/{rating_id}", response={200: StarRatingDetailOut, **ERRORS})
def rating_detail(request, rating_id: int):
    """One rating explained line by line: indicator, figure, source, points (they add up).
    Read from the stored rows in three compiled statements (``selectors.stored``)."""
    user = request.auth
    found = stored.rating_explained(user, _pk(rating_id))
    if found is None:
        from django.http import Http404

        raise Http404("未找到")
    head, lines, objections = found
    org_path, area_path, state = head[-2], head[-1], head[10]
    actions = []
    if state == RatingState.PUBLISHED and _reaches(user, services.OBJECT, org_path, area_path):
        actions.append("object")
    if _reaches(user, services.MANAGE, org_path, area_path):
        if state == RatingState.COMPUTED:
            actions.append("publish")
        if any(o[3] == ObjectionState.FILED for o in objections):
            actions.append("handle_objection")
    language, zone = translation.get_language(), timezone.get_current_timezone()
    objection_states = labels(ObjectionState, language)
    return {
        **head_formatter(language, zone)(head[: len(stored.LISTED)]),
        "lines": [
            {
                "code": code,
                "name": name,
                "kind": kind,
                "kind_label": "系统计算" if kind == "computed" else "人工评分",
                "weight": raw_dec(weight),
                "figure": figure,
                "source": source,
                "points": raw_dec(points),
            }
            for code, name, kind, weight, figure, source, points in lines
        ],
        "objections": [
            {
                "id": oid,
                "rating_id": rid,
                "reason": reason,
                "state": ostate,
                "state_label": objection_states[ostate],
                "filed_at": raw_moment(filed_at, zone),
                "response": response,
                "handled_at": raw_moment(handled_at, zone),
            }
            for oid, rid, reason, ostate, filed_at, response, handled_at in objections
        ],
        "allowed_actions": actions,
    }


@router.get("/ratings/{rating_id}/objections/", response={200: page_schema(ObjectionOut), **ERRORS})
@scope.scoped_object("rating_id", selectors.rating_get)
def list_objections(request, rating):
    return paginate(request, selectors.objections(request.auth, rating=rating), objection_out)


class ObjectionIn(Schema):
    reason: str = ""


@router.post("/ratings/{rating_id}/objections/", response={200: ObjectionOut, **ERRORS})
@scope.scoped_object("rating_id", selectors.rating_get)
def file_objection(request, rating, data: ObjectionIn):
    """The organization's secretary objects within the publication window."""
    o = services.objection_file(actor=request.auth, rating=rating, reason=data.reason)
    return objection_out(o)


class HandleIn(Schema):
    decision: str = ""
    response: str = ""


@router.post("/objections/{objection_id}/handle", response={200: ObjectionOut, **ERRORS})
@scope.scoped_object("objection_id", selectors.objection_get)
def handle_objection(request, objection, data: HandleIn):
    """County staff decide: ``upheld`` reopens the rating, ``rejected`` keeps it."""
    o = services.objection_handle(
        actor=request.auth, objection=objection, decision=data.decision, response=data.response
    )
    return objection_out(o)


class ScoreIn(Schema):
    indicator_id: int | None = None
    org_id: int | None = None
    year: Any = None
    points: Any = None
    evidence: str = ""


class ScoreOut(Schema):
    id: int
    indicator_id: int
    org_id: int
    year: int
    points: str
    evidence: str


@router.post("/scores/", response={200: ScoreOut, **ERRORS})
def set_score(request, data: ScoreIn):
    """Score a manual indicator for one organization, with evidence (counts from the next
    computation)."""
    if data.indicator_id is None:
        raise ValidationError({"indicator_id": ["请选择指标"]})
    if data.org_id is None:
        raise ValidationError({"org_id": ["请选择党组织"]})
    org = selectors.visible_org(request.auth, _pk(data.org_id))  # out of scope: 404 first
    try:
        ind = Indicator.objects.get(pk=_pk(data.indicator_id))
    except Indicator.DoesNotExist:
        raise ValidationError({"indicator_id": ["指标不存在"]}) from None
    row = services.manual_score_set(
        actor=request.auth,
        indicator=ind,
        org=org,
        year=data.year,
        points=data.points,
        evidence=data.evidence,
    )
    return {
        "id": row.pk,
        "indicator_id": row.indicator_id,
        "org_id": row.org_id,
        "year": row.year,
        "points": dec(row.points),
        "evidence": row.evidence,
    }


class PublishIn(Schema):
    area_id: int | None = None
    year: Any = None


class PublishedCountOut(Schema):
    published: int


@router.post("/publications/", response={200: PublishedCountOut, **ERRORS})
def publish(request, data: PublishIn):
    """Publish a county's computed ratings for the 5-day window."""
    if data.area_id is None:
        raise ValidationError({"area_id": ["请选择县(区)"]})
    area = selectors.visible_area(request.auth, _pk(data.area_id))
    n = services.ratings_publish(actor=request.auth, county=area, year=data.year)
    return {"published": n}
