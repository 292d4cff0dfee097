"""Member development under /api/v1/development/.

Thin: parse, call a selector or a service, serialize. An applicant moves only through
``POST /applicants/{id}/transitions`` (the action is the step's number 1–25, ``extend`` or
``cancel``); the answer is the applicant with its new state, history and next step.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ninja import Query, Router
from pydantic import ConfigDict

from dangjian.core import workflow
from dangjian.core.api import ERRORS, AllowedActionOut, Schema, paginate
from dangjian.core.choices import label
from dangjian.core.crypto import mask
from dangjian.core.treeapi import page_schema
from dangjian.development import registration, selectors, services, targets
from dangjian.development import steps as S
from dangjian.development.models import (
    Applicant,
    ApplicantStatus,
    PersonRole,
    Stage,
    StepAction,
)
from dangjian.members.models import Gender

router = Router(tags=["发展党员"])


def _time(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# --- schemas ---------------------------------------------------------------------------------


class NextOut(Schema):
    number: int | None
    label: str
    earliest: str | None
    due: str | None
    due_rule: str
    ready: bool
    overdue: bool
    why: list[str]


class ApplicantOut(Schema):
    id: int
    name: str
    gender: str
    gender_label: str
    birth_date: str
    id_number: str
    phone: str
    work_unit: str
    org_id: int
    org_name: str
    stage: int
    stage_label: str
    step: int
    step_label: str
    status: str
    status_label: str
    applied_on: str | None
    activist_on: str | None
    candidate_on: str | None
    probation_start: str | None
    probation_end: str | None
    extension_months: int | None
    confirmed_on: str | None
    member_id: int | None
    user_id: int | None
    next_step: NextOut
    created_at: str


class ApplicantPersonOut(Schema):
    role: str
    role_label: str
    member_id: int
    name: str


class ApplicantStepOut(Schema):
    id: int
    action: str
    action_label: str
    number: int | None
    label: str
    stage: int
    stage_label: str
    date: str
    actor_name: str
    approving_org_id: int | None
    approving_org_name: str | None
    data: dict[str, Any]
    warnings: list[str]
    note: str
    people: list[ApplicantPersonOut]
    created_at: str


class StepDefOut(Schema):
    number: int
    stage: int
    label: str
    fields: list[str]
    required: list[str]
    hint: str
    done_on: str | None


class ApplicantDetailOut(ApplicantOut):
    contacts: list[ApplicantPersonOut]
    sponsors: list[ApplicantPersonOut]
    steps: list[ApplicantStepOut]
    timeline: list[StepDefOut]
    warnings: list[str]
    allowed_actions: list[AllowedActionOut]


class ApplicantIn(Schema):
    model_config = ConfigDict(extra="forbid")

    org_id: int
    name: str
    gender: str = ""
    ethnicity: str = ""
    birth_date: dt.date | None = None
    id_number: str = ""
    phone: str = ""
    work_unit: str = ""
    user_id: int | None = None


class ApplicantTransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: str
    note: str = ""
    date: dt.date | None = None
    document_title: str | None = None
    talker: str | None = None
    method: str | None = None
    filed_with: str | None = None
    contacts: list[int] | None = None
    thought_reports: int | None = None
    sponsors: list[int] | None = None
    review_items: dict[str, str] | None = None
    review_passed: bool | None = None
    review_conclusion: str | None = None
    training_days: Decimal | None = None
    training_hours: int | None = None
    certificate_number: str | None = None
    notice_start: dt.date | None = None
    volunteer_book_number: str | None = None
    entitled: int | None = None
    present: int | None = None
    yes: int | None = None
    no: int | None = None
    abstain: int | None = None
    approving_org_id: int | None = None
    group_name: str | None = None
    months: int | None = None


class ApplicantListParams(Schema):
    q: str | None = None
    stage: int | None = None
    status: str | None = None
    org: int | None = None
    area: int | None = None
    overdue: bool = False
    page: int = 1
    page_size: int = 20


class BoardParams(Schema):
    org: int | None = None
    area: int | None = None
    year: int | None = None


class ApplicantBriefOut(Schema):
    id: int
    name: str
    org_name: str
    stage: int
    stage_label: str
    step: int
    next_step: NextOut


class Pair(Schema):
    target: int
    actual: int


class TargetRowOut(Schema):
    node_id: int
    node_name: str
    tree: str
    target_id: int | None
    activists: Pair
    candidates: Pair
    new_members: Pair


class StageCountOut(Schema):
    code: str
    label: str
    count: int


class BoardOut(Schema):
    node_id: int | None
    node_name: str | None
    tree: str | None
    year: int
    stages: list[StageCountOut]
    statuses: list[StageCountOut]
    overdue_count: int
    overdue: list[ApplicantBriefOut]
    ready_count: int
    ready: list[ApplicantBriefOut]
    upcoming: list[ApplicantBriefOut]
    targets: TargetRowOut | None
    children: list[TargetRowOut]


class DevelopmentTargetOut(Schema):
    id: int
    year: int
    tree: str
    node_id: int
    node_name: str
    activists: int
    candidates: int
    new_members: int


class TargetIn(Schema):
    model_config = ConfigDict(extra="forbid")

    year: int
    org_id: int | None = None
    area_id: int | None = None
    activists: int = 0
    candidates: int = 0
    new_members: int = 0


class TargetParams(Schema):
    year: int | None = None
    org: int | None = None
    area: int | None = None
    page: int = 1
    page_size: int = 20


# --- serializers -----------------------------------------------------------------------------


def next_out(a: Applicant, today: dt.date | None = None) -> dict:
    m = selectors.next_move(a, today)
    return {
        "number": m.number,
        "label": m.label,
        "earliest": _day(m.earliest),
        "due": _day(m.due),
        "due_rule": m.due_rule,
        "ready": m.ready,
        "overdue": m.overdue,
        "why": m.why,
    }


def applicant_out(a: Applicant) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "gender": a.gender,
        "gender_label": label(Gender, a.gender),
        "birth_date": a.birth_date.isoformat(),
        "id_number": mask("id_number", a.id_number),
        "phone": mask("phone", a.phone),
        "work_unit": a.work_unit,
        "org_id": a.org_id,
        "org_name": a.org.name,
        "stage": a.stage,
        "stage_label": str(Stage(a.stage).label),
        "step": a.step,
        "step_label": S.STEPS[a.step].label if a.step else "尚未办理",
        "status": a.status,
        "status_label": label(ApplicantStatus, a.status),
        "applied_on": _day(a.applied_on),
        "activist_on": _day(a.activist_on),
        "candidate_on": _day(a.candidate_on),
        "probation_start": _day(a.probation_start),
        "probation_end": _day(a.probation_end),
        "extension_months": a.extension_months,
        "confirmed_on": _day(a.confirmed_on),
        "member_id": a.member_id,
        "user_id": a.user_id,
        "next_step": next_out(a),
        "created_at": _time(a.created_at),
    }


def person_out(p) -> dict:
    return {
        "role": p.role,
        "role_label": label(PersonRole, p.role),
        "member_id": p.member_id,
        "name": p.name,
    }


def step_out(s) -> dict:
    return {
        "id": s.pk,
        "action": s.action if s.action != StepAction.STEP else str(s.number),
        "action_label": label(StepAction, s.action),
        "number": s.number,
        "label": S.STEPS[s.number].label if s.number else label(StepAction, s.action),
        "stage": s.stage,
        "stage_label": str(Stage(s.stage).label),
        "date": s.date.isoformat(),
        "actor_name": s.actor_name,
        "approving_org_id": s.approving_org_id,
        "approving_org_name": s.approving_org.name if s.approving_org_id else None,
        "data": s.data,
        "warnings": s.warnings,
        "note": s.note,
        "people": [person_out(p) for p in s.people.all()],
        "created_at": _time(s.created_at),
    }


def timeline(a: Applicant, rows) -> list[dict]:
    done = {s.number: s.date for s in rows if s.number}
    return [
        {
            "number": d.number,
            "stage": d.stage,
            "label": d.label,
            "fields": list(d.fields),
            "required": list(d.required),
            "hint": d.hint,
            "done_on": _day(done.get(d.number)),
        }
        for d in S.STEPS.values()
    ]


def detail_out(user, a: Applicant, warnings: list[str] | None = None) -> dict:
    rows = selectors.history(a)
    ppl = selectors.people(a)
    return {
        **applicant_out(a),
        "contacts": [person_out(p) for p in ppl[PersonRole.CONTACT]],
        "sponsors": [person_out(p) for p in ppl[PersonRole.SPONSOR]],
        "steps": [step_out(s) for s in rows],
        "timeline": timeline(a, rows),
        "warnings": warnings or [],
        "allowed_actions": workflow.allowed_actions(services.APPLICANT, user, a),
    }


def brief_out(a: Applicant, today: dt.date) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "org_name": a.org.name,
        "stage": a.stage,
        "stage_label": str(Stage(a.stage).label),
        "step": a.step,
        "next_step": next_out(a, today),
    }


def target_out(t) -> dict:
    node = t.org if t.org_id else t.area
    return {
        "id": t.pk,
        "year": t.year,
        "tree": "org" if t.org_id else "area",
        "node_id": node.pk,
        "node_name": node.name,
        "activists": t.activists,
        "candidates": t.candidates,
        "new_members": t.new_members,
    }


# --- routes ----------------------------------------------------------------------------------


@router.get("/applicants/", response={200: page_schema(ApplicantOut), **ERRORS})
def applicant_list(request, filters: Query[ApplicantListParams]):
    qs = selectors.applicant_list(
        request.auth,
        q=filters.q or "",
        stage=filters.stage,
        status=filters.status,
        org=filters.org,
        area=filters.area,
        overdue=filters.overdue,
    )
    return paginate(request, qs, applicant_out)


@router.post("/applicants/", response={200: ApplicantDetailOut, **ERRORS})
def applicant_create(request, data: ApplicantIn):
    a = registration.applicant_create(
        actor=request.auth,
        org=data.org_id,
        name=data.name,
        gender=data.gender,
        ethnicity=data.ethnicity,
        birth_date=data.birth_date,
        id_number=data.id_number,
        phone=data.phone,
        work_unit=data.work_unit,
        user=data.user_id,
    )
    return detail_out(request.auth, selectors.applicant_get(request.auth, a.pk))


@router.get("/applicants/{int:applicant_id}", response={200: ApplicantDetailOut, **ERRORS})
def applicant_detail(request, applicant_id: int):
    return detail_out(request.auth, selectors.applicant_get(request.auth, applicant_id))


@router.post(
    "/applicants/{int:applicant_id}/transitions", response={200: ApplicantDetailOut, **ERRORS}
)
def applicant_transition(request, applicant_id: int, data: ApplicantTransitionIn):
    fields = data.model_dump(exclude={"action", "note", "date"}, exclude_none=True)
    a = services.applicant_transition(
        actor=request.auth,
        applicant=Applicant(pk=selectors._pk(applicant_id, "id")),
        action=data.action,
        when=data.date,
        note=data.note,
        **fields,
    )
    return detail_out(request.auth, selectors.applicant_get(request.auth, a.pk), a.last_warnings)


@router.get("/board/", response={200: BoardOut, **ERRORS})
def board(request, params: Query[BoardParams]):
    b = selectors.board(request.auth, org=params.org, area=params.area, year=params.year)
    node = b["node"]
    today = b["today"]
    return {
        "node_id": node.pk if node else None,
        "node_name": node.name if node else None,
        "tree": (
            None if node is None else ("org" if node._meta.model_name == "partyorg" else "area")
        ),
        "year": b["year"],
        "stages": [
            {"code": str(k), "label": str(Stage(k).label), "count": v}
            for k, v in b["stages"].items()
        ],
        "statuses": [
            {"code": k, "label": label(ApplicantStatus, k), "count": v}
            for k, v in b["statuses"].items()
        ],
        "overdue_count": b["overdue_count"],
        "overdue": [brief_out(a, today) for a in b["overdue"]],
        "ready_count": b["ready_count"],
        "ready": [brief_out(a, today) for a in b["ready"]],
        "upcoming": [brief_out(a, today) for a in b["upcoming"]],
        "targets": b["targets"],
        "children": b["children"],
    }


@router.get("/targets/", response={200: page_schema(DevelopmentTargetOut), **ERRORS})
def target_list(request, params: Query[TargetParams]):
    qs = selectors.target_list(request.auth, year=params.year, org=params.org, area=params.area)
    return paginate(request, qs, target_out)


@router.post("/targets/", response={200: DevelopmentTargetOut, **ERRORS})
def target_set(request, data: TargetIn):
    t = targets.target_set(
        actor=request.auth,
        year=data.year,
        org=data.org_id,
        area=data.area_id,
        activists=data.activists,
        candidates=data.candidates,
        new_members=data.new_members,
    )
    t = selectors.target_list(request.auth).get(pk=t.pk)
    return target_out(t)
