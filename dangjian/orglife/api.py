"""Organizational life under /api/v1/orglife/: sessions (with attendance, check-in, votes,
validity, transitions, ratings, photos), plans, bases, the compliance board, and a member's
own sessions and attendance. Thin: parse, call a selector or a service, serialize."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import File, Query, Router
from ninja.files import UploadedFile

from dangjian.core import scope, workflow
from dangjian.core.api import ERRORS, AllowedActionOut, Schema, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.api import ref as _ref
from dangjian.core.apidates import PlannedDateTime
from dangjian.core.choices import label
from dangjian.core.ids import MAX_PK
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import scoped_object
from dangjian.members.models import Member
from dangjian.organizations.models import PartyOrg
from dangjian.orglife import bases, compliance, feedback, plans, selectors, services
from dangjian.orglife.api_schemas import (
    ComplianceBoardOut,
    ComplianceBranchOut,
    JointOrgOut,
    MyAttendancePage,
    OrglifeBaseOut,
    OrglifeBasePage,
    PhotoOut,
    PlanItemOut,
    PlanOut,
    PlanPage,
    QualityOut,
    RatingOut,
    SessionValidityOut,
    StoredPhotoOut,
    ValidityOut,
    VoteOut,
)
from dangjian.orglife.models import (
    ActivityKind,
    Attendance,
    AttendanceStatus,
    AttendeeRole,
    Base,
    BaseActivity,
    CheckinMethod,
    Plan,
    PlanItem,
    Session,
    SessionState,
    SessionType,
    VoteKind,
)
from dangjian.territory.models import Area

router = Router(tags=["组织生活"])


# --- serializers ------------------------------------------------------------------------------


def session_out(s: Session) -> dict:
    return {
        "id": s.pk,
        "org_id": s.org_id,
        "org_name": s.org.name,
        "session_type": s.session_type,
        "session_type_label": label(SessionType, s.session_type),
        "topic": s.topic,
        "starts_at": _iso(s.starts_at),
        "ends_at": _iso(s.ends_at),
        "place": s.place,
        "base_id": s.base_id,
        "state": s.state,
        "state_label": label(SessionState, s.state),
        "roster": getattr(s, "roster", None),
        "present": getattr(s, "present", None),
    }


def attendance_out(a: Attendance) -> dict:
    return {
        "id": a.pk,
        "member_id": a.member_id,
        "name": a.member_name,
        "role": a.role,
        "role_label": label(AttendeeRole, a.role),
        "has_vote": a.has_vote,
        "status": a.status,
        "status_label": label(AttendanceStatus, a.status),
        "reason": a.reason,
        "leave_approved": a.leave_approved,
        "method": a.method,
        "method_label": label(CheckinMethod, a.method) if a.method else "",
        "checked_in_at": _iso(a.checked_in_at),
    }


def session_detail_out(user, s: Session) -> dict:
    out = session_out(s)
    counts = services.counts(s)
    votes = list(s.votes.all())
    out.update(
        {
            "host_id": s.host_id,
            "host_name": s.host.name if s.host else "",
            "recorder_id": s.recorder_id,
            "recorder_name": s.recorder.name if s.recorder else "",
            "base_name": s.base.name if s.base else "",
            "base_activity": s.base_activity.title if s.base_activity else "",
            "minutes": s.minutes,
            "joint_orgs": [
                {"id": o.org_id, "name": o.org.name}
                for o in s.participants.select_related("org").defer("org__contact_phone")
            ],
            "roster": counts["roster"],
            "present": counts["present"],
            "attendance": [attendance_out(a) for a in selectors.attendance_of(s)],
            "votes": [
                {
                    "id": v.pk,
                    "kind": v.kind,
                    "kind_label": label(VoteKind, v.kind),
                    "subject": v.subject,
                    "yes": v.yes,
                    "no": v.no,
                    "abstain": v.abstain,
                    "entitled": v.entitled,
                    "present": v.present,
                    "excused": v.excused,
                    "passed": v.passed,
                }
                for v in votes
            ],
            "validity": services.validity(s, counts, votes).as_dict(),
            "quorum_ok": s.quorum_ok,
            "quorum_note": s.quorum_note,
            "counted": s.state == SessionState.HELD and s.quorum_ok is not False,
            "quality": compliance.session_quality(s),
            "photos": [
                {
                    "id": p.pk,
                    "name": p.name,
                    "url": f"/api/v1/orglife/sessions/{s.pk}/photos/{p.pk}",
                }
                for p in s.photos.order_by("id")
            ],
            "reviewed_at": _iso(s.reviewed_at),
            "review_note": s.review_note,
            "held_at": _iso(s.held_at),
            "checkin_token": services.checkin_token(s) if services.can_record(user, s) else None,
            "allowed_actions": workflow.allowed_actions(services.SESSION, user, s),
        }
    )
    return out


class SessionOut(Schema):
    id: int
    org_id: int
    org_name: str
    session_type: str
    session_type_label: str
    topic: str
    starts_at: str
    ends_at: str
    place: str
    base_id: int | None
    state: str
    state_label: str
    roster: int | None
    present: int | None


class SessionPage(Schema):
    items: list[SessionOut]
    count: int


class AttendanceOut(Schema):
    id: int
    member_id: int
    name: str
    role: str
    role_label: str
    has_vote: bool
    status: str
    status_label: str
    reason: str
    leave_approved: bool
    method: str
    method_label: str
    checked_in_at: str | None


class SessionDetailOut(SessionOut):
    host_id: int | None
    host_name: str
    recorder_id: int | None
    recorder_name: str
    base_name: str
    base_activity: str
    minutes: str
    joint_orgs: list[JointOrgOut]
    attendance: list[AttendanceOut]
    votes: list[VoteOut]
    validity: ValidityOut
    quality: QualityOut
    photos: list[PhotoOut]
    reviewed_at: str | None
    review_note: str
    held_at: str | None
    checkin_token: str | None
    allowed_actions: list[AllowedActionOut]


class SessionIn(Schema):
    org_id: int
    session_type: str
    topic: str
    starts_at: PlannedDateTime
    ends_at: PlannedDateTime
    place: str = ""
    base_id: int | None = None
    base_activity_id: int | None = None
    host_id: int | None = None
    recorder_id: int | None = None
    committee_ids: list[int] = []
    invitee_ids: list[int] = []
    leader_ids: list[int] = []
    joint_org_ids: list[int] = []
    plan_item_id: int | None = None


class SessionPatch(Schema):
    topic: str | None = None
    place: str | None = None
    starts_at: PlannedDateTime | None = None
    ends_at: PlannedDateTime | None = None
    minutes: str | None = None
    host_id: int | None = None
    recorder_id: int | None = None


class SessionFilters(Schema):
    org: int | None = None
    session_type: str | None = None
    state: str | None = None
    month: str | None = None
    q: str | None = None
    page: int = 1
    page_size: int = 20


# --- sessions -----------------------------------------------------------------------------------


@router.get("/sessions/", response={200: SessionPage, **ERRORS})
def list_sessions(request, filters: Query[SessionFilters]):
    args = filters.dict()
    args.pop("page"), args.pop("page_size")
    args["org"] = _pk(args["org"])
    return paginate(request, selectors.session_list(request.auth, **args), session_out)


@router.post("/sessions/", response={200: SessionDetailOut, **ERRORS})
def create_session(request, data: SessionIn):
    session = services.session_schedule(
        actor=request.auth,
        org=_ref(PartyOrg, data.org_id),
        session_type=data.session_type,
        topic=data.topic,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place,
        base=_ref(Base, data.base_id),
        base_activity=_ref(BaseActivity, data.base_activity_id),
        host=_ref(Member, data.host_id),
        recorder=_ref(Member, data.recorder_id),
        committee_ids=[_pk(i) for i in data.committee_ids],
        invitee_ids=[_pk(i) for i in data.invitee_ids],
        leader_ids=[_pk(i) for i in data.leader_ids],
        joint_org_ids=[_pk(i) for i in data.joint_org_ids],
        plan_item=_ref(PlanItem, data.plan_item_id),
    )
    return session_detail_out(request.auth, selectors.session_get(request.auth, session.pk))


@router.get("/sessions/{int:session_id}", response={200: SessionDetailOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def session_detail(request, s):
    return session_detail_out(request.auth, s)


@router.patch("/sessions/{int:session_id}", response={200: SessionDetailOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def update_session(request, s, data: SessionPatch):
    changes = data.dict(exclude_unset=True)
    for key in ("host_id", "recorder_id"):
        if key in changes:
            changes[key[:-3]] = _ref(Member, changes.pop(key))
    for key in ("topic", "place", "minutes"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    for key in ("starts_at", "ends_at"):
        if key in changes and changes[key] is None:
            raise ValidationError({key: ["此项不能为空"]})
    services.session_update(actor=request.auth, session=s, **changes)
    return session_detail_out(request.auth, selectors.session_get(request.auth, s.pk))


class MarkIn(Schema):
    member_id: int
    status: str
    reason: str = ""
    leave_approved: bool = False


@router.post("/sessions/{int:session_id}/attendance", response={200: AttendanceOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def mark_attendance(request, s, data: MarkIn):
    row = services.attendance_mark(
        actor=request.auth,
        session=s,
        member_id=_pk(data.member_id),
        status=data.status,
        reason=data.reason,
        leave_approved=data.leave_approved,
    )
    return attendance_out(row)


class SessionCheckinIn(Schema):
    token: str


@router.post("/sessions/{int:session_id}/checkin", response={200: AttendanceOut, **ERRORS})
def checkin(request, session_id: int, data: SessionCheckinIn):
    """The member checks themselves in with the token of the session's QR code."""
    pk = _pk(session_id)
    visible = Session.objects.visible_to(request.auth, "orglife.checkin").filter(pk=pk).exists()
    by_token = services.session_for_token(data.token)
    if not visible and (by_token is None or by_token.pk != pk):
        raise Http404
    s = Session.objects.select_related("org").get(pk=pk)
    return attendance_out(services.session_checkin(actor=request.auth, session=s, token=data.token))


@router.get("/sessions/{int:session_id}/validity", response={200: SessionValidityOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def session_validity(request, s):
    c = services.counts(s)
    out = services.validity(s, c).as_dict()
    out.update(
        {
            "session_type": s.session_type,
            "session_type_label": label(SessionType, s.session_type),
            "entitled": c["entitled"],
            "present": c["voters_present"],
            "excused": c["excused"],
            "committee_seats": c["seats"],
            "committee_present": c["seats_present"],
            "committee_recorded": bool(c["committee_recorded"]),
            "quorum_ok": s.quorum_ok,
            "quorum_note": s.quorum_note,
            "counted": s.state == SessionState.HELD and s.quorum_ok is not False,
        }
    )
    return out


class VoteIn(Schema):
    kind: str
    subject: str
    yes: int
    no: int = 0
    abstain: int = 0


@router.post("/sessions/{int:session_id}/votes", response={200: SessionDetailOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def record_vote(request, s, data: VoteIn):
    services.vote_record(actor=request.auth, session=s, **data.dict())
    return session_detail_out(request.auth, selectors.session_get(request.auth, s.pk))


class SessionTransitionIn(Schema):
    action: str
    note: str = ""


@router.post("/sessions/{int:session_id}/transitions", response={200: SessionDetailOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def transition(request, s, data: SessionTransitionIn):
    """close (归档), cancel (取消, note = the reason) or review (督查, note = the opinion)."""
    services.session_transition(actor=request.auth, session=s, action=data.action, note=data.note)
    return session_detail_out(request.auth, selectors.session_get(request.auth, s.pk))


class InviteIn(Schema):
    member_ids: list[int]
    role: str = AttendeeRole.INVITEE


@router.post("/sessions/{int:session_id}/invitees", response={200: SessionDetailOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def invite(request, s, data: InviteIn):
    services.session_invite(
        actor=request.auth, session=s, member_ids=[_pk(i) for i in data.member_ids], role=data.role
    )
    return session_detail_out(request.auth, selectors.session_get(request.auth, s.pk))


class RatingIn(Schema):
    score: int
    comment: str = ""


@router.post("/sessions/{int:session_id}/ratings", response={200: RatingOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def rate(request, s, data: RatingIn):
    r = feedback.rating_submit(
        actor=request.auth, session=s, score=data.score, comment=data.comment
    )
    return {"id": r.pk, "score": r.score, "comment": r.comment}


@router.post("/sessions/{int:session_id}/photos", response={200: StoredPhotoOut, **ERRORS})
@scoped_object("session_id", selectors.session_get, name="s")
def upload_photo(request, s, file: UploadedFile | None = File(None)):  # noqa: B008
    """A photo of the session (JPEG, PNG, GIF or WebP, checked by content; size-limited)."""
    stored = feedback.session_add_photo(actor=request.auth, session=s, upload=file)
    return {"id": stored.pk, "name": stored.name, "size": stored.size}


@router.get("/sessions/{int:session_id}/photos/{int:file_id}", response={200: None, **ERRORS})
def photo(request, session_id: int, file_id: int):
    from dangjian.core.files import file_response

    s = selectors.session_get(request.auth, _pk(session_id))
    stored = s.photos.filter(pk=_pk(file_id)).first()
    if stored is None:
        raise Http404
    return file_response(stored)


# --- plans and bases ------------------------------------------------------------------------------


def plan_out(p: Plan) -> dict:
    return {
        "id": p.pk,
        "org_id": p.org_id,
        "org_name": p.org.name,
        "year": p.year,
        "quarter": p.quarter,
        "title": p.title,
        "note": p.note,
        "items": [plan_item_out(i) for i in p.items.all()],
    }


def plan_item_out(i: PlanItem) -> dict:
    return {
        "id": i.pk,
        "plan_id": i.plan_id,
        "session_type": i.session_type,
        "session_type_label": label(SessionType, i.session_type),
        "month": i.month,
        "topic": i.topic,
        "base_id": i.base_id,
    }


class PlanItemIn(Schema):
    session_type: str
    month: int
    topic: str
    base_id: int | None = None


class PlanIn(Schema):
    org_id: int
    year: int
    quarter: int | None = None
    title: str = ""
    note: str = ""
    items: list[PlanItemIn] = []


@router.get("/plans/", response={200: PlanPage, **ERRORS})
def list_plans(request, org: int | None = None, year: int | None = None):
    return paginate(request, selectors.plan_list(request.auth, org=_pk(org), year=year), plan_out)


@router.post("/plans/", response={200: PlanOut, **ERRORS})
def create_plan(request, data: PlanIn):
    plan = plans.plan_create(
        actor=request.auth,
        org=_ref(PartyOrg, data.org_id),
        year=data.year,
        quarter=data.quarter,
        title=data.title,
        note=data.note,
        items=[i.dict() for i in data.items],
    )
    return plan_out(selectors.plan_get(request.auth, plan.pk))


@router.get("/plans/{int:plan_id}", response={200: PlanOut, **ERRORS})
def plan_detail(request, plan_id: int):
    return plan_out(selectors.plan_get(request.auth, _pk(plan_id)))


class PlanItemPatch(Schema):
    session_type: str | None = None
    month: int | None = None
    topic: str | None = None
    base_id: int | None = None


def _base_id(value: int | None) -> int | None:
    """A base id from a body: beyond bigint it names no base (422 on the field, never a 500)."""
    if value is not None and not 0 <= value <= MAX_PK:
        raise ValidationError({"base_id": ["组织生活基地不存在或未开放"]})
    return value


@router.post("/plans/{int:plan_id}/items", response={200: PlanItemOut, **ERRORS})
@scoped_object("plan_id", selectors.plan_get)
def add_plan_item(request, plan, data: PlanItemIn):
    """One more item in the plan (its month inside the plan's year or quarter)."""
    item = plans.plan_item_add(
        actor=request.auth,
        plan=plan,
        session_type=data.session_type,
        month=data.month,
        topic=data.topic,
        base_id=_base_id(data.base_id),
    )
    return plan_item_out(item)


@router.patch("/plans/items/{int:item_id}", response={200: PlanItemOut, **ERRORS})
@scoped_object("item_id", selectors.plan_item_get)
def update_plan_item(request, item, data: PlanItemPatch):
    """Change an item no session uses yet (409 once one does); fields left out keep their value,
    ``base_id: null`` clears the base."""
    values = {
        "session_type": item.session_type,
        "month": item.month,
        "topic": item.topic,
        "base_id": item.base_id,
        **data.dict(exclude_unset=True),
    }
    values["base_id"] = _base_id(values["base_id"])
    return plan_item_out(plans.plan_item_update(actor=request.auth, item=item, **values))


@router.delete("/plans/items/{int:item_id}", response={200: PlanOut, **ERRORS})
@scoped_object("item_id", selectors.plan_item_get)
def delete_plan_item(request, item):
    """Remove an item no session uses yet (409 once one does); the answer is the plan."""
    plans.plan_item_delete(actor=request.auth, item=item)
    return plan_out(selectors.plan_get(request.auth, item.plan_id))


def base_out(b: Base) -> dict:
    return {
        "id": b.pk,
        "name": b.name,
        "org_id": b.org_id,
        "org_name": b.org.name,
        "area_id": b.area_id,
        "area_name": b.area.name,
        "address": b.address,
        "capacity": b.capacity,
        "is_open": b.is_open,
        "description": b.description,
        "activities": [
            {
                "id": a.pk,
                "title": a.title,
                "kind": a.kind,
                "kind_label": label(ActivityKind, a.kind),
                "hours": f"{a.hours:.1f}",
                "description": a.description,
            }
            for a in b.activities.all()
        ],
    }


class ActivityIn(Schema):
    title: str
    kind: str = ActivityKind.PARTY_SPIRIT
    description: str = ""


class BaseIn(Schema):
    org_id: int
    area_id: int
    name: str
    address: str = ""
    capacity: int = 0
    is_open: bool = True
    description: str = ""
    activities: list[ActivityIn] = []


@router.get("/bases/", response={200: OrglifeBasePage, **ERRORS})
def list_bases(request, q: str | None = None):
    return paginate(request, selectors.base_list(request.auth, q=q), base_out)


@router.post("/bases/", response={200: OrglifeBaseOut, **ERRORS})
def create_base(request, data: BaseIn):
    base = bases.base_create(
        actor=request.auth,
        org=_ref(PartyOrg, data.org_id),
        area=_ref(Area, data.area_id),
        name=data.name,
        address=data.address,
        capacity=data.capacity,
        is_open=data.is_open,
        description=data.description,
        activities=[a.dict() for a in data.activities],
    )
    return base_out(selectors.base_get(request.auth, base.pk))


@router.get("/bases/{int:base_id}", response={200: OrglifeBaseOut, **ERRORS})
def base_detail(request, base_id: int):
    return base_out(selectors.base_get(request.auth, _pk(base_id)))


# --- compliance -------------------------------------------------------------------------------------


@router.get("/compliance/", response={200: ComplianceBoardOut, **ERRORS})
def compliance_board(request, org: int | None = None, period: str | None = None):
    """Red, amber and green per branch of ``org``'s subtree for ``period`` (2026, 2026-Q3 or
    2026-11; default: this quarter)."""
    return compliance.board(request.auth, org=_pk(org), period=period)


@router.get("/compliance/branch", response={200: ComplianceBranchOut, **ERRORS})
def compliance_branch(request, org: int, period: str | None = None):
    """One branch item by item: requirements, members' attendance, record quality."""
    return compliance.branch_detail(request.auth, org=_pk(org), period=period)


# --- the member's own -------------------------------------------------------------------------------


@router.get("/my/sessions/", response={200: SessionPage, **ERRORS})
def my_sessions(request, upcoming: bool = False):
    return paginate(
        request,
        selectors.with_counts(selectors.my_sessions(request.auth, upcoming=upcoming)),
        session_out,
    )


def my_attendance_out(a: Attendance) -> dict:
    out = attendance_out(a)
    out.update(
        {
            "session_id": a.session_id,
            "topic": a.session.topic,
            "org_name": a.session.org.name,
            "session_type": a.session.session_type,
            "session_type_label": label(SessionType, a.session.session_type),
            "starts_at": _iso(a.session.starts_at),
        }
    )
    return out


@router.get("/my/attendance/", response={200: MyAttendancePage, **ERRORS})
def my_attendance(request):
    qs = selectors.my_attendance(request.auth)
    out = paginate(request, qs, my_attendance_out)
    held = qs.filter(session__state=SessionState.HELD).exclude(session__quorum_ok=False)
    total = held.exclude(status=AttendanceStatus.LEAVE, leave_approved=True).count()
    present = held.filter(status=AttendanceStatus.PRESENT).count()
    out["rate"] = compliance._rate(present, total)
    return out


__all__ = ["router", "scope"]
