"""The member registry under /api/v1/members/ and its statistics under /api/v1/stats/members.

Thin: parse, call a selector or a service, serialize. Personal data is masked in every answer;
``/{id}/reveal`` shows one whole value to whom may see it, audited.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from dangjian.accounts.models import User
from dangjian.core import files, pii
from dangjian.core.api import ERRORS, ErrorOut, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.api import ref as _ref
from dangjian.core.apidates import BirthDate, PlannedDate, RecordedDate
from dangjian.core.crypto import mask
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.members import excel, jobs, selectors, services
from dangjian.members.models import (
    TRANSFER_FLOW,
    Cadre,
    Category,
    CommunityCheckin,
    JobKind,
    Member,
    MemberJob,
    MemberTransfer,
    MentorPair,
    MobileRegistration,
    MobileReport,
    ReserveCadre,
    UnitRole,
    transfer_action_label,
    years_between,
)
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

router = Router(tags=["党员"])
stats_router = Router(tags=["统计"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _hours(value: Decimal) -> str:
    return f"{value:.1f}"


# --- schemas -----------------------------------------------------------------------------------


class Labelled(Schema):
    code: str
    label: str


class MemberOut(Schema):
    id: int
    name: str
    gender: str
    gender_label: str
    ethnicity: str
    ethnicity_label: str
    birth_date: dt.date
    age: int
    id_number: str
    phone: str
    education: str
    education_label: str
    occupation: str
    occupation_label: str
    work_unit: str
    joined_on: dt.date
    confirmed_on: dt.date | None
    party_age: int | None
    status: str
    status_label: str
    suspended_on: dt.date | None
    categories: list[Labelled]
    org_id: int
    org_name: str
    unit_id: int | None
    unit_name: str | None
    user_id: int | None
    has_photo: bool
    left_on: dt.date | None
    created_at: str
    updated_at: str


def member_out(m: Member) -> dict:
    today = timezone.localdate()
    return {
        "id": m.pk,
        "name": m.name,
        "gender": m.gender,
        "gender_label": m.get_gender_display(),
        "ethnicity": m.ethnicity,
        "ethnicity_label": m.get_ethnicity_display(),
        "birth_date": m.birth_date,
        "age": m.age(today),
        "id_number": mask("id_number", m.id_number),
        "phone": mask("phone", m.phone),
        "education": m.education,
        "education_label": m.get_education_display() if m.education else "",
        "occupation": m.occupation,
        "occupation_label": m.get_occupation_display() if m.occupation else "",
        "work_unit": m.work_unit,
        "joined_on": m.joined_on,
        "confirmed_on": m.confirmed_on,
        "party_age": m.party_age(today),
        "status": m.status,
        "status_label": m.get_status_display(),
        "suspended_on": m.suspended_on,
        "categories": [{"code": c, "label": str(Category(c).label)} for c in m.category_codes()],
        "org_id": m.org_id,
        "org_name": m.org.name,
        "unit_id": m.unit_id,
        "unit_name": m.unit.name if m.unit_id else None,
        "user_id": m.user_id,
        "has_photo": bool(m.photo_id),
        "left_on": m.left_on,
        "created_at": _iso(m.created_at),
        "updated_at": _iso(m.updated_at),
    }


class CheckinBrief(Schema):
    id: int
    community_id: int
    community_name: str
    reported_on: dt.date
    service_hours: str


class MobileOut(Schema):
    id: int
    member_id: int
    member_name: str
    destination: str
    fixed_place: bool
    left_on: dt.date
    contact_phone: str
    card_number: str
    card_issuer_id: int | None
    card_issuer_name: str | None
    host_org_id: int | None
    host_org_name: str
    last_contact_on: dt.date
    last_report_on: dt.date | None
    active: bool
    ended_on: dt.date | None
    warnings: list[Labelled]


def mobile_out(r: MobileRegistration) -> dict:
    return {
        "id": r.pk,
        "member_id": r.member_id,
        "member_name": r.member.name,
        "destination": r.destination,
        "fixed_place": r.fixed_place,
        "left_on": r.left_on,
        "contact_phone": mask("phone", r.contact_phone),
        "card_number": r.card_number,
        "card_issuer_id": r.card_issuer_id,
        "card_issuer_name": r.card_issuer.name if r.card_issuer_id else None,
        "host_org_id": r.host_org_id,
        "host_org_name": r.host_org_name,
        "last_contact_on": r.last_contact_on,
        "last_report_on": r.last_report_on,
        "active": r.active,
        "ended_on": r.ended_on,
        "warnings": [
            {"code": c, "label": selectors.WARNING_LABELS[c]} for c in selectors.warnings_of(r)
        ],
    }


class StepOut(Schema):
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor_name: str
    note: str
    at: str


class TransferOut(Schema):
    id: int
    member_id: int
    member_name: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    from_org_id: int | None
    from_org_name: str
    to_org_id: int | None
    to_org_name: str
    letter_number: str
    reason: str
    created_at: str
    completed_at: str | None
    actions: list[Labelled]
    history: list[StepOut]


def transfer_out(t: MemberTransfer) -> dict:
    flow = TRANSFER_FLOW.get(t.kind, {})
    return {
        "id": t.pk,
        "member_id": t.member_id,
        "member_name": t.member_name,
        "kind": t.kind,
        "kind_label": t.get_kind_display(),
        "state": t.state,
        "state_label": t.get_state_display(),
        "from_org_id": t.from_org_id,
        "from_org_name": t.from_org_name,
        "to_org_id": t.to_org_id,
        "to_org_name": t.to_org_name,
        "letter_number": t.letter_number,
        "reason": t.reason,
        "created_at": _iso(t.created_at),
        "completed_at": _iso(t.completed_at),
        "actions": [{"code": a, "label": m.label} for a, m in flow.items() if t.state in m.sources],
        "history": [
            {
                "action": s.action,
                "action_label": transfer_action_label(t.kind, s.action),
                "from_state": s.from_state,
                "to_state": s.to_state,
                "actor_name": s.actor_name,
                "note": s.note,
                "at": _iso(s.at),
            }
            for s in t.steps.all()
        ],
    }


class MemberDetailOut(MemberOut):
    checkins: list[CheckinBrief]
    mobile: list[MobileOut]
    transfers: list[TransferOut]


class MemberFilters(Schema):
    org: int | None = None
    area: int | None = None
    category: str | None = None
    status: str | None = None
    age_band: str | None = None
    education: str | None = None
    occupation: str | None = None
    gender: str | None = None
    ethnicity: str | None = None
    join_year: int | None = None
    q: str | None = None
    include_left: bool = False

    def selector_args(self) -> dict:
        args = self.dict()
        args["org"], args["area"] = _pk(args["org"]), _pk(args["area"])
        return args


class ListParams(MemberFilters):
    page: int = 1
    page_size: int = 20


class ExportParams(MemberFilters):
    reveal: bool = False


class MemberIn(Schema):
    org_id: int | None = None
    name: str = ""
    gender: str = ""
    ethnicity: str = ""
    birth_date: BirthDate | None = None
    id_number: str = ""
    phone: str = ""
    education: str = ""
    occupation: str = ""
    work_unit: str = ""
    joined_on: RecordedDate | None = None
    confirmed_on: RecordedDate | None = None
    status: str = ""
    categories: list[str] = []
    unit_id: int | None = None
    user_id: int | None = None
    transfer_letter_number: str = ""
    transfer_from_name: str = ""


class MemberPatch(Schema):
    name: str | None = None
    gender: str | None = None
    ethnicity: str | None = None
    birth_date: BirthDate | None = None
    id_number: str | None = None
    phone: str | None = None
    education: str | None = None
    occupation: str | None = None
    work_unit: str | None = None
    joined_on: RecordedDate | None = None
    confirmed_on: RecordedDate | None = None
    status: str | None = None
    suspended_on: dt.date | None = None
    categories: list[str] | None = None
    unit_id: int | None = None
    user_id: int | None = None
    org_id: int | None = None


class RevealOut(Schema):
    field: str
    value: str


# --- the registry ------------------------------------------------------------------------------


@router.get("/", response={200: page_schema(MemberOut), **ERRORS})
def list_members(request, params: Query[ListParams]):
    args = params.dict()
    args.pop("page"), args.pop("page_size")
    qs = selectors.member_list(request.auth, **MemberFilters(**args).selector_args())
    return paginate(request, qs, member_out)


@router.post("/", response={200: MemberOut, **ERRORS})
def create_member(request, data: MemberIn):
    member = services.member_create(
        actor=request.auth,
        org=_ref(PartyOrg, data.org_id),
        name=data.name,
        status=data.status,
        joined_on=data.joined_on,
        gender=data.gender,
        ethnicity=data.ethnicity,
        birth_date=data.birth_date,
        id_number=data.id_number,
        phone=data.phone,
        education=data.education,
        occupation=data.occupation,
        work_unit=data.work_unit,
        confirmed_on=data.confirmed_on,
        categories=data.categories,
        unit=_ref(Area, data.unit_id),
        user=_ref(User, data.user_id),
        transfer_letter_number=data.transfer_letter_number,
        transfer_from_name=data.transfer_from_name,
    )
    return member_out(selectors.member_get(request.auth, member.pk))


@router.get("/{int:member_id}", response={200: MemberDetailOut, **ERRORS})
def member_detail(request, member_id: int):
    member = selectors.member_get(request.auth, _pk(member_id))
    extras = selectors.member_detail_extras(request.auth, member)
    out = member_out(member)
    out["checkins"] = [
        {
            "id": c.pk,
            "community_id": c.community_id,
            "community_name": c.community.name,
            "reported_on": c.reported_on,
            "service_hours": _hours(c.service_hours),
        }
        for c in extras["checkins"]
    ]
    for r in extras["mobile"]:
        r.member = member
    out["mobile"] = [mobile_out(r) for r in extras["mobile"]]
    out["transfers"] = [transfer_out(t) for t in extras["transfers"]]
    return out


@router.patch("/{int:member_id}", response={200: MemberOut, **ERRORS})
def update_member(request, member_id: int, data: MemberPatch):
    changes = data.dict(exclude_unset=True)
    if "org_id" in changes:
        raise ValidationError({"org_id": ["所在党组织须通过组织关系转接变更"]})
    for key, model, name in (("unit_id", Area, "unit"), ("user_id", User, "user")):
        if key in changes:
            changes[name] = _ref(model, changes.pop(key))
    for key in (
        "categories",
        "name",
        "gender",
        "ethnicity",
        "id_number",
        "phone",
        "education",
        "occupation",
        "work_unit",
        "status",
    ):
        if key in changes and changes[key] is None:
            changes[key] = [] if key == "categories" else ""
    services.member_update(actor=request.auth, member=Member(pk=_pk(member_id)), **changes)
    return member_out(selectors.member_get(request.auth, member_id))


@router.get("/{int:member_id}/reveal", response={200: RevealOut, **ERRORS})
def reveal(request, member_id: int, field: str):
    """The whole ID number or phone number: needs ``members.reveal_pii``; audited."""
    if field not in ("id_number", "phone"):
        raise ValidationError({"field": ["只能查看id_number（身份证号码）或phone（手机号码）"]})
    member = selectors.member_get(request.auth, _pk(member_id))
    return {
        "field": field,
        "value": pii.reveal(
            actor=request.auth, obj=member, field=field, action="members.reveal_pii"
        ),
    }


@router.get("/{int:member_id}/photo", response={200: None, **ERRORS})
def photo(request, member_id: int):
    """The member's photo, only to whom may see the file."""
    member = selectors.member_get(request.auth, _pk(member_id))
    if not member.photo_id:
        raise Http404("未上传照片")
    return files.file_response(member.photo)


@router.post("/{int:member_id}/photo", response={200: MemberOut, **ERRORS})
def upload_photo(request, member_id: int, file: File[UploadedFile] = None):
    """Upload the photo (multipart ``file``): an image of at most 2 MB, checked by content;
    it replaces the one there was (which is deleted)."""
    services.member_set_photo(actor=request.auth, member=Member(pk=_pk(member_id)), upload=file)
    return member_out(selectors.member_get(request.auth, member_id))


@router.delete("/{int:member_id}/photo", response={200: MemberOut, **ERRORS})
def remove_photo(request, member_id: int):
    """Remove the photo (deleted from storage, audited); needs ``members.manage`` on the file
    like the upload. No photo: 409."""
    services.member_remove_photo(actor=request.auth, member=Member(pk=_pk(member_id)))
    return member_out(selectors.member_get(request.auth, member_id))


# --- transfers -----------------------------------------------------------------------------------


class TransferIn(Schema):
    kind: str = "internal"
    to_org_id: int | None = None
    to_org_name: str = ""
    letter_number: str = ""
    reason: str = ""
    note: str = ""


class TransitionIn(Schema):
    action: str
    note: str = ""
    letter_number: str = ""


@router.post("/{int:member_id}/transfers", response={200: TransferOut, **ERRORS})
def request_transfer(request, member_id: int, data: TransferIn):
    transfer = services.transfer_request(
        actor=request.auth,
        member=Member(pk=_pk(member_id)),
        kind=data.kind,
        to_org=_ref(PartyOrg, data.to_org_id),
        to_org_name=data.to_org_name,
        letter_number=data.letter_number,
        reason=data.reason,
        note=data.note,
    )
    return transfer_out(selectors.transfer_get(request.auth, transfer.pk))


@router.get("/transfers/", response={200: page_schema(TransferOut), **ERRORS})
def list_transfers(
    request, state: str | None = None, kind: str | None = None, member: int | None = None
):
    qs = selectors.transfer_list(
        request.auth, state=state, kind=kind, member=_pk(member)
    ).prefetch_related("steps")
    return paginate(request, qs, transfer_out)


def _transfer_answer(request, pk: int) -> dict:
    """A transfer as the user sees it now (after a move too: re-read through the scope)."""
    return transfer_out(selectors.transfer_get(request.auth, _pk(pk)))


@router.get("/transfers/{int:transfer_id}", response={200: TransferOut, **ERRORS})
def transfer_detail(request, transfer_id: int):
    return _transfer_answer(request, transfer_id)


@router.post("/transfers/{int:transfer_id}/transitions", response={200: TransferOut, **ERRORS})
def transfer_transition(request, transfer_id: int, data: TransitionIn):
    moved = services.transfer_transition(
        actor=request.auth,
        transfer=MemberTransfer(pk=_pk(transfer_id)),
        **data.dict(include={"action", "note", "letter_number"}),
    )
    return _transfer_answer(request, moved.pk)


# --- community check-in ----------------------------------------------------------------------------


class CheckinIn(Schema):
    community_id: int | None = None
    reported_on: RecordedDate | None = None
    work_unit: str | None = None


class OrgCheckinIn(Schema):
    community_id: int | None = None
    reported_on: RecordedDate | None = None


class ServiceIn(Schema):
    served_on: RecordedDate | None = None
    content: str = ""
    hours: Decimal | None = None


class ServiceOut(Schema):
    served_on: dt.date
    content: str
    hours: str


class CheckinOut(Schema):
    """What the community sees: the name, the unit and the service record; not the file."""

    id: int
    kind: str
    kind_label: str
    name: str
    work_unit: str
    community_id: int
    community_name: str
    reported_on: dt.date
    service_hours: str


class CheckinDetailOut(CheckinOut):
    services: list[ServiceOut]


def checkin_out(c: CommunityCheckin) -> dict:
    return {
        "id": c.pk,
        "kind": c.kind,
        "kind_label": "党员报到" if c.kind == "member" else "党组织报到",
        "name": c.name,
        "work_unit": c.work_unit,
        "community_id": c.community_id,
        "community_name": c.community.name,
        "reported_on": c.reported_on,
        "service_hours": _hours(c.service_hours),
    }


def checkin_detail_out(c: CommunityCheckin) -> dict:
    return checkin_out(c) | {
        "services": [
            {"served_on": s.served_on, "content": s.content, "hours": _hours(s.hours)}
            for s in c.services.all()
        ]
    }


@router.post("/{int:member_id}/checkins", response={200: CheckinDetailOut, **ERRORS})
def checkin_member(request, member_id: int, data: CheckinIn):
    checkin = services.member_checkin(
        actor=request.auth,
        member=Member(pk=_pk(member_id)),
        community=_ref(Area, data.community_id),
        reported_on=data.reported_on,
        work_unit=data.work_unit,
    )
    return checkin_detail_out(checkin)


@router.post("/checkins/orgs/{int:org_id}", response={200: CheckinDetailOut, **ERRORS})
def checkin_org(request, org_id: int, data: OrgCheckinIn):
    checkin = services.org_checkin(
        actor=request.auth,
        org=PartyOrg(pk=_pk(org_id)),
        community=_ref(Area, data.community_id),
        reported_on=data.reported_on,
    )
    return checkin_detail_out(checkin)


@router.get("/checkins/", response={200: page_schema(CheckinOut), **ERRORS})
def list_checkins(
    request, community: int | None = None, kind: str | None = None, q: str | None = None
):
    return paginate(
        request,
        selectors.checkin_list(request.auth, community=_pk(community), kind=kind, q=q),
        checkin_out,
    )


def _checkin_answer(request, pk: int) -> dict:
    return checkin_detail_out(selectors.checkin_get(request.auth, _pk(pk)))


@router.get("/checkins/{int:checkin_id}", response={200: CheckinDetailOut, **ERRORS})
def checkin_detail(request, checkin_id: int):
    return _checkin_answer(request, checkin_id)


@router.post("/checkins/{int:checkin_id}/services", response={200: CheckinDetailOut, **ERRORS})
def checkin_service(request, checkin_id: int, data: ServiceIn):
    """The community records a service given by the member or branch (hours, content)."""
    record = services.checkin_service_record(
        actor=request.auth, checkin=CommunityCheckin(pk=_pk(checkin_id)), **data.dict()
    )
    return _checkin_answer(request, record.checkin_id)


# --- mobile members -------------------------------------------------------------------------------


class MobileIn(Schema):
    destination: str = ""
    left_on: RecordedDate | None = None
    fixed_place: bool = False
    contact_phone: str = ""
    card_number: str = ""
    card_issuer_id: int | None = None
    host_org_id: int | None = None
    host_org_name: str = ""
    last_contact_on: RecordedDate | None = None


class MobileReportIn(Schema):
    kind: str = MobileReport.Kind.REPORT
    on: RecordedDate | None = None
    content: str = ""


class MobileEndIn(Schema):
    ended_on: RecordedDate | None = None


class WarningOut(Schema):
    id: int
    member_id: int
    member_name: str
    code: str
    label: str
    destination: str
    left_on: dt.date
    last_contact_on: dt.date
    last_report_on: dt.date | None


@router.post("/{int:member_id}/mobile", response={200: MobileOut, **ERRORS})
def register_mobile(request, member_id: int, data: MobileIn):
    reg = services.member_register_mobile(
        actor=request.auth,
        member=Member(pk=_pk(member_id)),
        destination=data.destination,
        left_on=data.left_on,
        fixed_place=data.fixed_place,
        contact_phone=data.contact_phone,
        card_number=data.card_number,
        card_issuer=_ref(PartyOrg, data.card_issuer_id),
        host_org=_ref(PartyOrg, data.host_org_id),
        host_org_name=data.host_org_name,
        last_contact_on=data.last_contact_on,
    )
    return mobile_out(selectors.mobile_get(request.auth, reg.pk))


@router.get("/mobile/", response={200: page_schema(MobileOut), **ERRORS})
def list_mobile(
    request, active: bool | None = True, warning: str | None = None, member: int | None = None
):
    return paginate(
        request,
        selectors.mobile_list(request.auth, active=active, warning=warning, member=_pk(member)),
        mobile_out,
    )


@router.get("/mobile/warnings", response={200: page_schema(WarningOut), **ERRORS})
def mobile_warnings(request):
    """Out of contact for 6 months (and 2 more years), no report home for a year, away 6
    months at a fixed place (transfer the membership)."""
    rows = selectors.mobile_warnings(request.auth)
    items = [
        {
            "id": w["registration"].pk,
            "member_id": w["registration"].member_id,
            "member_name": w["registration"].member.name,
            "code": w["code"],
            "label": w["label"],
            "destination": w["registration"].destination,
            "left_on": w["registration"].left_on,
            "last_contact_on": w["registration"].last_contact_on,
            "last_report_on": w["registration"].last_report_on,
        }
        for w in rows
    ]
    return {"items": items, "count": len(items)}


@router.get("/mobile/{int:registration_id}", response={200: MobileOut, **ERRORS})
def mobile_detail(request, registration_id: int):
    return mobile_out(selectors.mobile_get(request.auth, _pk(registration_id)))


@router.post("/mobile/{int:registration_id}/reports", response={200: MobileOut, **ERRORS})
def mobile_report(request, registration_id: int, data: MobileReportIn):
    services.mobile_report(
        actor=request.auth,
        registration=MobileRegistration(pk=_pk(registration_id)),
        kind=data.kind,
        on=data.on,
        content=data.content,
    )
    return mobile_out(selectors.mobile_get(request.auth, registration_id))


@router.post("/mobile/{int:registration_id}/end", response={200: MobileOut, **ERRORS})
def mobile_end(request, registration_id: int, data: MobileEndIn):
    services.mobile_end(
        actor=request.auth,
        registration=MobileRegistration(pk=_pk(registration_id)),
        ended_on=data.ended_on,
    )
    return mobile_out(selectors.mobile_get(request.auth, registration_id))


# --- Excel ---------------------------------------------------------------------------------------


class ImportColumnOut(Schema):
    key: str
    header: str
    required: bool
    aliases: list[str]
    help: str
    options: list[str]


class ImportInfoOut(Schema):
    columns: list[ImportColumnOut]
    modes: list[Labelled]
    max_rows: int
    background_rows: int
    background_bytes: int


class ImportErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportReportOut(Schema):
    created: int
    total: int
    bad_rows: int
    mode: str
    detail: str
    errors: list[ImportErrorOut]
    ignored_columns: list[str]
    created_ids: list[int]


@router.get("/import", response={200: ImportInfoOut, **ERRORS})
def import_info(request):
    """The columns an import understands, with their aliases: what a client needs to match
    the columns of a user's file (send the matching as ``columns`` with the upload)."""
    return {
        "columns": [
            {
                "key": c.key,
                "header": c.header,
                "required": c.required,
                "aliases": list(c.aliases),
                "help": c.help,
                "options": c.options(),
            }
            for c in excel.COLUMNS
        ],
        "modes": [
            {"code": "all_or_nothing", "label": "全部成功才导入"},
            {"code": "skip_bad", "label": "跳过错误行"},
        ],
        # ``POST /import`` takes up to ``max_rows`` in the request; ``POST /imports/`` runs in
        # the background, and the console sends files over these thresholds there.
        "max_rows": excel.MAX_IMPORT_ROWS,
        "background_rows": jobs.background_rows(),
        "background_bytes": jobs.background_bytes(),
    }


@router.get("/import/template", response={200: None, **ERRORS})
def import_template(request):
    response = HttpResponse(excel.template_bytes(), content_type=XLSX)
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%85%9A%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


@router.post("/import", response={200: ImportReportOut, **ERRORS})
def import_members(
    request,
    file: File[UploadedFile] = None,
    mode: Form[str] = "all_or_nothing",
    columns: Form[str] = "",
):
    """Upload an .xlsx (multipart ``file``); ``mode``: ``all_or_nothing`` or ``skip_bad``;
    ``columns``: optional JSON object mapping the file's column names to ours."""
    mapping = {}
    if columns.strip():
        try:
            mapping = json.loads(columns)
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise ValidationError(
                {"columns": ['列对应关系应为JSON对象，如{"公民身份号码": "身份证号"}']}
            )
    if file is None:
        raise ValidationError({"file": ["请上传Excel文件（.xlsx）"]})
    if file.size > excel.MAX_IMPORT_BYTES:
        raise ValidationError({"file": ["文件不能超过10MB，请拆分后分批导入"]})
    return services.members_import(
        actor=request.auth, content=file.read(), mode=mode, columns=mapping
    )


@router.get("/export", response={200: None, **ERRORS})
def export_members(request, params: Query[ExportParams]):
    """The filtered list as .xlsx (same filters as the list); masked unless ``reveal=true``
    and the user may reveal; audited; the exporter's name in the file."""
    args = params.dict()
    reveal_all = args.pop("reveal")
    content, _count = services.members_export(
        actor=request.auth, filters=MemberFilters(**args).selector_args(), reveal=reveal_all
    )
    response = HttpResponse(content, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''%E5%85%9A%E5%91%98%E5%90%8D%E5%86%8C-{stamp}.xlsx"
    )
    return response


# --- background imports and exports ---------------------------------------------------------------


class JobOut(Schema):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    stage: str
    stage_label: str
    rows_done: int
    rows_total: int
    percent: int
    finished: bool
    detail: str
    mode: str
    reveal: bool
    report: dict
    file_name: str | None
    file_url: str | None
    created_at: str
    started_at: str | None
    heartbeat_at: str | None
    stale: bool
    finished_at: str | None
    can_cancel: bool
    cancel_requested: bool
    cancelled_by_name: str | None
    cancelled_at: str | None
    file_expired: bool
    files_expired_at: str | None


class ExportJobIn(MemberFilters):
    reveal: bool = False


def job_out(job: MemberJob) -> dict:
    url = None
    if job.result_id or (job.kind == JobKind.EXPORT and job.files_expired_at is not None):
        # An expired workbook keeps its address: the download answers 410 with the reason.
        url = f"/api/v1/members/{job.kind}s/{job.pk}/file"
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": job.get_kind_display(),
        "state": job.state,
        "state_label": job.get_state_display(),
        "stage": job.stage,
        "stage_label": jobs.stage_label(job),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "finished": job.finished,
        "detail": job.detail,
        "mode": job.mode,
        "reveal": job.reveal,
        "report": job.report or {},
        "file_name": job.result.name if job.result_id else None,
        "file_url": url,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "heartbeat_at": _iso(job.heartbeat_at),
        "stale": jobs.is_stale(job),
        "finished_at": _iso(job.finished_at),
        "can_cancel": jobs.can_cancel(job),
        "cancel_requested": job.cancel_requested_at is not None,
        "cancelled_by_name": job.cancelled_by_name or None,
        "cancelled_at": _iso(job.cancelled_at),
        "file_expired": job.files_expired_at is not None,
        "files_expired_at": _iso(job.files_expired_at),
    }


def _cancel(request, job_id: int, kind: str) -> dict:
    job = jobs.job_get(request.auth, _pk(job_id), kind)
    return job_out(jobs.job_cancel(actor=request.auth, job=job))


@router.post("/imports/", response={200: JobOut, **ERRORS})
def start_import(
    request,
    file: File[UploadedFile] = None,
    mode: Form[str] = "all_or_nothing",
    columns: Form[str] = "",
):
    """Import in the background, whatever the size: the file is stored, the job queued;
    answers the job (poll ``GET /imports/{id}`` for its progress and its report)."""
    job = jobs.import_job_start(actor=request.auth, upload=file, mode=mode, columns=columns)
    return job_out(jobs.job_get(request.auth, job.pk))


@router.get("/imports/", response={200: page_schema(JobOut), **ERRORS})
def list_imports(request):
    return paginate(request, jobs.job_list(request.auth, kind=JobKind.IMPORT), job_out)


@router.get("/imports/{int:job_id}", response={200: JobOut, **ERRORS})
def import_job(request, job_id: int):
    return job_out(jobs.job_get(request.auth, _pk(job_id), JobKind.IMPORT))


@router.post("/imports/{int:job_id}/cancel", response={200: JobOut, **ERRORS})
def cancel_import(request, job_id: int):
    """Cancel a queued or running import: a queued one at once (``state`` "cancelled"); a
    running one stops at its next batch (``cancel_requested``, then "cancelled") with nothing
    imported. An ended job: 409."""
    return _cancel(request, job_id, JobKind.IMPORT)


@router.post("/exports/", response={200: JobOut, **ERRORS})
def start_export(request, data: ExportJobIn):
    """Export in the background (same filters as the list, ``reveal`` as the export);
    answers the job; the workbook is at ``file_url`` once it is done."""
    args = data.dict()
    reveal_all = args.pop("reveal")
    job = jobs.export_job_start(
        actor=request.auth, filters=MemberFilters(**args).selector_args(), reveal=reveal_all
    )
    return job_out(jobs.job_get(request.auth, job.pk))


@router.get("/exports/", response={200: page_schema(JobOut), **ERRORS})
def list_exports(request):
    return paginate(request, jobs.job_list(request.auth, kind=JobKind.EXPORT), job_out)


@router.get("/exports/{int:job_id}", response={200: JobOut, **ERRORS})
def export_job(request, job_id: int):
    return job_out(jobs.job_get(request.auth, _pk(job_id), JobKind.EXPORT))


@router.post("/exports/{int:job_id}/cancel", response={200: JobOut, **ERRORS})
def cancel_export(request, job_id: int):
    """Cancel a queued or running export (as an import's cancel); an ended job: 409."""
    return _cancel(request, job_id, JobKind.EXPORT)


@router.get("/exports/{int:job_id}/file", response={200: None, 410: ErrorOut, **ERRORS})
def export_job_file(request, job_id: int):
    """The workbook; 410 once the retention sweep has removed it."""
    job = jobs.job_get(request.auth, _pk(job_id), JobKind.EXPORT)
    if job.files_expired_at is not None:
        raise HttpError(410, jobs.file_expired_message(job))
    if not job.result_id:
        raise Http404("文件尚未生成")
    return files.file_response(job.result, as_attachment=True)


# --- statistics --------------------------------------------------------------------------------------


class CountOut(Schema):
    code: str
    label: str
    count: int


class NodeOut(Schema):
    type: str
    id: int
    name: str


class StatsOut(Schema):
    node: NodeOut | None
    as_of: dt.date
    total: int
    by_status: list[CountOut]
    by_gender: list[CountOut]
    by_ethnicity: list[CountOut]
    by_age_band: list[CountOut]
    by_education: list[CountOut]
    by_occupation: list[CountOut]
    by_category: list[CountOut]
    by_join_period: list[CountOut]


@stats_router.get("/members", response={200: StatsOut, **ERRORS})
def member_stats(request, org: int | None = None, area: int | None = None):
    """Counts for a node of either tree (``org=ID`` or ``area=ID``; neither: everything the
    user may see)."""
    return selectors.member_stats(request.auth, org=_pk(org), area=_pk(area))


# --- village and community cadres (两委干部) ----------------------------------------------------


class CadreOut(Schema):
    id: int
    name: str
    member_id: int | None
    area_id: int
    area_name: str
    committee: str
    committee_label: str
    position: str
    position_label: str
    one_shoulder: bool
    cross_holding: bool
    party_member: bool
    gender: str
    gender_label: str
    birth_date: dt.date
    age: int
    education: str
    education_label: str
    college: bool
    term_start: dt.date
    term_end: dt.date
    ended_on: dt.date | None
    serving: bool
    created_at: str
    updated_at: str


def cadre_out(c: Cadre) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "member_id": c.member_id,
        "area_id": c.area_id,
        "area_name": c.area.name,
        "committee": c.committee,
        "committee_label": c.get_committee_display(),
        "position": c.position,
        "position_label": c.get_position_display(),
        "one_shoulder": c.one_shoulder,
        "cross_holding": c.cross_holding,
        "party_member": c.party_member,
        "gender": c.gender,
        "gender_label": c.get_gender_display(),
        "birth_date": c.birth_date,
        "age": c.age(),
        "education": c.education,
        "education_label": c.get_education_display(),
        "college": c.college,
        "term_start": c.term_start,
        "term_end": c.term_end,
        "ended_on": c.ended_on,
        "serving": c.ended_on is None,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
    }


class CadreListParams(Schema):
    area: int | None = None
    committee: str | None = None
    position: str | None = None
    education: str | None = None
    one_shoulder: bool | None = None
    cross_holding: bool | None = None
    college: bool | None = None
    serving: bool | None = True
    q: str | None = None
    page: int = 1
    page_size: int = 20


class CadreIn(Schema):
    area_id: int | None = None
    committee: str = ""
    position: str = ""
    name: str = ""
    member_id: int | None = None
    one_shoulder: bool = False
    cross_holding: bool = False
    party_member: bool | None = None
    gender: str = ""
    birth_date: BirthDate | None = None
    education: str = ""
    term_start: PlannedDate | None = None
    term_end: PlannedDate | None = None


class CadrePatch(Schema):
    committee: str | None = None
    position: str | None = None
    name: str | None = None
    member_id: int | None = None
    one_shoulder: bool | None = None
    cross_holding: bool | None = None
    party_member: bool | None = None
    gender: str | None = None
    birth_date: BirthDate | None = None
    education: str | None = None
    term_start: PlannedDate | None = None
    term_end: PlannedDate | None = None
    ended_on: RecordedDate | None = None
    area_id: int | None = None


@router.get("/cadres/", response={200: page_schema(CadreOut), **ERRORS})
def list_cadres(request, params: Query[CadreListParams]):
    """Village and community two-committee cadres (scoped by the village's area)."""
    args = params.dict()
    args.pop("page"), args.pop("page_size")
    args["area"] = _pk(args["area"])
    return paginate(request, selectors.cadre_list(request.auth, **args), cadre_out)


@router.post("/cadres/", response={200: CadreOut, **ERRORS})
def create_cadre(request, data: CadreIn):
    cadre = services.cadre_create(
        actor=request.auth,
        area=_ref(Area, data.area_id),
        committee=data.committee,
        position=data.position,
        name=data.name,
        member=_ref(Member, data.member_id),
        one_shoulder=data.one_shoulder,
        cross_holding=data.cross_holding,
        party_member=data.party_member,
        gender=data.gender,
        birth_date=data.birth_date,
        education=data.education,
        term_start=data.term_start,
        term_end=data.term_end,
    )
    return cadre_out(selectors.cadre_get(request.auth, cadre.pk))


@router.get("/cadres/{int:cadre_id}", response={200: CadreOut, **ERRORS})
def cadre_detail(request, cadre_id: int):
    return cadre_out(selectors.cadre_get(request.auth, _pk(cadre_id)))


@router.patch("/cadres/{int:cadre_id}", response={200: CadreOut, **ERRORS})
def update_cadre(request, cadre_id: int, data: CadrePatch):
    """Change a seat; ``ended_on`` records that the cadre left."""
    changes = data.dict(exclude_unset=True)
    if "area_id" in changes:
        changes["area"] = changes.pop("area_id")
    if "member_id" in changes:
        changes["member"] = _ref(Member, changes.pop("member_id"))
    for key in ("committee", "position", "name", "gender", "education"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    for key in ("one_shoulder", "cross_holding"):
        if key in changes and changes[key] is None:
            changes[key] = False
    services.cadre_update(actor=request.auth, cadre=Cadre(pk=_pk(cadre_id)), **changes)
    return cadre_out(selectors.cadre_get(request.auth, cadre_id))


class ReserveOut(Schema):
    id: int
    name: str
    member_id: int | None
    area_id: int
    area_name: str
    gender: str
    gender_label: str
    birth_date: dt.date
    age: int
    education: str
    education_label: str
    intended_position: str
    intended_position_label: str
    added_on: dt.date
    ended_on: dt.date | None


def reserve_out(r: ReserveCadre) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "member_id": r.member_id,
        "area_id": r.area_id,
        "area_name": r.area.name,
        "gender": r.gender,
        "gender_label": r.get_gender_display(),
        "birth_date": r.birth_date,
        "age": years_between(r.birth_date, timezone.localdate()),
        "education": r.education,
        "education_label": r.get_education_display(),
        "intended_position": r.intended_position,
        "intended_position_label": r.get_intended_position_display() if r.intended_position else "",
        "added_on": r.added_on,
        "ended_on": r.ended_on,
    }


class ReserveIn(Schema):
    area_id: int | None = None
    name: str = ""
    member_id: int | None = None
    gender: str = ""
    birth_date: BirthDate | None = None
    education: str = ""
    intended_position: str = ""
    added_on: RecordedDate | None = None


@router.get("/cadres/reserves/", response={200: page_schema(ReserveOut), **ERRORS})
def list_reserves(
    request, area: int | None = None, serving: bool | None = True, q: str | None = None
):
    """Reserve cadres (后备干部)."""
    return paginate(
        request,
        selectors.reserve_cadre_list(request.auth, area=_pk(area), serving=serving, q=q),
        reserve_out,
    )


@router.post("/cadres/reserves/", response={200: ReserveOut, **ERRORS})
def create_reserve(request, data: ReserveIn):
    reserve = services.reserve_cadre_create(
        actor=request.auth,
        area=_ref(Area, data.area_id),
        name=data.name,
        member=_ref(Member, data.member_id),
        gender=data.gender,
        birth_date=data.birth_date,
        education=data.education,
        intended_position=data.intended_position,
        added_on=data.added_on,
    )
    return reserve_out(selectors.reserve_cadre_get(request.auth, reserve.pk))


class MentorPairOut(Schema):
    id: int
    mentor_id: int
    mentor_name: str
    mentee_id: int
    mentee_name: str
    started_on: dt.date
    ended_on: dt.date | None
    goal: str


def mentor_pair_out(p: MentorPair) -> dict:
    return {
        "id": p.pk,
        "mentor_id": p.mentor_id,
        "mentor_name": p.mentor.name,
        "mentee_id": p.mentee_id,
        "mentee_name": p.mentee.name,
        "started_on": p.started_on,
        "ended_on": p.ended_on,
        "goal": p.goal,
    }


class MentorPairIn(Schema):
    mentor_id: int | None = None
    mentee_id: int | None = None
    started_on: PlannedDate | None = None
    goal: str = ""


@router.get("/cadres/mentorships/", response={200: page_schema(MentorPairOut), **ERRORS})
def list_mentorships(request, area: int | None = None, active: bool | None = True):
    """Mentor pairs (导师帮带)."""
    return paginate(
        request,
        selectors.mentor_pair_list(request.auth, area=_pk(area), active=active),
        mentor_pair_out,
    )


@router.post("/cadres/mentorships/", response={200: MentorPairOut, **ERRORS})
def create_mentorship(request, data: MentorPairIn):
    pair = services.mentor_pair_create(
        actor=request.auth,
        mentor=_ref(Cadre, data.mentor_id),
        mentee=_ref(ReserveCadre, data.mentee_id),
        started_on=data.started_on,
        goal=data.goal,
    )
    return mentor_pair_out(selectors.mentor_pair_get(request.auth, pair.pk))


# --- 党员中心户 and 楼栋长 -----------------------------------------------------------------------


class UnitRoleOut(Schema):
    id: int
    member_id: int
    member_name: str
    unit_id: int
    unit_name: str
    role: str
    role_label: str
    since: dt.date
    households: int
    ended_on: dt.date | None


def unit_role_out(r: UnitRole) -> dict:
    return {
        "id": r.pk,
        "member_id": r.member_id,
        "member_name": r.member_name,
        "unit_id": r.unit_id,
        "unit_name": r.unit.name,
        "role": r.role,
        "role_label": r.get_role_display(),
        "since": r.since,
        "households": r.households,
        "ended_on": r.ended_on,
    }


class UnitRoleIn(Schema):
    member_id: int | None = None
    unit_id: int | None = None
    role: str = ""
    since: RecordedDate | None = None
    households: int | None = None


class UnitRoleEndIn(Schema):
    ended_on: RecordedDate | None = None


@router.get("/unit-roles/", response={200: page_schema(UnitRoleOut), **ERRORS})
def list_unit_roles(
    request, area: int | None = None, role: str | None = None, serving: bool | None = True
):
    """党员中心户 and 楼栋长 (scoped by the unit's area)."""
    return paginate(
        request,
        selectors.unit_role_list(request.auth, area=_pk(area), role=role, serving=serving),
        unit_role_out,
    )


@router.post("/unit-roles/", response={200: UnitRoleOut, **ERRORS})
def assign_unit_role(request, data: UnitRoleIn):
    assigned = services.unit_role_assign(
        actor=request.auth,
        member=_ref(Member, data.member_id),
        unit=_ref(Area, data.unit_id),
        role=data.role,
        since=data.since,
        households=data.households,
    )
    return unit_role_out(selectors.unit_role_get(request.auth, assigned.pk))


@router.post("/unit-roles/{int:role_id}/end", response={200: UnitRoleOut, **ERRORS})
def end_unit_role(request, role_id: int, data: UnitRoleEndIn):
    services.unit_role_end(
        actor=request.auth, role=UnitRole(pk=_pk(role_id)), ended_on=data.ended_on
    )
    return unit_role_out(selectors.unit_role_get(request.auth, role_id))


# --- cadre statistics ----------------------------------------------------------------------------


class TargetOut(Schema):
    code: str
    label: str
    target: float
    actual: float | None
    met: bool


class CadreStatsOut(Schema):
    node: NodeOut | None
    as_of: dt.date
    cadres: int
    villages: int
    secretaries: int
    average_age: float | None
    by_age_band: list[CountOut]
    by_committee: list[CountOut]
    women: int
    women_share: float | None
    college: int
    college_share: float | None
    secretary_college: int
    secretary_college_share: float | None
    one_shoulder: int
    one_shoulder_rate: float | None
    cross_holding: int
    cross_holding_rate: float | None
    party_members: int
    reserve_cadres: int
    mentor_pairs: int
    targets: list[TargetOut]


@stats_router.get("/cadres", response={200: CadreStatsOut, **ERRORS})
def cadre_stats(request, area: int | None = None):
    """The structure of the serving two-committee cadres under an Area node (``area=ID``;
    none: everything the user may see): average age, age bands, women, college degree or
    above, 一肩挑 and 交叉任职 rates, against the targets (settings ``CADRE_TARGETS``)."""
    return selectors.cadre_stats(request.auth, area=_pk(area))
