"""Secretary project routes and the 督评考 items (reviews). Thin."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from ninja import Query, Router

from dangjian.assessment.api.common import dec, year_or_none
from dangjian.assessment.models import ProjectMilestone
from dangjian.assessment.selectors import projects as selectors
from dangjian.assessment.selectors import rating as rating_selectors
from dangjian.assessment.services import projects as services
from dangjian.core import scope
from dangjian.core.api import ERRORS, Schema, iso, paginate
from dangjian.core.apidates import PlannedDate, RecordedDate
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema

router = Router()


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: str | None
    done_on: str | None
    evidence: str


class ReviewOut(Schema):
    id: int
    project_id: int
    project_title: str
    kind: str
    kind_label: str
    period: str
    due_on: str | None
    done_on: str | None
    evidence: str
    result_score: str | None
    result_note: str


class ProjectOut(Schema):
    id: int
    org_id: int
    org_name: str
    year: int
    title: str
    secretary_name: str
    team: list[str]
    state: str
    state_label: str
    evaluation_score: str | None


class ProjectDetailOut(ProjectOut):
    plan: str
    evaluation_note: str
    milestones: list[MilestoneOut]
    reviews: list[ReviewOut]


def project_out(p) -> dict:
    return {
        "id": p.pk,
        "org_id": p.org_id,
        "org_name": p.org.name,
        "year": p.year,
        "title": p.title,
        "secretary_name": p.secretary_name,
        "team": list(p.team),
        "state": p.state,
        "state_label": p.get_state_display(),
        "evaluation_score": dec(p.evaluation_score),
    }


def review_out(r, project=None) -> dict:
    project = project or r.project
    return {
        "id": r.pk,
        "project_id": r.project_id,
        "project_title": project.title,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "period": r.period,
        "due_on": iso(r.due_on),
        "done_on": iso(r.done_on),
        "evidence": r.evidence,
        "result_score": dec(r.result_score),
        "result_note": r.result_note,
    }


def project_detail_out(p) -> dict:
    return {
        **project_out(p),
        "plan": p.plan,
        "evaluation_note": p.evaluation_note,
        "milestones": [
            {
                "id": m.pk,
                "title": m.title,
                "due_on": iso(m.due_on),
                "done_on": iso(m.done_on),
                "evidence": m.evidence,
            }
            for m in p.milestones.all()
        ],
        "reviews": [review_out(r, p) for r in p.reviews.all()],
    }


class ProjectParams(Schema):
    year: Any = None
    org: int | None = None
    page: int = 1
    page_size: int = 20


@router.get("/projects/", response={200: page_schema(ProjectOut), **ERRORS})
def list_projects(request, params: Query[ProjectParams]):
    user = request.auth
    org = rating_selectors.visible_org(user, _pk(params.org)) if params.org is not None else None
    qs = selectors.projects(user, year=year_or_none(params.year), org=org)
    return paginate(request, qs, project_out)


class MilestoneIn(Schema):
    title: str = ""
    due_on: PlannedDate | None = None


class ProjectIn(Schema):
    org_id: int | None = None
    year: Any = None
    title: str = ""
    secretary_name: str = ""
    team: list[str] = []
    plan: str = ""
    milestones: list[MilestoneIn] = []


@router.post("/projects/", response={200: ProjectDetailOut, **ERRORS})
def create_project(request, data: ProjectIn):
    """The secretary sets up the year's project: the team, the plan, the milestones; its
    督评考 items are scheduled with it."""
    if data.org_id is None:
        raise ValidationError({"org_id": ["请选择党组织"]})
    p = services.project_create(
        actor=request.auth,
        org=_pk(data.org_id),
        year=data.year,
        title=data.title,
        secretary_name=data.secretary_name,
        team=data.team,
        plan=data.plan,
        milestones=[m.dict() for m in data.milestones],
    )
    return project_detail_out(selectors.project_get(request.auth, p.pk))


@router.get("/projects/{project_id}", response={200: ProjectDetailOut, **ERRORS})
@scope.scoped_object("project_id", selectors.project_get)
def project_detail(request, project):
    return project_detail_out(project)


class EvaluateIn(Schema):
    score: Any = None
    note: str = ""


@router.post("/projects/{project_id}/evaluate", response={200: ProjectDetailOut, **ERRORS})
@scope.scoped_object("project_id", selectors.project_get)
def evaluate_project(request, project, data: EvaluateIn):
    """The level above evaluates the year's project (0–100)."""
    services.project_evaluate(actor=request.auth, project=project, score=data.score, note=data.note)
    return project_detail_out(selectors.project_get(request.auth, project.pk))


class MilestoneDoneIn(Schema):
    done_on: RecordedDate | None = None
    evidence: str = ""


@router.post(
    "/projects/{project_id}/milestones/{milestone_id}/done",
    response={200: ProjectDetailOut, **ERRORS},
)
@scope.scoped_object("project_id", selectors.project_get)
def milestone_done(request, project, milestone_id: int, data: MilestoneDoneIn):
    try:
        m = project.milestones.get(pk=_pk(milestone_id))
    except ProjectMilestone.DoesNotExist:
        from django.http import Http404

        raise Http404("未找到") from None
    services.milestone_done(
        actor=request.auth, milestone=m, done_on=data.done_on, evidence=data.evidence
    )
    return project_detail_out(selectors.project_get(request.auth, project.pk))


class ReviewParams(Schema):
    year: Any = None
    org: int | None = None
    kind: str = ""
    pending: bool | None = None
    page: int = 1
    page_size: int = 20


@router.get("/reviews/", response={200: page_schema(ReviewOut), **ERRORS})
def list_reviews(request, params: Query[ReviewParams]):
    """The 督评考 items: quarterly research, half-yearly evaluation, yearly assessment."""
    user = request.auth
    org = rating_selectors.visible_org(user, _pk(params.org)) if params.org is not None else None
    qs = selectors.reviews(
        user, year=year_or_none(params.year), org=org, kind=params.kind, pending=params.pending
    )
    return paginate(request, qs, review_out)


class ReviewIn(Schema):
    evidence: str = ""
    result_score: Any = None
    result_note: str = ""
    done_on: RecordedDate | None = None


@router.post("/reviews/{review_id}", response={200: ReviewOut, **ERRORS})
@scope.scoped_object("review_id", selectors.review_get)
def record_review(request, review, data: ReviewIn):
    """The level above records the item's evidence and result (0–100)."""
    r = services.review_record(
        actor=request.auth,
        review=review,
        evidence=data.evidence,
        result_score=data.result_score,
        result_note=data.result_note,
        done_on=data.done_on,
    )
    return review_out(r)
