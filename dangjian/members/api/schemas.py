"""Schemas and serializers the member API's routers share: the member, its mobile registration,
its transfers. Personal data is masked in every answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dangjian.core.api import Schema
from dangjian.core.api import iso as _iso
from dangjian.core.apidates import BirthDate, RecordedDate
from dangjian.core.choices import labels
from dangjian.core.crypto import mask
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.members import selectors
from dangjian.members.models import (
    TRANSFER_FLOW,
    Category,
    Education,
    Ethnicity,
    Gender,
    Member,
    MemberTransfer,
    MobileRegistration,
    Occupation,
    Status,
    transfer_action_label,
    years_between,
)

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


# The columns of a member a list page reads as tuples (``members.list_page``), in this order,
# the personal data already masked; ``member_out`` hands ``member_dict`` the same values read
# from a model instance.
MEMBER_FIELDS = (
    "id",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "education",
    "occupation",
    "work_unit",
    "joined_on",
    "confirmed_on",
    "status",
    "suspended_on",
    "org_id",
    "org__name",
    "unit_id",
    "unit__name",
    "user_id",
    "photo_id",
    "left_on",
    "created_at",
    "updated_at",
)


class Facts:
    """What every member's answer of a page reads, looked up once: the day (for the ages), the
    time zone (for the times), the label maps (one language lookup per page instead of five
    per row)."""

    __slots__ = (
        "category",
        "education",
        "ethnicity",
        "gender",
        "occupation",
        "status",
        "today",
        "zone",
    )

    def __init__(self):
        self.today = timezone.localdate()
        self.zone = timezone.get_current_timezone()
        self.gender = labels(Gender)
        self.ethnicity = labels(Ethnicity)
        self.education = labels(Education)
        self.occupation = labels(Occupation)
        self.status = labels(Status)
        self.category = labels(Category)


def _local_iso(value: dt.datetime, zone) -> str:
    """``core.api.iso`` of an aware time, the zone looked up once per page."""
    if timezone.is_naive(value):
        raise ValueError("localtime() cannot be applied to a naive datetime")
    return value.astimezone(zone).isoformat()


def member_dict(row: tuple, categories: list[str], names: Facts) -> dict:
    """A member's answer from the values of ``MEMBER_FIELDS`` (``row``: the personal data
    masked), its category codes in ``Category`` order and the page's ``Facts``."""
    today = names.today
    (
        pk,
        name,
        gender,
        ethnicity,
        birth_date,
        id_number,
        phone,
        education,
        occupation,
        work_unit,
        joined_on,
        confirmed_on,
        status,
        suspended_on,
        org_id,
        org_name,
        unit_id,
        unit_name,
        user_id,
        photo_id,
        left_on,
        created_at,
        updated_at,
    ) = row
    return {
        "id": pk,
        "name": name,
        "gender": gender,
        "gender_label": names.gender.get(gender, gender),
        "ethnicity": ethnicity,
        "ethnicity_label": names.ethnicity.get(ethnicity, ethnicity),
        "birth_date": birth_date,
        "age": years_between(birth_date, today),
        "id_number": id_number,
        "phone": phone,
        "education": education,
        "education_label": names.education.get(education, education) if education else "",
        "occupation": occupation,
        "occupation_label": names.occupation.get(occupation, occupation) if occupation else "",
        "work_unit": work_unit,
        "joined_on": joined_on,
        "confirmed_on": confirmed_on,
        "party_age": years_between(confirmed_on, today) if confirmed_on else None,
        "status": status,
        "status_label": names.status.get(status, status),
        "suspended_on": suspended_on,
        "categories": [{"code": c, "label": names.category.get(c, c)} for c in categories],
        "org_id": org_id,
        "org_name": org_name,
        "unit_id": unit_id,
        "unit_name": unit_name if unit_id else None,
        "user_id": user_id,
        "has_photo": bool(photo_id),
        "left_on": left_on,
        "created_at": _local_iso(created_at, names.zone),
        "updated_at": _local_iso(updated_at, names.zone),
    }


def member_out(m: Member) -> dict:
    row = (
        m.pk,
        m.name,
        m.gender,
        m.ethnicity,
        m.birth_date,
        mask("id_number", m.id_number),
        mask("phone", m.phone),
        m.education,
        m.occupation,
        m.work_unit,
        m.joined_on,
        m.confirmed_on,
        m.status,
        m.suspended_on,
        m.org_id,
        m.org.name,
        m.unit_id,
        m.unit.name if m.unit_id else None,
        m.user_id,
        m.photo_id,
        m.left_on,
        m.created_at,
        m.updated_at,
    )
    return member_dict(row, m.category_codes(), Facts())


def member_rows_out(rows: list[tuple], categories: dict[int, list[str]]) -> list[dict]:
    """``member_out`` of a page of ``MEMBER_FIELDS`` rows (personal data masked);
    ``categories``: each member's codes in ``Category`` order (absent: none)."""
    names = Facts()
    return [member_dict(r, categories.get(r[0], []), names) for r in rows]


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
    org_area: int | None = None
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
        args["org_area"] = _pk(args["org_area"])
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
