"""The grid event closed loop under /api/v1/cases/.

Thin: parse, call a selector or a service, serialize. Every move goes through
``POST /cases/{id}/transitions``; the answer is the event with its state and history. The
reporter's phone is masked in every answer (``/{id}/reveal`` shows it, audited); a reporter
who asked to stay anonymous is named only to themselves.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from ninja import Query, Router
from ninja.errors import HttpError

from dangjian.accounts import labels
from dangjian.accounts.models import Department
from dangjian.cases import event_page, selectors, services, sla
from dangjian.cases.classification.classifier import method_label, min_confidence
from dangjian.cases.flow import EVENT
from dangjian.cases.models import (
    ACTION_LABELS,
    ClassKind,
    ClassSource,
    Event,
    EventClass,
    NoticeKind,
    Rating,
    Resolution,
    SlaStatus,
    Source,
    State,
)
from dangjian.core import pii, scope, workflow
from dangjian.core.api import (
    ERRORS,
    REVEAL_BY_POST,
    AllowedActionOut,
    ErrorOut,
    RevealIn,
    Schema,
    no_store,
    paginate,
)
from dangjian.core.api import iso as _iso
from dangjian.core.apidates import FilterDate
from dangjian.core.choices import label
from dangjian.core.crypto import mask
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import scoped_object
from dangjian.core.textmask import mask_text
from dangjian.core.treeapi import page_schema
from dangjian.territory.models import Area

router = Router(tags=["网格事件"])


# --- schemas -------------------------------------------------------------------------------------


class EventLabelled(Schema):
    code: str
    label: str


class ClassOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    department_name: str
    limit_value: int
    limit_unit: str
    limit_label: str
    keywords: list[str]


def class_out(c: EventClass) -> dict:
    return {
        "code": c.code,
        "name": c.name,
        "kind": c.kind,
        "kind_label": label(ClassKind, c.kind),
        "department_name": c.department_name,
        "limit_value": c.limit_value,
        "limit_unit": c.limit_unit,
        "limit_label": sla.limit_text(c.limit_value, c.limit_unit),
        "keywords": list(c.keywords or []),
    }


class EventOut(Schema):
    id: int
    state: str
    state_label: str
    sla_status: str
    sla_status_label: str
    description: str
    place: str
    lng: float | None
    lat: float | None
    area_id: int
    area_name: str
    grid_id: int
    grid_name: str
    class_code: str | None
    class_label: str | None
    class_kind: str | None
    class_source: str
    class_source_label: str
    suggested_class_code: str | None
    suggested_class_label: str | None
    suggestion_confidence: float
    dispatch_area_id: int
    dispatch_area_name: str
    department_id: int | None
    department_name: str | None
    department_label: str | None
    source: str
    source_label: str
    reporter_name: str
    anonymous: bool
    reporter_phone: str
    is_mine: bool
    me_too_count: int
    limit_label: str
    deadline: str | None
    chase_at: str | None
    overdue: bool
    pending_extension: str
    on_time: bool | None
    rating: str
    rating_label: str
    resolution: str
    resolution_label: str
    return_count: int
    extension_count: int
    escalation_count: int
    reopen_count: int
    reported_at: str
    opened_at: str | None
    dispatched_at: str | None
    accepted_at: str | None
    handled_at: str | None
    closed_at: str | None
    evaluated_at: str | None


def _department_label(e: Event) -> str | None:
    if not e.department_id:
        return None
    found = getattr(e, "department_label", None)
    return found if found is not None else labels.department_label(e.department)


def _same(item):
    return item


class _LabelledPage:
    """A list's queryset whose sliced page gets its departments' labels in one query."""

    def __init__(self, qs):
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __getitem__(self, key: slice):
        return labels.label_departments(scope.rows_in_join_order(self.qs[key]))


def event_out(e: Event, user, now=None) -> dict:
    now = now or timezone.now()
    mine = bool(user is not None and e.reporter_id and e.reporter_id == user.pk)
    status = sla.status(e, now)
    klass, suggested = e.event_class, e.suggested_class
    return {
        "id": e.pk,
        "state": e.state,
        "state_label": label(State, e.state),
        "sla_status": status,
        "sla_status_label": label(SlaStatus, status),
        "description": e.description,
        "place": e.place,
        "lng": e.lng,
        "lat": e.lat,
        "area_id": e.area_id,
        "area_name": e.area.name,
        "grid_id": e.grid_id,
        "grid_name": e.grid.name,
        "class_code": klass.code if klass else None,
        "class_label": klass.name if klass else None,
        "class_kind": klass.kind if klass else None,
        "class_source": e.class_source,
        "class_source_label": label(ClassSource, e.class_source) if e.class_source else "",
        "suggested_class_code": suggested.code if suggested else None,
        "suggested_class_label": suggested.name if suggested else None,
        "suggestion_confidence": e.suggestion_confidence,
        "dispatch_area_id": e.dispatch_area_id,
        "dispatch_area_name": e.dispatch_area.name,
        "department_id": e.department_id,
        "department_name": e.department.name if e.department_id else None,
        "department_label": _department_label(e),
        "source": e.source,
        "source_label": label(Source, e.source),
        "reporter_name": (services.ANONYMOUS_NAME if e.anonymous and not mine else e.reporter_name),
        "anonymous": e.anonymous,
        "reporter_phone": mask("phone", e.reporter_phone),
        "is_mine": mine,
        "me_too_count": e.me_too_count,
        "limit_label": sla.limit_text(e.limit_value, e.limit_unit),
        "deadline": _iso(e.deadline),
        "chase_at": _iso(e.chase_at),
        "overdue": status == SlaStatus.OVERDUE,
        "pending_extension": sla.limit_text(e.pending_extension_value, e.pending_extension_unit),
        "on_time": e.on_time,
        "rating": e.rating,
        "rating_label": label(Rating, e.rating) if e.rating else "",
        "resolution": e.resolution,
        "resolution_label": label(Resolution, e.resolution) if e.resolution else "",
        "return_count": e.return_count,
        "extension_count": e.extension_count,
        "escalation_count": e.escalation_count,
        "reopen_count": e.reopen_count,
        "reported_at": _iso(e.reported_at),
        "opened_at": _iso(e.opened_at),
        "dispatched_at": _iso(e.dispatched_at),
        "accepted_at": _iso(e.accepted_at),
        "handled_at": _iso(e.handled_at),
        "closed_at": _iso(e.closed_at),
        "evaluated_at": _iso(e.evaluated_at),
    }


class EventStepOut(Schema):
    action: str
    action_label: str
    from_state: str
    to_state: str
    to_state_label: str
    actor_name: str
    note: str
    sla_status: str
    sla_status_label: str
    deadline: str | None
    department_name: str
    at: str
    # A staff rating's follow-up call (call_date, callee, call_note); not shown to the reporter.
    follow_up: dict[str, str] | None = None


class NoticeOut(Schema):
    kind: str
    kind_label: str
    deadline: str
    department_name: str | None
    note: str
    at: str


class EventBriefOut(Schema):
    """An event as a duplicate suggestion shows it: no reporter, phone numbers masked."""

    id: int
    class_code: str | None
    class_label: str | None
    description: str
    place: str
    state: str
    state_label: str
    reported_at: str
    me_too_count: int
    similarity: float


def brief_out(e: Event, similarity: float) -> dict:
    klass = e.event_class
    return {
        "id": e.pk,
        "class_code": klass.code if klass else None,
        "class_label": klass.name if klass else None,
        "description": mask_text(e.description[:100]),
        "place": mask_text(e.place),
        "state": e.state,
        "state_label": label(State, e.state),
        "reported_at": _iso(e.reported_at),
        "me_too_count": e.me_too_count,
        "similarity": similarity,
    }


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    stage: str
    stage_label: str
    step_action: str | None
    step_action_label: str | None
    uploaded_at: str
    url: str


def attachment_out(a) -> dict:
    from dangjian.cases.models import AttachmentStage

    step = a.step if a.step_id else None
    return {
        "id": a.pk,
        "name": a.file.name,
        "content_type": a.file.content_type,
        "size": a.file.size,
        "stage": a.stage,
        "stage_label": label(AttachmentStage, a.stage),
        "step_action": step.action if step else None,
        "step_action_label": ACTION_LABELS.get(step.action, step.action) if step else None,
        "uploaded_at": _iso(a.created_at),
        "url": f"/api/v1/cases/{a.event_id}/attachments/{a.pk}",
    }


class EventDetailOut(EventOut):
    actions: list[EventLabelled]
    allowed_actions: list[AllowedActionOut]
    history: list[EventStepOut]
    notices: list[NoticeOut]
    duplicates: list[EventBriefOut]
    attachments: list[AttachmentOut]


def event_detail_out(e: Event, user) -> dict:
    extras = selectors.event_detail_extras(user, e)
    out = event_out(e, user)
    allowed = workflow.allowed_actions(EVENT, user, e)
    out["actions"] = [{"code": a["action"], "label": a["label"]} for a in allowed]
    out["allowed_actions"] = allowed
    out["history"] = [
        {
            "action": s.action,
            "action_label": ACTION_LABELS.get(s.action, s.action),
            "from_state": s.from_state,
            "to_state": s.to_state,
            "to_state_label": label(State, s.to_state),
            "actor_name": s.actor_name,
            "note": s.note,
            "sla_status": s.sla_status,
            "sla_status_label": label(SlaStatus, s.sla_status),
            "deadline": _iso(s.deadline),
            "department_name": s.department_name,
            "at": _iso(s.at),
            "follow_up": (s.data or {}).get("follow_up"),
        }
        for s in extras["steps"]
    ]
    out["notices"] = [
        {
            "kind": n.kind,
            "kind_label": label(NoticeKind, n.kind),
            "deadline": _iso(n.deadline),
            "department_name": n.department.name if n.department_id else None,
            "note": n.note,
            "at": _iso(n.at),
        }
        for n in extras["notices"]
    ]
    out["duplicates"] = [brief_out(d, s) for d, s in extras["duplicates"]]
    out["attachments"] = [attachment_out(a) for a in selectors.attachment_list(user, e)]
    return out


class EventIn(Schema):
    area_id: int | None = None
    description: str = ""
    place: str = ""
    lng: float | None = None
    lat: float | None = None
    class_code: str = ""
    anonymous: bool = False
    reporter_phone: str | None = None
    # Staff taking a report by phone, from a visitor or the 12345 hotline: the source
    # ("phone", "walk_in", "hotline") and the caller's name (代群众登记).
    source: str = ""
    reporter_name: str = ""


class DraftIn(Schema):
    area_id: int | None = None
    description: str = ""
    class_code: str = ""


class SuggestionOut(Schema):
    code: str | None
    label: str | None
    kind: str | None
    confidence: float
    keywords: list[str]
    # Which method produced it (keywords, naive_bayes, or "" for none) and the department.
    method: str = ""
    method_label: str = ""
    model_version: int | None = None
    department_name: str = ""
    # Sure enough to be filed as the class; otherwise ask the reporter to choose.
    confident: bool = False
    min_confidence: float = 0.5


class DraftOut(Schema):
    area_id: int
    area_name: str
    suggestion: SuggestionOut
    duplicates: list[EventBriefOut]


class EventTransitionIn(Schema):
    action: str
    note: str = ""
    class_code: str = ""
    department_id: int | None = None
    extension_days: int | None = None
    extension_hours: int | None = None
    rating: str = ""
    # Staff recording a rating: the follow-up call it comes from (回访记录).
    # Far dates are refused here; the service holds it between the report and today.
    call_date: FilterDate | None = None
    callee: str = ""
    call_note: str = ""
    resolution: str = ""


class MeTooOut(Schema):
    id: int
    me_too_count: int


class EventRevealOut(Schema):
    field: str
    value: str


class EventListParams(Schema):
    state: str | None = None
    class_code: str | None = None
    department: int | None = None
    area: int | None = None
    sla: str | None = None
    q: str | None = None
    mine: bool = False
    period: str | None = None
    stage: str | None = None
    page: int = 1
    page_size: int = 20


class MetricsParams(Schema):
    area: int | None = None
    department: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    group_by: str = ""


class Figures(Schema):
    opened: int
    dispatched: int
    responded: int
    closed: int
    closed_on_time: int
    solved: int
    evaluated: int
    satisfied: int
    overdue: int
    closure_rate: float | None
    on_time_rate: float | None
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    avg_handling_hours: float | None


class TotalsOut(Figures):
    reported: int


class ClassFigures(Figures):
    code: str
    name: str
    kind: str


class DepartmentFigures(Figures):
    id: int
    name: str
    label: str


class ChildFigures(Figures):
    id: int | None
    name: str
    kind: str


class EventNodeOut(Schema):
    id: int
    name: str
    kind: str


class MetricsOut(Schema):
    node: EventNodeOut | None
    date_from: dt.date | None
    date_to: dt.date | None
    group_by: str
    totals: TotalsOut
    by_class: list[ClassFigures]
    by_department: list[DepartmentFigures]
    by_child: list[ChildFigures]


# --- routes --------------------------------------------------------------------------------------


@router.get("/classes", response={200: list[ClassOut], 401: ErrorOut})
def list_classes(request):
    """The taxonomy: event and facility classes with default department and time limit."""
    return [class_out(c) for c in EventClass.objects.filter(active=True).order_by("sort", "id")]


@router.get("/", response={200: page_schema(EventOut), **ERRORS})
def list_events(request, params: Query[EventListParams]):
    filters = {
        "state": params.state,
        "class_code": params.class_code,
        "department": _pk(params.department),
        "area": _pk(params.area),
        "sla_status": params.sla,
        "q": params.q,
        "mine": params.mine,
        "period": params.period,
        "stage": params.stage,
    }
    # The common lists read as tuples by statements compiled once (the same answer).
    fast = event_page.fast_page(request.auth, **filters)
    if fast is not None:
        return paginate(request, fast, _same)
    qs = selectors.event_list(request.auth, **filters)
    now = timezone.now()
    return paginate(
        request,
        _LabelledPage(selectors.page_columns(qs)),
        lambda e: event_out(e, request.auth, now),
    )


@router.post("/", response={200: EventDetailOut, **ERRORS})
def create_event(request, data: EventIn):
    event = services.event_create(
        actor=request.auth,
        area=Area(pk=_pk(data.area_id)) if data.area_id is not None else None,
        description=data.description,
        place=data.place,
        lng=data.lng,
        lat=data.lat,
        class_code=data.class_code,
        anonymous=data.anonymous,
        reporter_phone=data.reporter_phone,
        source=data.source,
        reporter_name=data.reporter_name,
    )
    # Answered from what was just written (``selectors.JustFiled``): the same answer as
    # ``GET /cases/{id}`` gives next, without reading the event, its step and links back.
    return event_detail_out(event, request.auth)


@router.post("/duplicates", response={200: DraftOut, **ERRORS})
def check_duplicates(request, data: DraftIn):
    """Before submitting: the suggested class and the similar open events in the grid."""
    found = selectors.draft_check(
        request.auth,
        area_pk=_pk(data.area_id),
        description=data.description,
        class_code=data.class_code,
    )
    s = found["suggestion"]
    return {
        "area_id": found["area"].pk,
        "area_name": found["area"].name,
        "suggestion": {
            "code": s.code,
            "label": s.name or None,
            "kind": s.kind or None,
            "confidence": s.confidence,
            "keywords": s.keywords,
            "method": s.method,
            "method_label": method_label(s.method),
            "model_version": s.model_version,
            "department_name": s.department_name,
            "confident": s.confident,
            "min_confidence": min_confidence(),
        },
        "duplicates": [brief_out(e, sim) for e, sim in found["duplicates"]],
    }


@router.get("/metrics", response={200: MetricsOut, **ERRORS})
def metrics(request, params: Query[MetricsParams]):
    return selectors.event_metrics(
        request.auth,
        area=_pk(params.area),
        department=_pk(params.department),
        date_from=params.date_from,
        date_to=params.date_to,
        group_by=params.group_by,
    )


@router.get("/{int:event_id}", response={200: EventDetailOut, **ERRORS})
def event_detail(request, event_id: int):
    return event_detail_out(selectors.event_get(request.auth, _pk(event_id)), request.auth)


@router.post("/{int:event_id}/transitions", response={200: EventDetailOut, **ERRORS})
def transition(request, event_id: int, data: EventTransitionIn):
    event = services.event_transition(
        actor=request.auth,
        event=Event(pk=_pk(event_id)),
        action=data.action,
        note=data.note,
        class_code=data.class_code,
        department=(
            Department(pk=_pk(data.department_id)) if data.department_id is not None else None
        ),
        extension_days=data.extension_days,
        extension_hours=data.extension_hours,
        rating=data.rating,
        follow_up={"call_date": data.call_date, "callee": data.callee, "call_note": data.call_note},
        resolution=data.resolution,
    )
    return event_detail_out(selectors.event_get(request.auth, event.pk), request.auth)


@router.post("/{int:event_id}/me-too", response={200: MeTooOut, **ERRORS})
def me_too(request, event_id: int):
    """ "Me too" on an open event of one's grid, instead of reporting it again."""
    event = services.me_too_add(actor=request.auth, event=Event(pk=_pk(event_id)))
    return {"id": event.pk, "me_too_count": event.me_too_count}


@router.post("/{int:event_id}/reveal", response={200: EventRevealOut, **ERRORS})
def reveal(request, event_id: int, data: RevealIn, response: HttpResponse):
    """The reporter's whole phone number: needs ``cases.reveal_pii``, a purpose and a reason
    (kept in the audit row); never cached."""
    event = selectors.event_get(request.auth, _pk(event_id))
    if data.field != "reporter_phone":
        raise ValidationError({"field": ["只能查看reporter_phone（上报人联系电话）"]})
    value = pii.reveal(
        actor=request.auth,
        obj=event,
        field=data.field,
        action="cases.reveal_pii",
        purpose=data.purpose,
        reason=data.reason,
    )
    no_store(response)
    return {"field": data.field, "value": value}


@router.get("/{int:event_id}/reveal", response={405: ErrorOut}, include_in_schema=False)
def reveal_by_get(request, event_id: int):
    raise HttpError(405, REVEAL_BY_POST)


# --- attachments (photos) -------------------------------------------------------------------------


@router.get("/{int:event_id}/attachments/", response={200: list[AttachmentOut], **ERRORS})
@scoped_object("event_id", selectors.event_get)
def list_attachments(request, event):
    return [attachment_out(a) for a in selectors.attachment_list(request.auth, event)]


@router.post("/{int:event_id}/attachments", response={200: list[AttachmentOut], **ERRORS})
def add_attachments(request, event_id: int):
    """Photos (multipart, field ``file``, one or more): images only, size-limited; one bad
    file refuses them all (422, nothing written)."""
    created = services.event_attachments_add(
        actor=request.auth, event=Event(pk=_pk(event_id)), uploads=request.FILES.getlist("file")
    )
    return [attachment_out(a) for a in created]


@router.get("/{int:event_id}/attachments/{int:attachment_id}", response={200: None, **ERRORS})
def download_attachment(request, event_id: int, attachment_id: int):
    from dangjian.core.files import file_response

    found = selectors.attachment_get(request.auth, _pk(event_id), _pk(attachment_id))
    return file_response(found.file)
