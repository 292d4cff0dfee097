"""Mobile members (流动党员) under /api/v1/members/mobile/."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from dangjian.core.api import ERRORS, Schema, paginate
from dangjian.core.api import ref as _ref
from dangjian.core.apidates import RecordedDate
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.members import selectors, services
from dangjian.members.api.schemas import MobileOut, mobile_out
from dangjian.members.models import (
    Member,
    MobileRegistration,
    MobileReport,
)
from dangjian.organizations.models import PartyOrg

router = Router(tags=["党员"])

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
