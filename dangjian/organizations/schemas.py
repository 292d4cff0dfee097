"""Typed inputs and outputs of the party tree's API (``organizations.api``)."""

from __future__ import annotations

import datetime as dt

from dangjian.core.api import Schema
from dangjian.core.apidates import PlannedDate, RecordedDate


class OrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    form: str
    form_label: str
    domain: str
    domain_label: str
    path: str
    parent_id: int | None
    child_count: int
    area_id: int
    area_name: str
    credit_code: str
    founding_full_members: int | None
    project_name: str
    ends_on: dt.date | None
    dissolved_on: dt.date | None
    # Members on the roll in the organization's subtree (its groups' count for their branch).
    member_count: int
    full_member_count: int


class JointUnitOut(Schema):
    name: str
    credit_code: str
    full_members: int


class VillageOut(Schema):
    id: int
    name: str


class ResidentUnitMemberOut(Schema):
    unit_name: str
    person_name: str
    post: str
    full_time: bool
    starts_on: dt.date | None
    ends_on: dt.date | None


class KindChangeOut(Schema):
    from_kind: str
    from_kind_label: str
    to_kind: str
    to_kind_label: str
    changed_on: dt.date
    reason: str
    member_count: int
    full_member_count: int


class OrgWarningOut(Schema):
    code: str
    message: str
    count: int


class OrgDetailOut(OrgOut):
    code: str
    contact_phone: str  # masked
    established_on: dt.date | None
    term_years: int | None
    credit_code_override_reason: str
    dissolved_reason: str
    joint_units: list[JointUnitOut]
    villages: list[VillageOut]
    resident_unit_members: list[ResidentUnitMemberOut]
    kind_changes: list[KindChangeOut]
    warnings: list[OrgWarningOut]


class JointUnitIn(Schema):
    name: str
    full_members: int
    credit_code: str = ""


class ResidentUnitMemberIn(Schema):
    unit_name: str
    person_name: str
    post: str
    full_time: bool = False
    starts_on: RecordedDate | None = None
    ends_on: PlannedDate | None = None


class OrgFormFieldsIn(Schema):
    founding_full_members: int | None = None
    project_name: str | None = None
    ends_on: PlannedDate | None = None
    joint_units: list[JointUnitIn] | None = None
    villages: list[int] | None = None
    resident_unit_members: list[ResidentUnitMemberIn] | None = None


class OrgCreateIn(OrgFormFieldsIn):
    parent_id: int | None = None
    area_id: int
    name: str
    kind: str
    domain: str
    form: str = "regular"
    code: str = ""
    contact_phone: str = ""
    established_on: RecordedDate | None = None
    term_years: int | None = None
    credit_code: str = ""
    credit_code_override: bool = False
    credit_code_override_reason: str = ""


class OrgUpdateIn(OrgFormFieldsIn):
    area_id: int | None = None
    name: str | None = None
    domain: str | None = None
    form: str | None = None
    code: str | None = None
    contact_phone: str | None = None
    established_on: RecordedDate | None = None
    term_years: int | None = None
    credit_code: str | None = None
    credit_code_override: bool | None = None
    credit_code_override_reason: str | None = None


class ChangeKindIn(Schema):
    kind: str
    reason: str = ""
    changed_on: RecordedDate | None = None


class DissolveIn(Schema):
    reason: str
    dissolved_on: RecordedDate | None = None


class MoveIn(Schema):
    parent_id: int


class OrgImportErrorOut(Schema):
    row: int
    column: str
    message: str


class OrgImportReportOut(Schema):
    created: int
    total: int
    bad_rows: int
    mode: str
    detail: str
    errors: list[OrgImportErrorOut]
    ignored_columns: list[str]
    created_ids: list[int]
