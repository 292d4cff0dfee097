"""党员中心户 and 楼栋长 under /api/v1/members/unit-roles/."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from dangjian.core.api import ERRORS, Schema, paginate
from dangjian.core.api import ref as _ref
from dangjian.core.apidates import RecordedDate
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.members import selectors, services
from dangjian.members.models import (
    Member,
    UnitRole,
)
from dangjian.territory.models import Area

router = Router(tags=["党员"])


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
