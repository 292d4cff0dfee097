"""Writes of the member registry, one module per subdomain; the public service functions are
re-exported here for the many callers that say ``services.member_update``. Constants a test
patches (``IMPORT_BATCH``, ``LOOKUP_CHUNK``...) are patched on their own module."""

from __future__ import annotations

from dangjian.members.services.account_link import member_account_link, member_account_unlink
from dangjian.members.services.checkin import (
    CHECKIN_AREA_KINDS,
    checkin_service_record,
    member_checkin,
    org_checkin,
    residence_community,
)
from dangjian.members.services.exports import check_export, export_org_path, members_export
from dangjian.members.services.fields import (
    ACTIVE_STATUSES,
    CADRE_FIELD_LABELS,
    FIELD_LABELS,
    OWN_FIELDS,
    PHOTO_MAX_BYTES,
    RESIDENCE_MIN_LEVEL,
    clean_member_fields,
    duplicate_message,
)
from dangjian.members.services.imports import IMPORT_MODES, check_import_mode, members_import
from dangjian.members.services.mobile import member_register_mobile, mobile_end, mobile_report
from dangjian.members.services.registry import (
    UPDATABLE,
    can_manage_area,
    can_manage_members_in,
    member_create,
    member_remove_photo,
    member_set_photo,
    member_update,
)
from dangjian.members.services.transfers import (
    TRANSFER_FLOWS,
    transfer_allowed_actions,
    transfer_flow,
    transfer_history,
    transfer_request,
    transfer_transition,
)
from dangjian.members.services.unit_roles import (
    UNIT_ROLE_MAX_HOUSEHOLDS,
    unit_role_assign,
    unit_role_end,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CADRE_FIELD_LABELS",
    "CHECKIN_AREA_KINDS",
    "FIELD_LABELS",
    "IMPORT_MODES",
    "OWN_FIELDS",
    "PHOTO_MAX_BYTES",
    "RESIDENCE_MIN_LEVEL",
    "TRANSFER_FLOWS",
    "UNIT_ROLE_MAX_HOUSEHOLDS",
    "UPDATABLE",
    "can_manage_area",
    "can_manage_members_in",
    "check_export",
    "check_import_mode",
    "checkin_service_record",
    "clean_member_fields",
    "duplicate_message",
    "export_org_path",
    "member_account_link",
    "member_account_unlink",
    "member_checkin",
    "member_create",
    "member_register_mobile",
    "member_remove_photo",
    "member_set_photo",
    "member_update",
    "members_export",
    "members_import",
    "mobile_end",
    "mobile_report",
    "org_checkin",
    "residence_community",
    "transfer_allowed_actions",
    "transfer_flow",
    "transfer_history",
    "transfer_request",
    "transfer_transition",
    "unit_role_assign",
    "unit_role_end",
]
