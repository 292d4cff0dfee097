"""API of the disciplinary sanctions on a member: ``/api/v1/members/{id}/sanctions``."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils import timezone
from ninja import Router

from dangjian.core.api import ERRORS, Schema, iso, paginate
from dangjian.core.apidates import PlannedDate, RecordedDate
from dangjian.core.ids import pk_or_404
from dangjian.core.scope import scoped_object
from dangjian.core.treeapi import page_schema
from dangjian.members import sanctions, selectors
from dangjian.members.models import Member
from dangjian.members.models.sanctions import Sanction, SanctionKind
from dangjian.members.services import sanctions as sanction_services

router = Router(tags=["党员"])


class SanctionIn(Schema):
    kind: str
    decided_on: RecordedDate | None = None
    starts_on: PlannedDate | None = None
    ends_on: PlannedDate | None = None
    document_number: str = ""
    decided_by: str = ""
    reason: str = ""


class RevokeIn(Schema):
    revoked_on: RecordedDate | None = None
    reason: str = ""


class SanctionOut(Schema):
    id: int
    member_id: int
    kind: str
    kind_label: str
    decided_on: dt.date
    starts_on: dt.date | None
    ends_on: dt.date | None
    document_number: str
    decided_by: str
    reason: str
    recorded_by_name: str
    revoked_on: dt.date | None
    revoke_reason: str
    in_force: bool
    created_at: str


def sanction_out(s: Sanction, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    in_force = not (s.revoked_on and s.revoked_on <= today) and (
        s.kind != SanctionKind.PROBATION or s.starts_on <= today <= s.ends_on
    )
    return {
        "id": s.pk,
        "member_id": s.member_id,
        "kind": s.kind,
        "kind_label": s.get_kind_display(),
        "decided_on": s.decided_on,
        "starts_on": s.starts_on,
        "ends_on": s.ends_on,
        "document_number": s.document_number,
        "decided_by": s.decided_by,
        "reason": s.reason,
        "recorded_by_name": s.recorded_by_name,
        "revoked_on": s.revoked_on,
        "revoke_reason": s.revoke_reason,
        "in_force": in_force,
        "created_at": iso(s.created_at),
    }


@router.get("/{int:member_id}/sanctions", response={200: page_schema(SanctionOut), **ERRORS})
@scoped_object("member_id", selectors.member_get)
def list_sanctions(request, member):
    """The member's sanctions, latest decision first (``members.view`` on the file)."""
    return paginate(request, sanctions.sanction_list(request.auth, member), sanction_out)


@router.post("/{int:member_id}/sanctions", response={200: SanctionOut, **ERRORS})
def record_sanction(request, member_id: int, data: SanctionIn):
    """Record a sanction (``members.manage``): 留党察看 needs ``starts_on`` and ``ends_on``
    (one or two years); 开除党籍 sets the member's status to 已出党."""
    s = sanction_services.sanction_record(
        actor=request.auth, member=Member(pk=pk_or_404(member_id)), **data.dict()
    )
    return sanction_out(s)


@router.post(
    "/{int:member_id}/sanctions/{int:sanction_id}/revoke",
    response={200: SanctionOut, **ERRORS},
)
def revoke_sanction(request, member_id: int, sanction_id: int, data: RevokeIn):
    """Revoke a sanction (on appeal or review) from ``revoked_on`` (today by default)."""
    sid = pk_or_404(sanction_id)
    if not Sanction.objects.filter(pk=sid, member_id=pk_or_404(member_id)).exists():
        raise Http404
    s = sanction_services.sanction_revoke(
        actor=request.auth,
        sanction=Sanction(pk=sid),
        revoked_on=data.revoked_on,
        reason=data.reason,
    )
    return sanction_out(s)
