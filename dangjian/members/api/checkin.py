"""Community check-in (双报到) under /api/v1/members/checkins/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Router

from dangjian.core.api import ERRORS, Schema, paginate
from dangjian.core.api import ref as _ref
from dangjian.core.apidates import RecordedDate
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.members import selectors, services
from dangjian.members.api.schemas import _hours
from dangjian.members.models import (
    CommunityCheckin,
    Member,
)
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

router = Router(tags=["党员"])

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
