"""The typed answers of the orglife API that are not a session or an attendance row: validity,
ratings, photos, plans, bases, the compliance board and the member's own attendance."""

from __future__ import annotations

from typing import Any

from dangjian.core.api import Schema


class CheckOut(Schema):
    code: str
    label: str
    ok: bool
    message: str


class ValidityOut(Schema):
    valid: bool
    message: str
    checks: list[CheckOut]


class SessionValidityOut(ValidityOut):
    session_type: str
    session_type_label: str
    entitled: int
    present: int
    excused: int
    committee_seats: int
    committee_present: int
    committee_recorded: bool
    quorum_ok: bool | None
    quorum_note: str
    counted: bool


class JointOrgOut(Schema):
    id: int
    name: str


class VoteOut(Schema):
    id: int
    kind: str
    kind_label: str
    subject: str
    yes: int
    no: int
    abstain: int
    entitled: int
    present: int
    excused: int
    passed: bool


class QualityElementOut(Schema):
    code: str
    label: str
    ok: bool
    rule: str


class QualityOut(Schema):
    ok: bool
    score: int
    elements: list[QualityElementOut]
    ratings: int
    rating_avg: str | None


class PhotoOut(Schema):
    id: int
    name: str
    url: str


class RatingOut(Schema):
    id: int
    score: int
    comment: str


class StoredPhotoOut(Schema):
    id: int
    name: str
    size: int


class PlanItemOut(Schema):
    id: int
    plan_id: int
    session_type: str
    session_type_label: str
    month: int
    topic: str
    base_id: int | None


class PlanOut(Schema):
    id: int
    org_id: int
    org_name: str
    year: int
    quarter: int | None
    title: str
    note: str
    items: list[PlanItemOut]


class PlanPage(Schema):
    items: list[PlanOut]
    count: int


class ActivityOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    hours: str
    description: str


class OrglifeBaseOut(Schema):
    id: int
    name: str
    org_id: int
    org_name: str
    area_id: int
    area_name: str
    address: str
    capacity: int
    is_open: bool
    description: str
    activities: list[ActivityOut]


class OrglifeBasePage(Schema):
    items: list[OrglifeBaseOut]
    count: int


class ColourTotals(Schema):
    green: int
    amber: int
    red: int


class BranchRowOut(Schema):
    """One branch's standing; the items missed or held without quorum differ in shape (a
    secretary's lesson has no tallies), so they stay objects."""

    org_id: int
    org_name: str
    colour: str
    colour_label: str
    done: int
    due: int
    missed: int
    missing: list[dict[str, Any]]
    invalid: int
    invalid_items: list[dict[str, Any]]
    full_members: int
    attendance_rate: str | None
    rating_avg: str | None
    ratings: int
    secretary_lesson: dict[str, Any]


class ComplianceBoardOut(Schema):
    period: str
    period_label: str
    today: str
    totals: ColourTotals
    branches: list[BranchRowOut]


class MemberAttendanceRateOut(Schema):
    member_id: int | None
    name: str
    sessions: int
    present: int
    approved_leave: int
    absent: int
    rate: str | None


class BranchSessionOut(Schema):
    id: int
    topic: str
    org_name: str
    session_type: str
    session_type_label: str
    state: str
    state_label: str
    starts_at: str
    quality: QualityOut
    quorum_ok: bool | None
    quorum_note: str
    counted: bool


class BranchDetailRowOut(BranchRowOut):
    items: list[dict[str, Any]]
    members: list[MemberAttendanceRateOut]
    sessions: list[BranchSessionOut]
    quality_rate: str | None


class ComplianceBranchOut(Schema):
    period: str
    period_label: str
    branch: BranchDetailRowOut


class MyAttendanceOut(Schema):
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
    session_id: int
    topic: str
    org_name: str
    session_type: str
    session_type_label: str
    starts_at: str


class MyAttendancePage(Schema):
    items: list[MyAttendanceOut]
    count: int
    rate: str | None
