"""Household visits (驻点直联) under /api/v1/cases/visits/: teams, records, coverage."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Query, Router

from dangjian.cases.models import VisitTeam
from dangjian.cases.visits import services as visits
from dangjian.core.api import ErrorOut, Schema, paginate
from dangjian.core.apidates import FilterDate, RecordedDate
from dangjian.core.choices import label
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.territory.models import Area, AreaKind, Household

router = Router(tags=["驻点直联"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class VisitPersonOut(Schema):
    id: int
    name: str


class TeamOut(Schema):
    id: int
    name: str
    area_id: int
    area_name: str
    weekday: int | None
    weekday_label: str
    members: list[VisitPersonOut]
    staff: list[VisitPersonOut]
    record_count: int
    active: bool


def _person(u) -> dict:
    return {"id": u.pk, "name": u.real_name or u.username}


def team_out(t: VisitTeam) -> dict:
    return {
        "id": t.pk,
        "name": t.name,
        "area_id": t.area_id,
        "area_name": t.area.name,
        "weekday": t.weekday,
        "weekday_label": visits.WEEKDAYS.get(t.weekday, "") if t.weekday else "",
        "members": [_person(u) for u in t.members.all()],
        "staff": [_person(u) for u in t.staff.all()],
        "record_count": getattr(t, "record_count", 0),
        "active": t.active,
    }


class TeamIn(Schema):
    area_id: int
    name: str = ""
    weekday: int | None = None
    member_ids: list[int] = []
    staff_ids: list[int] = []


class EventBrief(Schema):
    id: int
    state: str
    description: str


class RecordOut(Schema):
    id: int
    team_id: int
    team_name: str
    village_id: int
    village_name: str
    area_id: int
    area_name: str
    household_id: int | None
    household_label: str
    visited_on: dt.date
    week: dt.date
    visitor_name: str
    notes: str
    events: list[EventBrief]
    created_at: str


def record_out(r, reach: tuple[str, ...]) -> dict:
    return {
        "id": r.pk,
        "team_id": r.team_id,
        "team_name": r.team.name,
        "village_id": r.village_id,
        "village_name": r.village.name,
        "area_id": r.area_id,
        "area_name": r.area.name,
        "household_id": r.household_id,
        "household_label": visits.door_shown(r, reach),
        "visited_on": r.visited_on,
        "week": r.week,
        "visitor_name": r.visitor_name,
        "notes": r.notes,
        "events": [
            {"id": e.pk, "state": e.state, "description": e.description[:100]}
            for e in r.events.all()
        ],
        "created_at": timezone.localtime(r.created_at).isoformat(),
    }


class RecordIn(Schema):
    team_id: int
    visited_on: RecordedDate | None = None
    household_id: int | None = None
    area_id: int | None = None
    household_label: str = ""
    notes: str = ""
    requests: list[str] = []
    visitor_ids: list[int] = []


class WeekCell(Schema):
    week: dt.date
    visited: int
    coverage: float | None


class CoverageRow(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    households: int
    weeks: list[WeekCell]


class CoverageOut(Schema):
    items: list[CoverageRow]
    count: int
    weeks: list[dt.date]


class TeamParams(Schema):
    area: int | None = None
    page: int = 1
    page_size: int = 20


class RecordParams(Schema):
    area: int | None = None
    team: int | None = None
    date_from: FilterDate | None = None
    date_to: FilterDate | None = None
    page: int = 1
    page_size: int = 20


class CoverageParams(Schema):
    area: int | None = None
    week: dt.date | None = None  # bounded by visits.coverage_weeks
    weeks: int = 1
    page: int = 1
    page_size: int = 20


@router.get("/teams/", response={200: page_schema(TeamOut), **ERRORS})
def list_teams(request, params: Query[TeamParams]):
    return paginate(request, visits.team_list(request.auth, area=_pk(params.area)), team_out)


@router.post("/teams/", response={200: TeamOut, **ERRORS})
def create_team(request, data: TeamIn):
    team = visits.team_create(
        actor=request.auth,
        area=Area(pk=_pk(data.area_id)),
        name=data.name,
        weekday=data.weekday,
        member_ids=data.member_ids,
        staff_ids=data.staff_ids,
    )
    return team_out(visits.team_get(request.auth, team.pk))


@router.get("/teams/{int:team_id}", response={200: TeamOut, **ERRORS})
def team_detail(request, team_id: int):
    return team_out(visits.team_get(request.auth, _pk(team_id)))


@router.get("/records/", response={200: page_schema(RecordOut), **ERRORS})
def list_records(request, params: Query[RecordParams]):
    qs = visits.record_list(
        request.auth,
        area=_pk(params.area),
        team=_pk(params.team),
        date_from=params.date_from,
        date_to=params.date_to,
    )
    reach = visits.visit_reach(request.auth)
    return paginate(request, qs, lambda r: record_out(r, reach))


@router.post("/records/", response={200: RecordOut, **ERRORS})
def create_record(request, data: RecordIn):
    record = visits.visit_record(
        actor=request.auth,
        team=VisitTeam(pk=_pk(data.team_id)),
        visited_on=data.visited_on,
        household=Household(pk=_pk(data.household_id)) if data.household_id else None,
        area=Area(pk=_pk(data.area_id)) if data.area_id else None,
        household_label=data.household_label,
        notes=data.notes,
        requests=data.requests,
        visitor_ids=data.visitor_ids,
    )
    return record_out(visits.record_get(request.auth, record.pk), visits.visit_reach(request.auth))


@router.get("/records/{int:record_id}", response={200: RecordOut, **ERRORS})
def record_detail(request, record_id: int):
    return record_out(
        visits.record_get(request.auth, _pk(record_id)), visits.visit_reach(request.auth)
    )


@router.get("/coverage/", response={200: CoverageOut, **ERRORS})
def coverage(request, params: Query[CoverageParams]):
    """Households visited / households per village or community and week (Monday to Sunday),
    for the ``weeks`` weeks ending with ``week``'s (this week by default)."""
    weeks = visits.coverage_weeks(params.week, params.weeks)
    qs = visits.coverage_villages(request.auth, area=_pk(params.area))
    page = paginate(request, qs, lambda v: v)
    rows = visits.coverage_rows(page["items"], weeks)
    return {
        "items": [
            {
                "id": r["village"].pk,
                "name": r["village"].name,
                "kind": r["village"].kind,
                "kind_label": label(AreaKind, r["village"].kind),
                "households": r["households"],
                "weeks": r["weeks"],
            }
            for r in rows
        ],
        "count": page["count"],
        "weeks": weeks,
    }
