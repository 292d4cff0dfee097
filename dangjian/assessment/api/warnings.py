"""Two-colour member warnings under /api/v1/assessment/warnings/: a member reads their own,
a secretary the branch's, the levels above the counts as well. Thin."""

from __future__ import annotations

from ninja import Query, Router

from dangjian.assessment.models import MemberWarning
from dangjian.assessment.selectors import warnings as selectors
from dangjian.assessment.selectors.rating import visible_area
from dangjian.assessment.selectors.weak import visible_org
from dangjian.core import scope
from dangjian.core.api import ERRORS, Schema, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema

router = Router()


class MemberWarningOut(Schema):
    id: int
    member_id: int
    member_name: str
    org_id: int
    rule: str
    rule_label: str
    colour: str
    colour_label: str
    reason: str
    clears_when: str
    figure: str
    active: bool
    raised_on: str
    escalated_on: str | None
    cleared_on: str | None


def warning_out(w: MemberWarning) -> dict:
    return {
        "id": w.pk,
        "member_id": w.member_id,
        "member_name": w.member_name,
        "org_id": w.org_id,
        "rule": w.rule,
        "rule_label": w.get_rule_display(),
        "colour": w.colour,
        "colour_label": w.get_colour_display(),
        "reason": w.reason,
        "clears_when": w.clears_when,
        "figure": w.figure,
        "active": w.active,
        "raised_on": _iso(w.raised_on),
        "escalated_on": _iso(w.escalated_on),
        "cleared_on": _iso(w.cleared_on),
    }


class MemberWarningParams(Schema):
    org: int | None = None
    area: int | None = None
    colour: str | None = None
    rule: str | None = None
    history: bool = False
    page: int = 1
    page_size: int = 20


@router.get("/warnings/", response={200: page_schema(MemberWarningOut), **ERRORS})
def list_warnings(request, params: Query[MemberWarningParams]):
    """Active warnings (``history=true``: the cleared ones too) the caller sees."""
    org = visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    area = visible_area(request.auth, _pk(params.area)) if params.area is not None else None
    qs = selectors.warnings(
        request.auth,
        org=org,
        area=area,
        colour=params.colour or "",
        rule=params.rule or "",
        active=None if params.history else True,
    )
    return paginate(request, qs, warning_out)


class WarningCountOut(Schema):
    org_id: int
    org_name: str
    yellow: int
    red: int


class WarningCountParams(Schema):
    org: int | None = None


@router.get("/warnings/counts", response={200: list[WarningCountOut], **ERRORS})
def warning_counts(request, params: Query[WarningCountParams]):
    """Active warnings per organization and colour."""
    org = visible_org(request.auth, _pk(params.org)) if params.org is not None else None
    return selectors.counts(request.auth, org=org)


@router.get("/warnings/{int:warning_id}", response={200: MemberWarningOut, **ERRORS})
@scope.scoped_object("warning_id", selectors.warning_detail)
def warning_detail(request, warning: MemberWarning):
    return warning_out(warning)
