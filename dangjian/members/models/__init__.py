"""Party members, one module per subdomain; imported here so Django registers every model.

The registry (党员电子档案) and categories, mobile members (流动党员), community check-in
(双报到), membership transfers (组织关系转接), unit roles, background jobs,
the elected committee and sanctions.
"""

from __future__ import annotations

from dangjian.members.models.checkin import CheckinService, CommunityCheckin
from dangjian.members.models.committee import (
    CommitteePost,
    CommitteeSeat,
    CommitteeStatus,
    OrgCommittee,
)
from dangjian.members.models.jobs import FINISHED_JOB_STATES, JobKind, JobState, MemberJob
from dangjian.members.models.mobile import MobileRegistration, MobileReport
from dangjian.members.models.registry import (
    ETHNIC_GROUPS,
    Category,
    Education,
    Ethnicity,
    Gender,
    Member,
    MemberCategory,
    Occupation,
    Status,
    sorted_categories,
    years_between,
)
from dangjian.members.models.sanctions import Sanction, SanctionKind
from dangjian.members.models.transfers import (
    OPEN_TRANSFER_STATES,
    TRANSFER_ACTION_LABELS,
    TRANSFER_FLOW,
    TRANSFER_STEP_LABELS,
    MemberTransfer,
    TransferKind,
    TransferState,
    TransferStep,
    transfer_action_label,
)
from dangjian.members.models.unit_roles import UnitRole, UnitRoleCode

__all__ = [
    "ETHNIC_GROUPS",
    "FINISHED_JOB_STATES",
    "OPEN_TRANSFER_STATES",
    "TRANSFER_ACTION_LABELS",
    "TRANSFER_FLOW",
    "TRANSFER_STEP_LABELS",
    "Category",
    "CheckinService",
    "CommitteePost",
    "CommitteeSeat",
    "CommitteeStatus",
    "CommunityCheckin",
    "Education",
    "Ethnicity",
    "Gender",
    "JobKind",
    "JobState",
    "Member",
    "MemberCategory",
    "MemberJob",
    "MemberTransfer",
    "MobileRegistration",
    "MobileReport",
    "Occupation",
    "OrgCommittee",
    "Sanction",
    "SanctionKind",
    "Status",
    "TransferKind",
    "TransferState",
    "TransferStep",
    "UnitRole",
    "UnitRoleCode",
    "sorted_categories",
    "transfer_action_label",
    "years_between",
]
