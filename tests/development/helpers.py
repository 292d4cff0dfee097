"""Builders for the member-development tests: applicants and whole paths through the service."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from dangjian.development import registration, services
from dangjian.development import steps as S
from dangjian.development.models import Applicant
from dangjian.members.models import Member
from tests.members.helpers import id_no
from tests.members.helpers import member as make_member

TZ = ZoneInfo("Asia/Shanghai")
# Tests run "now" on this day unless they travel elsewhere: every path below fits before it.
NOW = dt.date(2030, 6, 1)


def travel(day: dt.date, hour: int = 10):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=TZ), tick=False
    )


def applicant(world, actor=None, org=None, **kw) -> Applicant:
    values = {
        "name": "李申请",
        "ethnicity": "01",
        "id_number": id_no("19950315", 300 + Applicant.objects.count()),
        "phone": "13900139000",
        "work_unit": "龙桥社区居委会",
    }
    values.update(kw)
    return registration.applicant_create(
        actor=actor or world.users["community"],
        org=org or world.orgs["grid_branch"],
        **values,
    )


def full_members(world, n: int, org=None, status: str = "full", prefix: str = "正式党员"):
    out = []
    for _ in range(n):
        seq = 700 + Member.objects.count()
        extra = {}
        if status != "full":
            extra = {"status": status}
            if status == "probationary":
                extra["confirmed_on"] = None
        out.append(
            make_member(
                world.users["admin"],
                org or world.orgs["grid_branch"],
                name=f"{prefix}{seq}",
                id_number=id_no("19700101", seq),
                **extra,
            )
        )
    return out


REVIEW = {k: f"{label}：良好" for k, label in S.REVIEW_ITEMS.items()}


def fields_for(world, number: int, people: dict | None = None) -> dict:
    """Valid fields of step ``number`` (contacts and sponsors from ``people``)."""
    people = people or {}
    if number == 2:
        return {"talker": "王书记"}
    if number == 5:
        return {"contacts": [m.pk for m in people["contacts"]]}
    if number == 9:
        return {"sponsors": [m.pk for m in people["sponsors"]]}
    if number == 10:
        return {
            "review_items": dict(REVIEW),
            "review_passed": True,
            "review_conclusion": "政治审查合格",
        }
    if number == 11:
        return {"training_days": 3, "certificate_number": "PX-2026-001"}
    if number == 14:
        return {"volunteer_book_number": "ZYS-0001"}
    if number in (15, 23):
        return {"entitled": 5, "present": 5, "yes": 5, "no": 0, "abstain": 0}
    if number == 16:
        return {"talker": "县委组织员"}
    if number in (17, 24):
        return {"approving_org_id": world.orgs["county_committee"].pk}
    return {}


def earliest_for(a: Applicant) -> dt.date:
    day, _ = services.earliest_explained(a)
    return day


def walk(world, a: Applicant, upto: int, start: dt.date, people: dict | None = None, actor=None):
    """Take steps ``a.step + 1`` .. ``upto``, each on the earliest day the rules allow (the
    first on ``start``). Runs "now" at ``NOW``."""
    actor = actor or world.users["community"]
    if people is None and upto >= 5:
        members = list(
            Member.objects.filter(org=world.orgs["grid_branch"], status="full").order_by("pk")
        )
        if len(members) < 5:
            members += full_members(world, 5 - len(members))
        people = {"contacts": members[:1], "sponsors": members[1:3]}
    with travel(NOW):
        for n in range(a.step + 1, upto + 1):
            a.refresh_from_db()
            day = start if n == 1 else max(earliest_for(a), a.last_step_on)
            a = services.applicant_transition(
                actor=actor, applicant=a, action=str(n), when=day, **fields_for(world, n, people)
            )
    a.refresh_from_db()
    return a
