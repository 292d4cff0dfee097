"""The committee as elected, under /api/v1/orgs/{id}/committee (mounted on the orgs prefix
beside the organizations router): GET the current committee and the past ones, POST a newly
elected one (``committee_services.committee_record``); between elections an approved
postponement and seats ended or filled (``committee_terms``)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from dangjian.core import scope
from dangjian.core.api import ERRORS, Schema
from dangjian.core.apidates import PlannedDate, RecordedDate
from dangjian.core.choices import label
from dangjian.core.downloads import attachment
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.members import (
    committee_import,
    committee_selectors,
    committee_services,
    committee_terms,
)
from dangjian.members.models.committee import CommitteePost, CommitteeStatus, OrgCommittee
from dangjian.organizations.models import PartyOrg

router = Router(tags=["党组织委员会"])


class SeatIn(Schema):
    member_id: int
    post: str
    full_time: bool = False


class CommitteeIn(Schema):
    term_start: PlannedDate
    elected_on: RecordedDate | None = None
    seats: list[SeatIn]


class PostponeIn(Schema):
    postponed_to: PlannedDate
    document_no: str
    document_date: RecordedDate
    reason: str = ""


class SeatAddIn(Schema):
    member_id: int
    post: str
    full_time: bool = False
    starts_on: RecordedDate


class SeatEndIn(Schema):
    ends_on: RecordedDate
    reason: str


def due_out(c: OrgCommittee, today: dt.date) -> dict:
    d = committee_selectors.due_of(c, today)
    return {
        "due_on": d.due_on.isoformat(),
        "days_left": d.days_left,
        "reminder": d.reminder,
        "overdue": d.overdue,
        "due_status": d.code,
        "due_status_label": d.label,
        "postponed_to": c.postponed_to.isoformat() if c.postponed_to else None,
        "postpone_document_no": c.postpone_document_no,
        "postpone_document_date": (
            c.postpone_document_date.isoformat() if c.postpone_document_date else None
        ),
        "postpone_reason": c.postpone_reason,
    }


def vacancy_out(v) -> dict:
    return {
        "secretary_vacant": v.vacant if v else False,
        "secretary_vacant_since": v.since.isoformat() if v and v.since else None,
        "secretary_vacant_days": v.days if v else None,
        "committee_recorded": v.recorded if v else False,
    }


def committee_out(c: OrgCommittee) -> dict:
    return {
        "id": c.pk,
        "org_id": c.org_id,
        "status": c.status,
        "status_label": label(CommitteeStatus, c.status),
        "elected_on": c.elected_on.isoformat(),
        "term_start": c.term_start.isoformat(),
        "term_end": c.term_end.isoformat(),
        "ended_on": c.ended_on.isoformat() if c.ended_on else None,
        "seats": [
            {
                "id": s.pk,
                "member_id": s.member_id,
                "name": s.member_name,
                "post": s.post,
                "post_label": label(CommitteePost, s.post),
                "full_time": s.full_time,
                "starts_on": s.starts_on.isoformat(),
                "ends_on": s.ends_on.isoformat() if s.ends_on else None,
                "end_reason": s.end_reason,
            }
            for s in c.seats.all()
        ],
    }


def _org(user, org_id: int, action: str = committee_services.VIEW) -> PartyOrg:
    return scope.get_visible(
        PartyOrg.objects.defer("contact_phone"),
        user,
        action,
        view_action=committee_services.VIEW,
        pk=_pk(org_id),
    )


def _answer(user, org: PartyOrg, warnings: list[str] | None = None) -> dict:
    today = timezone.localdate()
    rows = committee_selectors.committees_of(user, org)
    current = next((c for c in rows if c.status == CommitteeStatus.CURRENT), None)
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "term_years": committee_services.term_years(org),
        "term_years_source": committee_services.term_source(org),
        "full_members": committee_services.full_member_count(org),
        "current": (committee_out(current) | due_out(current, today)) if current else None,
        "past": [committee_out(c) for c in rows if c.status != CommitteeStatus.CURRENT],
        **vacancy_out(committee_selectors.secretary_vacancy(org, today)),
        "warnings": warnings or [],
    }


@router.get("/{int:org_id}/committee", response={200: dict, **ERRORS})
def committee_get(request, org_id: int):
    """The organization's committee as elected (current and past terms)."""
    return _answer(request.auth, _org(request.auth, org_id))


@router.post("/{int:org_id}/committee", response={201: dict, **ERRORS})
def committee_post(request, org_id: int, data: CommitteeIn):
    """Record a newly elected committee; the current one ends the day before its term."""
    org = _org(request.auth, org_id)
    c = committee_services.committee_record(
        actor=request.auth,
        org=org,
        term_start=data.term_start,
        elected_on=data.elected_on,
        seats=[s.dict() for s in data.seats],
    )
    return Status(201, _answer(request.auth, org, c.warnings))


@router.post("/{int:org_id}/committee/postpone", response={200: dict, **ERRORS})
def committee_postpone(request, org_id: int, data: PostponeIn):
    """Record the approved postponement of the election (at most one year past the term)."""
    org = _org(request.auth, org_id)
    committee_terms.committee_postpone(actor=request.auth, org=org, **data.dict())
    return _answer(request.auth, org)


@router.post("/{int:org_id}/committee/seats", response={201: dict, **ERRORS})
def committee_seat_add(request, org_id: int, data: SeatAddIn):
    """Fill a seat of the serving committee between elections (补选)."""
    org = _org(request.auth, org_id)
    seat = committee_terms.committee_seat_add(actor=request.auth, org=org, **data.dict())
    return Status(201, _answer(request.auth, org, seat.warnings))


@router.post("/{int:org_id}/committee/seats/{int:seat_id}/end", response={200: dict, **ERRORS})
def committee_seat_end(request, org_id: int, seat_id: int, data: SeatEndIn):
    """End a seat of the serving committee before the term does (its reason recorded)."""
    org = _org(request.auth, org_id)
    seat = committee_terms.committee_seat_end(
        actor=request.auth, org=org, seat_id=_pk(seat_id), **data.dict()
    )
    return _answer(request.auth, org, seat.warnings)


# --- committees from Excel -----------------------------------------------------------------


class CommitteeImportRowOut(Schema):
    row: int
    column: str
    message: str


class CommitteeImportOut(Schema):
    mode: str
    total: int
    created: int
    seats: int
    bad_rows: int
    detail: str
    errors: list[CommitteeImportRowOut]
    warnings: list[CommitteeImportRowOut]
    created_ids: list[int]


@router.get("/committees/import/template", response={200: None, **ERRORS})
def committees_import_template(request):
    """The import workbook: the header, an example on the second sheet."""
    return attachment(committee_import.template_bytes(), "委员会导入模板.xlsx")


@router.post("/committees/import", response={200: CommitteeImportOut, **ERRORS})
def committees_import(request, file: File[UploadedFile] = None, mode: Form[str] = "all_or_nothing"):
    """Upload an .xlsx (multipart ``file``), one row per seat; ``mode``: ``all_or_nothing``
    or ``skip_bad``. Organizations are found among those the caller manages."""
    if file is None:
        raise ValidationError({"file": ["请上传Excel文件（.xlsx）"]})
    if file.size > committee_import.MAX_BYTES:
        raise ValidationError({"file": ["文件不能超过5MB，请拆分后分批导入"]})
    return committee_import.committees_import(actor=request.auth, content=file.read(), mode=mode)
