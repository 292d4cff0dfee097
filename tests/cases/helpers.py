"""Builders for the event tests: departments, their users, reports and moves through the
services, the shortest way to bring an event into any state of ``FLOW``, and a visit team."""

from __future__ import annotations

import datetime as dt
from collections import deque
from zoneinfo import ZoneInfo

from dangjian.accounts.models import Department, UserKind
from dangjian.cases import services
from dangjian.cases.models import FLOW, Event, State, VisitTeam
from dangjian.cases.visits import services as visits
from tests import world as world_mod

SH = ZoneInfo("Asia/Shanghai")

# The default departments of the seeded classes, at the first street (龙桥街道); 住建局 at the
# county, as a department above the dispatching street.
STREET_DEPARTMENTS = ("环卫所", "城管执法中队", "市政所", "应急办", "综治中心", "园林所", "民政办")
COUNTY_DEPARTMENTS = ("住建局",)

# Fields each move needs, as a test supplies them.
FIELDS = {
    "cancel": {"note": "不属于网格事件"},
    "return": {"note": "非本部门职责"},
    "request_extension": {"note": "需协调多个部门", "extension_days": 2},
    "refuse_extension": {"note": "时限内可以办结"},
    "finish": {"note": "已清理完毕"},
    "verify_pass": {"resolution": "solved"},
    "verify_fail": {"note": "现场仍有垃圾"},
    "evaluate": {"rating": "satisfied"},
    "escalate": {"note": "街道无法协调"},
    "reopen": {"note": "群众反映问题复发"},
    "chase": {"note": "请加快处置"},
}


def ensure_taxonomy() -> None:
    """The seeded classes, put back when a transactional test's flush emptied the table."""
    import importlib

    from django.apps import apps

    from dangjian.cases.models import EventClass

    if not EventClass.objects.exists():
        importlib.import_module("dangjian.cases.migrations.0002_seed_classes").seed(apps, None)
        importlib.import_module("dangjian.cases.migrations.0008_emergency_same_day").same_day(
            apps, None
        )


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def departments(world) -> dict[str, Department]:
    out = {}
    for name in STREET_DEPARTMENTS:
        out[name] = Department.objects.create(
            name=name, area=world.street, area_path=world.street.path
        )
    for name in COUNTY_DEPARTMENTS:
        out[name] = Department.objects.create(
            name=name, area=world.county, area_path=world.county.path
        )
    return out


def department_user(username: str, department: Department):
    return world_mod.user(
        username, role="department", department=department, kind=UserKind.DEPARTMENT
    )


def report(actor, description="小区门口垃圾堆积如山，已经发臭好几天了", area=None, **kw) -> Event:
    return services.event_create(actor=actor, area=area, description=description, **kw)


def move(actor, event, action, **kw) -> Event:
    return services.event_transition(actor=actor, event=event, action=action, **kw)


def path_to(state: str) -> list[str]:
    """The shortest list of actions from ``collected`` to ``state`` in ``FLOW``."""
    seen = {State.COLLECTED: []}
    queue = deque([State.COLLECTED])
    while queue:
        s = queue.popleft()
        for action, m in FLOW.items():
            target = m.target or s
            if s in m.sources and target not in seen:
                seen[target] = [*seen[s], action]
                queue.append(target)
    return seen[state]


class Actors:
    """Who makes each move in the tests: the dispatching level (the street, or the county once
    escalated), the department the event is dispatched to, the reporter who rates it."""

    def __init__(self, world, dept_users: dict[int, object]):
        self.world = world
        self.dept_users = dept_users

    def for_move(self, event: Event, action: str):
        m = FLOW[action]
        event.refresh_from_db()
        users, nodes = self.world.users, self.world.nodes
        if m.side == "department":
            # before any dispatch no department sees it: the street (the state refuses first)
            return self.dept_users.get(event.department_id) or users["street"]
        if m.permission == "cases.rate":
            return users["resident"]
        if m.side == "level":
            return (
                users["street"] if event.dispatch_area_id == nodes["street"].pk else users["county"]
            )
        return users["street"]

    def do(self, event: Event, action: str, **extra) -> Event:
        fields = {**FIELDS.get(action, {}), **extra}
        return move(self.for_move(event, action), event, action, **fields)

    def drive(self, event: Event, state: str) -> Event:
        for action in path_to(state):
            event = self.do(event, action)
        assert event.state == state
        return event


def visit_team(world, name: str = "龙桥社区第一走访组", **kw) -> VisitTeam:
    """A visit team (驻点直联) of the first community, made by its secretary: visiting on
    Wednesdays, the grid worker its member; ``kw`` adds to or overrides what is passed to
    ``team_create`` (``staff_ids``, another ``weekday``)."""
    values = {"weekday": 3, "member_ids": [world.users["grid"].pk], **kw}
    return visits.team_create(
        actor=world.users["community"], area=world.community, name=name, **values
    )
