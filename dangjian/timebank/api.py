"""The time bank under /api/v1/timebank/: orders and their moves, teams, the talent roster,
stations, riders, hours. Thin: parse, call a selector or a service, serialize. Hours as decimal
strings with two places."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from ninja import Query, Router

from dangjian.accounts.models import User
from dangjian.core import scope, workflow
from dangjian.core.api import ERRORS, AllowedActionOut, Schema, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.apidates import FilterDate, PlannedDateTime
from dangjian.core.crypto import mask
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.territory.models import Area
from dangjian.timebank import flow, riders, selectors, services
from dangjian.timebank.models import (
    Order,
    OrderState,
    Participation,
    Rider,
    ServiceClass,
    Station,
    StationKind,
    TalentOffer,
    VolunteerTeam,
)

router = Router(tags=["时间银行"])


def _hours(value) -> str:
    return f"{value:.2f}"


def _int(name: str, value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return _pk(int(value))
    except (TypeError, ValueError):
        raise ValidationError({name: [f"{name}应为整数编号"]}) from None


def _ref(model, name: str, value):
    """The unsaved ``model`` instance a body's ``name`` id names (None when none is given):
    the service looks it up and checks the caller's reach."""
    pk = _int(name, value)
    return model(pk=pk) if pk else None


def _listed(request, selector, out, params: dict | None = None, *, choices=None):
    """One page of ``selector(request.auth, **filters)`` serialized by ``out`` (every list
    route of this router). The filters are the query's ``params``: one named ``x`` holding an
    id reaches the selector as ``x_id`` (below 1 reads 404); one in ``choices`` (name ->
    (label, choices)) must hold one of its values or be empty."""
    filters = {}
    for name, value in (params or {}).items():
        if name in (choices or {}):
            label, allowed = choices[name]
            if value and value not in allowed.values:
                raise ValidationError({name: [f"{label}（{name}）取值无效"]})
            filters[name] = value
        elif name in ID_FILTERS:
            filters[f"{name}_id"] = _pk(value) if value is not None else None
        else:
            filters[name] = value
    return paginate(request, selector(request.auth, **filters), out)


ID_FILTERS = ("community", "station")


# --- orders ----------------------------------------------------------------------------------------


class TbParticipationOut(Schema):
    id: int
    user_id: int
    name: str
    state: str
    state_label: str
    accepted_at: str | None
    check_in_at: str | None
    check_out_at: str | None
    hours: str
    confirmed_at: str | None


class TbStepOut(Schema):
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor_name: str
    note: str
    at: str | None


class TbOrderOut(Schema):
    id: int
    no: str
    service_class: str
    service_class_label: str
    description: str
    state: str
    state_label: str
    community_id: int
    community_name: str
    area_id: int
    area_name: str
    starts_at: str | None
    ends_at: str | None
    helpers_wanted: int
    accepted_count: int
    team_id: int | None
    team_name: str | None
    open_to_checked_in: bool
    talent_id: int | None
    requester_name: str
    created_at: str | None


class TbOrderDetailOut(TbOrderOut):
    place: str
    rating: int | None
    rating_comment: str
    cancel_reason: str
    participations: list[TbParticipationOut]
    history: list[TbStepOut]
    allowed_actions: list[AllowedActionOut]


def order_out(o: Order) -> dict:
    return {
        "id": o.pk,
        "no": o.no,
        "service_class": o.service_class,
        "service_class_label": o.get_service_class_display(),
        "description": o.description,
        "state": o.state,
        "state_label": o.get_state_display(),
        "community_id": o.community_id,
        "community_name": o.community.name,
        "area_id": o.area_id,
        "area_name": o.area.name,
        "starts_at": _iso(o.starts_at),
        "ends_at": _iso(o.ends_at),
        "helpers_wanted": o.helpers_wanted,
        "accepted_count": o.accepted_count,
        "team_id": o.team_id,
        "team_name": o.team.name if o.team_id else None,
        "open_to_checked_in": o.open_to_checked_in,
        "talent_id": o.talent_id,
        "requester_name": o.requester_name,
        "created_at": _iso(o.created_at),
    }


def participation_out(p: Participation) -> dict:
    return {
        "id": p.pk,
        "user_id": p.user_id,
        "name": p.name,
        "state": p.state,
        "state_label": p.get_state_display(),
        "accepted_at": _iso(p.accepted_at),
        "check_in_at": _iso(p.check_in_at),
        "check_out_at": _iso(p.check_out_at),
        "hours": _hours(p.hours),
        "confirmed_at": _iso(p.confirmed_at),
    }


def may_read_place(user, o: Order) -> bool:
    """The place (an address) is read in full by the resident, the helpers on the order and
    staff over it; others it is open to see it masked until they accept."""
    if user.pk == o.requester_id:
        return True
    if any(p.user_id == user.pk for p in o.participations.all()):
        return True
    return flow._covers(user, "volunteering.view", o)


def order_detail_out(user, o: Order) -> dict:
    return {
        **order_out(o),
        "place": o.place if may_read_place(user, o) else mask("address", o.place),
        "rating": o.rating,
        "rating_comment": o.rating_comment,
        "cancel_reason": o.cancel_reason,
        "participations": [participation_out(p) for p in o.participations.all()],
        "history": [
            {
                "action": s.action,
                "action_label": flow.ACTION_LABELS.get(s.action, s.action),
                "from_state": s.from_state,
                "to_state": s.to_state,
                "actor_name": s.actor_name,
                "note": s.note,
                "at": _iso(s.at),
            }
            for s in o.steps.all()
        ],
        "allowed_actions": workflow.allowed_actions(flow.ORDER, user, o),
    }


class TbOrderParams(Schema):
    state: str = ""
    community: int | None = None
    mine: bool = False
    available: bool = False


@router.get("/orders/", response={200: page_schema(TbOrderOut), **ERRORS})
def list_orders(request, params: Query[TbOrderParams]):
    """Orders the caller reaches; ``available`` the ones open to the caller to accept now,
    ``mine`` the ones they ordered or took part in."""
    if params.available:
        return _listed(request, selectors.orders_to_accept, order_out)
    filters = params.dict(exclude={"available"})
    return _listed(request, selectors.orders, order_out, filters, choices=ORDER_CHOICES)


ORDER_CHOICES = {"state": ("状态", OrderState)}


class TbOrderIn(Schema):
    service_class: Any = None
    description: str = ""
    place: str = ""
    starts_at: PlannedDateTime | None = None
    ends_at: PlannedDateTime | None = None
    helpers_wanted: Any = 1
    area_id: int | None = None
    talent_id: int | None = None


@router.post("/orders/", response={200: TbOrderDetailOut, **ERRORS})
def create_order(request, data: TbOrderIn):
    """A resident orders a service (群众点单) in their grid; with ``talent_id`` a booking of a
    talent from the community's roster (能人榜), open to that talent at once."""
    o = services.order_create(
        actor=request.auth,
        service_class=data.service_class,
        description=data.description,
        place=data.place,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        helpers_wanted=data.helpers_wanted,
        area=_ref(Area, "area_id", data.area_id),
        talent=_ref(TalentOffer, "talent_id", data.talent_id),
    )
    return order_detail_out(request.auth, selectors.order_detail(request.auth, o.pk))


@router.get("/orders/{int:order_id}", response={200: TbOrderDetailOut, **ERRORS})
def get_order(request, order_id: int):
    return order_detail_out(request.auth, selectors.order_detail(request.auth, _pk(order_id)))


class TbTransitionIn(Schema):
    action: Any = None
    note: str = ""
    team_id: Any = None
    open_to_checked_in: bool = True
    lat: Any = None
    lng: Any = None
    rating: Any = None
    comment: str = ""
    participation_id: Any = None


@router.post("/orders/{int:order_id}/transitions", response={200: TbOrderDetailOut, **ERRORS})
def order_transition(request, order_id: int, data: TbTransitionIn):
    """``dispatch`` (community: ``team_id`` or ``open_to_checked_in``), ``accept`` (a helper
    it is open to), ``check_in`` / ``check_out`` (``lat``, ``lng`` optional), ``withdraw``
    (with a note), ``no_show`` (``participation_id``), ``confirm`` (the resident: ``rating``
    1–5, ``comment``), ``cancel`` (resident or community, with a note)."""
    fields = data.dict()
    action = fields.pop("action")
    note = fields.pop("note")
    o = services.order_transition(
        actor=request.auth, order=Order(pk=_pk(order_id)), action=action, note=note, **fields
    )
    return order_detail_out(request.auth, selectors.order_detail(request.auth, o.pk))


class TbCorrectionIn(Schema):
    hours: Any = None
    reason: str = ""


@router.post(
    "/participations/{int:participation_id}/corrections",
    response={200: TbParticipationOut, **ERRORS},
)
def correct_participation(request, participation_id: int, data: TbCorrectionIn):
    """Correct credited hours: the ledger transaction is reversed and the new hours posted."""
    p = services.participation_correct(
        actor=request.auth,
        participation=Participation(pk=_pk(participation_id)),
        hours=data.hours,
        reason=data.reason,
    )
    return participation_out(p)


# --- hours -----------------------------------------------------------------------------------------


class TbEntryOut(Schema):
    amount: str
    memo: str
    kind: str
    occurred_on: str | None


class TbMyHoursOut(Schema):
    balance: str
    entries: list[TbEntryOut]


@router.get("/hours/me", response={200: TbMyHoursOut, **ERRORS})
def my_hours(request):
    """The caller's own time account (时间账户): balance and latest entries."""
    found = selectors.my_hours(request.auth)
    return {
        "balance": _hours(found["balance"]),
        "entries": [
            {
                "amount": _hours(e["amount"]),
                "memo": e["memo"],
                "kind": e["kind"],
                "occurred_on": _iso(e["occurred_on"]),
            }
            for e in found["entries"]
        ],
    }


class TbHoursParams(Schema):
    by: str = "member"
    since: FilterDate | None = None
    until: FilterDate | None = None
    view: str = "area"
    area: int | None = None


class TbHoursRowOut(Schema):
    key: str
    name: str
    hours: str
    services: int


@router.get("/hours/", response={200: list[TbHoursRowOut], **ERRORS})
def hours_summary(request, params: Query[TbHoursParams]):
    """Confirmed hours per ``by`` (member, team, org, community, work_unit); ``view=org``
    reads through the helpers' organizations (what an employer's branch sees of its members'
    双报到 service) instead of the places served. ``since``/``until``: by the day the service
    ended (签退), the day the time bank's ledger credits the hours on."""
    if params.by not in selectors.GROUPS:
        raise ValidationError({"by": ["分组（by）应为 member、team、org、community 或 work_unit"]})
    if params.view not in ("area", "org"):
        raise ValidationError({"view": ["视角（view）应为 area 或 org"]})
    rows = selectors.hours_summary(
        request.auth,
        by=params.by,
        since=params.since,
        until=params.until,
        org_view=params.view == "org",
        area=_pk(params.area) if params.area is not None else None,
    )
    return [{**r, "hours": _hours(r["hours"])} for r in rows]


# --- teams -----------------------------------------------------------------------------------------


class TbTeamOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    community_id: int
    community_name: str
    description: str
    active: bool
    member_count: int


class TbTeamMemberOut(Schema):
    id: int
    user_id: int
    name: str
    role: str
    role_label: str
    joined_on: str | None


class TbTeamDetailOut(TbTeamOut):
    members: list[TbTeamMemberOut]


def team_out(t: VolunteerTeam) -> dict:
    return {
        "id": t.pk,
        "name": t.name,
        "kind": t.kind,
        "kind_label": t.get_kind_display(),
        "community_id": t.community_id,
        "community_name": t.community.name,
        "description": t.description,
        "active": t.active,
        "member_count": getattr(t, "member_count", None) or t.memberships.count(),
    }


def team_detail_out(t: VolunteerTeam) -> dict:
    members = list(t.memberships.all())
    return {
        **team_out(t),
        "member_count": len(members),
        "members": [
            {
                "id": m.pk,
                "user_id": m.user_id,
                "name": str(m.user),
                "role": m.role,
                "role_label": m.get_role_display(),
                "joined_on": _iso(m.joined_on),
            }
            for m in members
        ],
    }


class TbTeamParams(Schema):
    community: int | None = None


@router.get("/teams/", response={200: page_schema(TbTeamOut), **ERRORS})
def list_teams(request, params: Query[TbTeamParams]):
    return _listed(request, selectors.teams, team_out, params.dict())


class TbTeamIn(Schema):
    community_id: int | None = None
    name: str = ""
    kind: Any = None
    description: str = ""


@router.post("/teams/", response={200: TbTeamDetailOut, **ERRORS})
def create_team(request, data: TbTeamIn):
    t = services.team_create(
        actor=request.auth,
        community=_ref(Area, "community_id", data.community_id),
        name=data.name,
        kind=data.kind,
        description=data.description,
    )
    return team_detail_out(selectors.team_detail(request.auth, t.pk))


@router.get("/teams/{int:team_id}", response={200: TbTeamDetailOut, **ERRORS})
def get_team(request, team_id: int):
    return team_detail_out(selectors.team_detail(request.auth, _pk(team_id)))


class TbTeamMemberIn(Schema):
    user_id: int | None = None
    role: str = "member"


@router.post("/teams/{int:team_id}/members", response={200: TbTeamDetailOut, **ERRORS})
def add_team_member(request, team_id: int, data: TbTeamMemberIn):
    services.team_member_add(
        actor=request.auth,
        team=VolunteerTeam(pk=_pk(team_id)),
        user=_ref(User, "user_id", data.user_id),
        role=data.role,
    )
    return team_detail_out(selectors.team_detail(request.auth, _pk(team_id)))


# --- talent roster -----------------------------------------------------------------------------------


class TbTalentOut(Schema):
    id: int
    name: str
    community_id: int
    community_name: str
    service_class: str
    service_class_label: str
    skill: str
    description: str
    available: str
    active: bool


def talent_out(t: TalentOffer) -> dict:
    return {
        "id": t.pk,
        "name": t.name,
        "community_id": t.community_id,
        "community_name": t.community.name,
        "service_class": t.service_class,
        "service_class_label": t.get_service_class_display(),
        "skill": t.skill,
        "description": t.description,
        "available": t.available,
        "active": t.active,
    }


class TbTalentParams(Schema):
    community: int | None = None
    service_class: str = ""


@router.get("/talents/", response={200: page_schema(TbTalentOut), **ERRORS})
def list_talents(request, params: Query[TbTalentParams]):
    """The talent roster (能人榜): one's own community's, or every one under a staff grant."""
    choices = {"service_class": ("服务类别", ServiceClass)}
    return _listed(request, selectors.talents, talent_out, params.dict(), choices=choices)


class TbTalentIn(Schema):
    service_class: Any = None
    skill: str = ""
    description: str = ""
    available: str = ""


@router.post("/talents/", response={200: TbTalentOut, **ERRORS})
def offer_talent(request, data: TbTalentIn):
    t = services.talent_offer(
        actor=request.auth,
        service_class=data.service_class,
        skill=data.skill,
        description=data.description,
        available=data.available,
    )
    t = TalentOffer.objects.select_related("community").get(pk=t.pk)
    return talent_out(t)


# --- stations and riders -----------------------------------------------------------------------------


class TbStationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    area_id: int
    area_name: str
    location: str
    services: str
    opening_hours: str
    active: bool
    rider_count: int


def station_out(s: Station) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "kind": s.kind,
        "kind_label": s.get_kind_display(),
        "area_id": s.area_id,
        "area_name": s.area.name,
        "location": s.location,
        "services": s.services,
        "opening_hours": s.opening_hours,
        "active": s.active,
        "rider_count": getattr(s, "rider_count", 0),
    }


class TbStationParams(Schema):
    kind: str = ""


@router.get("/stations/", response={200: page_schema(TbStationOut), **ERRORS})
def list_stations(request, params: Query[TbStationParams]):
    choices = {"kind": ("驿站类型", StationKind)}
    return _listed(request, selectors.stations, station_out, params.dict(), choices=choices)


@router.get("/stations/{int:station_id}", response={200: TbStationOut, **ERRORS})
@scope.scoped_object("station_id", selectors.station_detail)
def get_station(request, station: Station):
    return station_out(station)


class TbStationIn(Schema):
    area_id: int | None = None
    name: str = ""
    kind: Any = None
    location: str = ""
    services: str = ""
    opening_hours: str = ""


@router.post("/stations/", response={200: TbStationOut, **ERRORS})
def create_station(request, data: TbStationIn):
    s = riders.station_create(
        actor=request.auth,
        area=_ref(Area, "area_id", data.area_id),
        name=data.name,
        kind=data.kind,
        location=data.location,
        services=data.services,
        opening_hours=data.opening_hours,
    )
    return station_out(selectors.station_detail(request.auth, s.pk))


class TbRiderOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    platform: str
    company: str
    station_id: int
    station_name: str
    is_party_member: bool
    assistant_grid_worker: bool
    registered_at: str | None


def rider_out(r: Rider) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "platform": r.platform,
        "company": r.company,
        "station_id": r.station_id,
        "station_name": r.station.name,
        "is_party_member": r.is_party_member,
        "assistant_grid_worker": r.assistant_grid_worker,
        "registered_at": _iso(r.registered_at),
    }


class TbRiderParams(Schema):
    station: int | None = None


@router.get("/riders/", response={200: page_schema(TbRiderOut), **ERRORS})
def list_riders(request, params: Query[TbRiderParams]):
    return _listed(request, selectors.riders, rider_out, params.dict())


@router.get("/riders/{int:rider_id}", response={200: TbRiderOut, **ERRORS})
@scope.scoped_object("rider_id", selectors.rider_detail)
def get_rider(request, rider: Rider):
    return rider_out(rider)


class TbRiderIn(Schema):
    station_id: int | None = None
    kind: Any = None
    platform: str = ""
    company: str = ""
    is_party_member: bool = False


@router.post("/riders/", response={200: TbRiderOut, **ERRORS})
def register_rider(request, data: TbRiderIn):
    """The caller registers as a courier, rider or driver at a station (驿站)."""
    r = riders.rider_register(
        actor=request.auth,
        station=_ref(Station, "station_id", data.station_id),
        kind=data.kind,
        platform=data.platform,
        company=data.company,
        is_party_member=data.is_party_member,
    )
    return rider_out(r)


class TbAssistantIn(Schema):
    assistant_grid_worker: bool = True


@router.post("/riders/{int:rider_id}/assistant", response={200: TbRiderOut, **ERRORS})
def set_assistant(request, rider_id: int, data: TbAssistantIn):
    """The station's community makes a registered rider an assistant grid worker (兼职网格员),
    who then reports events through the grid-event intake (``/api/v1/cases/events/``)."""
    r = riders.rider_assistant_set(
        actor=request.auth, rider=Rider(pk=_pk(rider_id)), on=data.assistant_grid_worker
    )
    return rider_out(selectors.rider_detail(request.auth, r.pk))
