"""Village and community cadres (两委干部), reserves and mentorships under /api/v1/members/cadres/
(``router``, mounted at /members) and their statistics at /api/v1/stats/cadres (``stats_router``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Query, Router

from dangjian.cadres import selectors, services
from dangjian.cadres.models import Cadre, MentorPair, ReserveCadre
from dangjian.core.api import ERRORS, Schema, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.api import ref as _ref
from dangjian.core.apidates import BirthDate, PlannedDate, RecordedDate
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.members.api.stats import CountOut, NodeOut
from dangjian.members.models import Member, years_between
from dangjian.territory.models import Area

router = Router(tags=["党员"])
stats_router = Router(tags=["统计"])


# --- village and community cadres (两委干部) ----------------------------------------------------


class CadreOut(Schema):
    id: int
    name: str
    member_id: int | None
    area_id: int
    area_name: str
    committee: str
    committee_label: str
    position: str
    position_label: str
    one_shoulder: bool
    cross_holding: bool
    party_member: bool
    gender: str
    gender_label: str
    birth_date: dt.date
    age: int
    education: str
    education_label: str
    college: bool
    term_start: dt.date
    term_end: dt.date
    ended_on: dt.date | None
    serving: bool
    created_at: str
    updated_at: str


def cadre_out(c: Cadre) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "member_id": c.member_id,
        "area_id": c.area_id,
        "area_name": c.area.name,
        "committee": c.committee,
        "committee_label": c.get_committee_display(),
        "position": c.position,
        "position_label": c.get_position_display(),
        "one_shoulder": c.one_shoulder,
        "cross_holding": c.cross_holding,
        "party_member": c.party_member,
        "gender": c.gender,
        "gender_label": c.get_gender_display(),
        "birth_date": c.birth_date,
        "age": c.age(),
        "education": c.education,
        "education_label": c.get_education_display(),
        "college": c.college,
        "term_start": c.term_start,
        "term_end": c.term_end,
        "ended_on": c.ended_on,
        "serving": c.ended_on is None,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
    }


class CadreListParams(Schema):
    area: int | None = None
    committee: str | None = None
    position: str | None = None
    education: str | None = None
    one_shoulder: bool | None = None
    cross_holding: bool | None = None
    college: bool | None = None
    serving: bool | None = True
    q: str | None = None
    page: int = 1
    page_size: int = 20


class CadreIn(Schema):
    area_id: int | None = None
    committee: str = ""
    position: str = ""
    name: str = ""
    member_id: int | None = None
    one_shoulder: bool = False
    cross_holding: bool = False
    party_member: bool | None = None
    gender: str = ""
    birth_date: BirthDate | None = None
    education: str = ""
    term_start: PlannedDate | None = None
    term_end: PlannedDate | None = None


class CadrePatch(Schema):
    committee: str | None = None
    position: str | None = None
    name: str | None = None
    member_id: int | None = None
    one_shoulder: bool | None = None
    cross_holding: bool | None = None
    party_member: bool | None = None
    gender: str | None = None
    birth_date: BirthDate | None = None
    education: str | None = None
    term_start: PlannedDate | None = None
    term_end: PlannedDate | None = None
    ended_on: RecordedDate | None = None
    area_id: int | None = None


@router.get("/cadres/", response={200: page_schema(CadreOut), **ERRORS})
def list_cadres(request, params: Query[CadreListParams]):
    """Village and community two-committee cadres (scoped by the village's area)."""
    args = params.dict()
    args.pop("page"), args.pop("page_size")
    args["area"] = _pk(args["area"])
    return paginate(request, selectors.cadre_list(request.auth, **args), cadre_out)


@router.post("/cadres/", response={200: CadreOut, **ERRORS})
def create_cadre(request, data: CadreIn):
    cadre = services.cadre_create(
        actor=request.auth,
        area=_ref(Area, data.area_id),
        committee=data.committee,
        position=data.position,
        name=data.name,
        member=_ref(Member, data.member_id),
        one_shoulder=data.one_shoulder,
        cross_holding=data.cross_holding,
        party_member=data.party_member,
        gender=data.gender,
        birth_date=data.birth_date,
        education=data.education,
        term_start=data.term_start,
        term_end=data.term_end,
    )
    return cadre_out(selectors.cadre_get(request.auth, cadre.pk))


@router.get("/cadres/{int:cadre_id}", response={200: CadreOut, **ERRORS})
def cadre_detail(request, cadre_id: int):
    return cadre_out(selectors.cadre_get(request.auth, _pk(cadre_id)))


@router.patch("/cadres/{int:cadre_id}", response={200: CadreOut, **ERRORS})
def update_cadre(request, cadre_id: int, data: CadrePatch):
    """Change a seat; ``ended_on`` records that the cadre left."""
    changes = data.dict(exclude_unset=True)
    if "area_id" in changes:
        changes["area"] = changes.pop("area_id")
    if "member_id" in changes:
        changes["member"] = _ref(Member, changes.pop("member_id"))
    for key in ("committee", "position", "name", "gender", "education"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    for key in ("one_shoulder", "cross_holding"):
        if key in changes and changes[key] is None:
            changes[key] = False
    services.cadre_update(actor=request.auth, cadre=Cadre(pk=_pk(cadre_id)), **changes)
    return cadre_out(selectors.cadre_get(request.auth, cadre_id))


class ReserveOut(Schema):
    id: int
    name: str
    member_id: int | None
    area_id: int
    area_name: str
    gender: str
    gender_label: str
    birth_date: dt.date
    age: int
    education: str
    education_label: str
    intended_position: str
    intended_position_label: str
    added_on: dt.date
    ended_on: dt.date | None


def reserve_out(r: ReserveCadre) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "member_id": r.member_id,
        "area_id": r.area_id,
        "area_name": r.area.name,
        "gender": r.gender,
        "gender_label": r.get_gender_display(),
        "birth_date": r.birth_date,
        "age": years_between(r.birth_date, timezone.localdate()),
        "education": r.education,
        "education_label": r.get_education_display(),
        "intended_position": r.intended_position,
        "intended_position_label": r.get_intended_position_display() if r.intended_position else "",
        "added_on": r.added_on,
        "ended_on": r.ended_on,
    }


class ReserveIn(Schema):
    area_id: int | None = None
    name: str = ""
    member_id: int | None = None
    gender: str = ""
    birth_date: BirthDate | None = None
    education: str = ""
    intended_position: str = ""
    added_on: RecordedDate | None = None


@router.get("/cadres/reserves/", response={200: page_schema(ReserveOut), **ERRORS})
def list_reserves(
    request, area: int | None = None, serving: bool | None = True, q: str | None = None
):
    """Reserve cadres (后备干部)."""
    return paginate(
        request,
        selectors.reserve_cadre_list(request.auth, area=_pk(area), serving=serving, q=q),
        reserve_out,
    )


@router.post("/cadres/reserves/", response={200: ReserveOut, **ERRORS})
def create_reserve(request, data: ReserveIn):
    reserve = services.reserve_cadre_create(
        actor=request.auth,
        area=_ref(Area, data.area_id),
        name=data.name,
        member=_ref(Member, data.member_id),
        gender=data.gender,
        birth_date=data.birth_date,
        education=data.education,
        intended_position=data.intended_position,
        added_on=data.added_on,
    )
    return reserve_out(selectors.reserve_cadre_get(request.auth, reserve.pk))


class MentorPairOut(Schema):
    id: int
    mentor_id: int
    mentor_name: str
    mentee_id: int
    mentee_name: str
    started_on: dt.date
    ended_on: dt.date | None
    goal: str


def mentor_pair_out(p: MentorPair) -> dict:
    return {
        "id": p.pk,
        "mentor_id": p.mentor_id,
        "mentor_name": p.mentor.name,
        "mentee_id": p.mentee_id,
        "mentee_name": p.mentee.name,
        "started_on": p.started_on,
        "ended_on": p.ended_on,
        "goal": p.goal,
    }


class MentorPairIn(Schema):
    mentor_id: int | None = None
    mentee_id: int | None = None
    started_on: PlannedDate | None = None
    goal: str = ""


@router.get("/cadres/mentorships/", response={200: page_schema(MentorPairOut), **ERRORS})
def list_mentorships(request, area: int | None = None, active: bool | None = True):
    """Mentor pairs (导师帮带)."""
    return paginate(
        request,
        selectors.mentor_pair_list(request.auth, area=_pk(area), active=active),
        mentor_pair_out,
    )


@router.post("/cadres/mentorships/", response={200: MentorPairOut, **ERRORS})
def create_mentorship(request, data: MentorPairIn):
    pair = services.mentor_pair_create(
        actor=request.auth,
        mentor=_ref(Cadre, data.mentor_id),
        mentee=_ref(ReserveCadre, data.mentee_id),
        started_on=data.started_on,
        goal=data.goal,
    )
    return mentor_pair_out(selectors.mentor_pair_get(request.auth, pair.pk))


# --- cadre statistics ----------------------------------------------------------------------------


class TargetOut(Schema):
    code: str
    label: str
    target: float
    actual: float | None
    met: bool


class CadreStatsOut(Schema):
    node: NodeOut | None
    as_of: dt.date
    cadres: int
    villages: int
    secretaries: int
    average_age: float | None
    by_age_band: list[CountOut]
    by_committee: list[CountOut]
    women: int
    women_share: float | None
    college: int
    college_share: float | None
    secretary_college: int
    secretary_college_share: float | None
    one_shoulder: int
    one_shoulder_rate: float | None
    cross_holding: int
    cross_holding_rate: float | None
    party_members: int
    reserve_cadres: int
    mentor_pairs: int
    targets: list[TargetOut]


@stats_router.get("/cadres", response={200: CadreStatsOut, **ERRORS})
def cadre_stats(request, area: int | None = None):
    """The structure of the serving two-committee cadres under an Area node (``area=ID``;
    none: everything the user may see): average age, age bands, women, college degree or
    above, 一肩挑 and 交叉任职 rates, against the targets (settings ``CADRE_TARGETS``)."""
    return selectors.cadre_stats(request.auth, area=_pk(area))
