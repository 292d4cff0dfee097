"""Weak and lax organizations under /api/v1/assessment/: flags, rankings (confirm), the
rectifications with their transitions, the thresholds and the recomputation. Thin."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from ninja import Query, Router

from dangjian.assessment import thresholds
from dangjian.assessment.models import Flag, Ranking, RankingEntry, Rectification
from dangjian.assessment.selectors import weak as selectors
from dangjian.assessment.selectors.rating import visible_area
from dangjian.assessment.services import rectify
from dangjian.assessment.services import weak as services
from dangjian.core import scope, workflow
from dangjian.core.api import ERRORS, AllowedActionOut, Schema, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema

router = Router()


class WeakFlagOut(Schema):
    id: int
    org_id: int
    org_name: str
    year: int
    rule: str
    rule_label: str
    figure: str
    threshold: str
    summary: str
    evidence: dict
    evidence_url: str
    manual: bool
    computed_at: str


def flag_out(f: Flag) -> dict:
    return {
        "id": f.pk,
        "org_id": f.org_id,
        "org_name": f.org.name,
        "year": f.year,
        "rule": f.rule,
        "rule_label": f.get_rule_display(),
        "figure": f.figure,
        "threshold": f.threshold,
        "summary": f.summary,
        "evidence": f.evidence,
        "evidence_url": f.evidence_url,
        "manual": f.manual,
        "computed_at": _iso(f.computed_at),
    }


class WeakFlagParams(Schema):
    year: int | None = None
    org: int | None = None
    area: int | None = None
    rule: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("/flags/", response={200: page_schema(WeakFlagOut), **ERRORS})
def list_flags(request, params: Query[WeakFlagParams]):
    """The stored situations (软弱涣散情形) of the organizations the caller sees."""
    org = selectors.visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    area = visible_area(request.auth, _pk(params.area)) if params.area is not None else None
    qs = selectors.flags(request.auth, year=params.year, org=org, area=area, rule=params.rule or "")
    return paginate(request, qs, flag_out)


class WeakManualFlagIn(Schema):
    org_id: int | None = None
    year: Any = None
    summary: str = ""
    evidence: str = ""


@router.post("/flags/", response={200: WeakFlagOut, **ERRORS})
def create_flag(request, data: WeakManualFlagIn):
    """A situation found by hand, with its evidence (``assessment.manage``)."""
    if data.org_id is None:
        raise ValidationError({"org_id": ["请选择党组织（org_id）"]})
    f = services.flag_add_manual(
        actor=request.auth,
        org=_pk(data.org_id),
        year=data.year,
        summary=data.summary,
        evidence=data.evidence,
    )
    return flag_out(selectors.flag_detail(request.auth, f.pk))


@router.get("/flags/{int:flag_id}", response={200: WeakFlagOut, **ERRORS})
@scope.scoped_object("flag_id", selectors.flag_detail)
def flag_detail(request, flag: Flag):
    return flag_out(flag)


# --- rankings -----------------------------------------------------------------------------------


class WeakRankingEntryOut(Schema):
    id: int
    position: int
    org_id: int
    org_name: str
    score: int
    flags: list[dict]
    rectification_id: int | None


class WeakRankingOut(Schema):
    id: int
    county_id: int
    county_name: str
    year: int
    share: str
    assessed: int
    flagged: int
    entry_count: int
    state: str
    state_label: str
    computed_at: str
    confirmed_by: str | None
    confirmed_at: str | None
    confirm_note: str


class WeakRankingDetailOut(WeakRankingOut):
    entries: list[WeakRankingEntryOut]
    may_confirm: bool


def ranking_out(r: Ranking) -> dict:
    return {
        "id": r.pk,
        "county_id": r.county_id,
        "county_name": r.county.name,
        "year": r.year,
        "share": f"{r.share:.4f}",
        "assessed": r.assessed,
        "flagged": r.flagged,
        "entry_count": getattr(r, "entry_count", None) or r.entries.count(),
        "state": r.state,
        "state_label": r.get_state_display(),
        "computed_at": _iso(r.computed_at),
        "confirmed_by": r.confirmed_by.get_username() if r.confirmed_by_id else None,
        "confirmed_at": _iso(r.confirmed_at),
        "confirm_note": r.confirm_note,
    }


def entry_out(e: RankingEntry, rectified: dict[int, int]) -> dict:
    return {
        "id": e.pk,
        "position": e.position,
        "org_id": e.org_id,
        "org_name": e.org_name,
        "score": e.score,
        "flags": e.flags,
        "rectification_id": rectified.get(e.pk),
    }


def ranking_detail_out(user, r: Ranking) -> dict:
    entries = list(r.entries.all())
    rectified = dict(Rectification.objects.filter(entry__in=entries).values_list("entry_id", "pk"))
    return ranking_out(r) | {
        "entries": [entry_out(e, rectified) for e in entries],
        "may_confirm": r.state == "draft" and scope.is_visible(r, user, services.MANAGE),
    }


class WeakRankingParams(Schema):
    year: int | None = None
    state: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("/rankings/", response={200: page_schema(WeakRankingOut), **ERRORS})
def list_rankings(request, params: Query[WeakRankingParams]):
    """Each county's yearly ranking the caller sees (county staff and above)."""
    qs = selectors.rankings(request.auth, year=params.year, state=params.state or "")
    return paginate(request, qs, ranking_out)


@router.get("/rankings/{int:ranking_id}", response={200: WeakRankingDetailOut, **ERRORS})
@scope.scoped_object("ranking_id", selectors.ranking_detail)
def ranking_detail(request, ranking: Ranking):
    """A ranking with its bottom list and the flags that put each organization there."""
    return ranking_detail_out(request.auth, ranking)


class WeakRankingConfirmIn(Schema):
    note: str = ""


@router.post("/rankings/{int:ranking_id}/confirm", response={200: WeakRankingDetailOut, **ERRORS})
def confirm_ranking(request, ranking_id: int, data: WeakRankingConfirmIn):
    """County staff confirm the bottom list; each organization on it gets a rectification."""
    r = services.ranking_confirm(actor=request.auth, ranking=_pk(ranking_id), note=data.note)
    return ranking_detail_out(request.auth, selectors.ranking_detail(request.auth, r.pk))


# --- rectifications -----------------------------------------------------------------------------


class RectificationStepOut(Schema):
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor: str
    note: str
    data: dict
    at: str


class RectificationOut(Schema):
    id: int
    org_id: int
    org_name: str
    year: int
    problems: str
    measures: str
    leader: str
    deadline: str
    state: str
    state_label: str
    reports: int
    last_report_on: str | None
    closed_on: str | None


class RectificationDetailOut(RectificationOut):
    history: list[RectificationStepOut]
    allowed_actions: list[AllowedActionOut]


def rectification_out(r: Rectification) -> dict:
    return {
        "id": r.pk,
        "org_id": r.org_id,
        "org_name": r.org_name,
        "year": r.year,
        "problems": r.problems,
        "measures": r.measures,
        "leader": r.leader,
        "deadline": r.deadline.isoformat(),
        "state": r.state,
        "state_label": r.get_state_display(),
        "reports": r.reports,
        "last_report_on": _iso(r.last_report_on),
        "closed_on": _iso(r.closed_on),
    }


def rectification_detail_out(user, r: Rectification) -> dict:
    return rectification_out(r) | {
        "history": [
            {
                "action": s.action,
                "action_label": rectify.ACTION_LABELS.get(s.action, s.action),
                "from_state": s.from_state,
                "to_state": s.to_state,
                "actor": s.actor_name,
                "note": s.note,
                "data": s.data,
                "at": _iso(s.at),
            }
            for s in r.steps.all()
        ],
        "allowed_actions": workflow.allowed_actions(rectify.RECTIFY, user, r),
    }


class WeakRectificationParams(Schema):
    year: int | None = None
    state: str | None = None
    org: int | None = None
    area: int | None = None
    page: int = 1
    page_size: int = 20


@router.get("/rectifications/", response={200: page_schema(RectificationOut), **ERRORS})
def list_rectifications(request, params: Query[WeakRectificationParams]):
    """The rectifications the caller sees, by year, state, organization and area (the
    organizations anchored under it)."""
    org = selectors.visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    area = visible_area(request.auth, _pk(params.area)) if params.area is not None else None
    qs = selectors.rectifications(
        request.auth, year=params.year, state=params.state or "", org=org, area=area
    )
    return paginate(request, qs, rectification_out)


@router.get(
    "/rectifications/{int:rectification_id}", response={200: RectificationDetailOut, **ERRORS}
)
@scope.scoped_object("rectification_id", selectors.rectification_detail)
def rectification_detail(request, rectification: Rectification):
    return rectification_detail_out(request.auth, rectification)


class RectificationTransitionIn(Schema):
    action: str = ""
    note: str = ""
    measures: str | None = None
    leader: str | None = None


@router.post(
    "/rectifications/{int:rectification_id}/transitions",
    response={200: RectificationDetailOut, **ERRORS},
)
def rectification_transition(request, rectification_id: int, data: RectificationTransitionIn):
    """``plan`` (measures, leader), ``report`` (note: the progress), ``submit`` (note) by the
    organization; ``sign_off`` or ``send_back`` (note) by the level above."""
    fields = {
        k: v for k, v in (("measures", data.measures), ("leader", data.leader)) if v is not None
    }
    r = rectify.rectification_transition(
        actor=request.auth,
        rectification=_pk(rectification_id),
        action=data.action,
        note=data.note,
        **fields,
    )
    return rectification_detail_out(
        request.auth, selectors.rectification_detail(request.auth, r.pk)
    )


# --- thresholds and the recomputation -----------------------------------------------------------


class AssessmentSettingOut(Schema):
    key: str
    label: str
    value: str
    default: str


@router.get("/settings/", response={200: list[AssessmentSettingOut], **ERRORS})
def list_settings(request):
    """The thresholds of the rules in force (any staff with ``assessment.view``)."""
    if not request.auth.can(services.VIEW):
        raise scope.Forbidden()
    values = thresholds.snapshot()
    return [
        {"key": k, "label": knob.label, "value": str(values[k]), "default": str(knob.default)}
        for k, knob in thresholds.KNOBS.items()
    ]


class AssessmentSettingIn(Schema):
    key: str = ""
    value: Any = None


@router.post("/settings/", response={200: AssessmentSettingOut, **ERRORS})
def set_setting(request, data: AssessmentSettingIn):
    """Change a threshold (city staff): audited, applies from the next computation."""
    row = services.rule_setting_set(actor=request.auth, key=data.key, value=data.value)
    knob = thresholds.KNOBS[row.key]
    return {"key": row.key, "label": knob.label, "value": row.value, "default": str(knob.default)}


class AssessmentRecomputeIn(Schema):
    year: Any = None


class AssessmentRecomputeOut(Schema):
    task_id: str


@router.post("/recompute", response={200: AssessmentRecomputeOut, **ERRORS})
def recompute(request, data: AssessmentRecomputeIn):
    """Queue the recomputation of the year (staff with ``assessment.manage``)."""
    from dangjian.assessment.tasks import assessment_nightly
    from dangjian.core.validation import Errors

    if not request.auth.can(services.MANAGE):
        raise scope.Forbidden()
    errors = Errors()
    year = services.clean_year(errors, data.year)
    errors.check()
    result = assessment_nightly.enqueue(year=year, actor_id=request.auth.pk)
    return {"task_id": str(result.id)}
