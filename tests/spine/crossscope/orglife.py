"""Organizational life: sessions and attendance, plans and their items, the compliance
board, check-in codes."""

from __future__ import annotations

from django.utils import timezone

from dangjian.orglife import models as _orglife_models
from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)

# --- orglife (organizational life) ----------------------------------------------------------------
# Appended by organizational life: sessions, plans and a closed base of the first county, a branch
# for the compliance drill-down, their routes, and their rows in the "nothing changed" fingerprint.


def _orglife_people(world, n: int = 6):
    from tests.orglife.helpers import people

    return people(world.orgs["grid_branch"], n, prefix="越界探针党员")


def orglife_session_probes(world) -> list[Probe]:
    import datetime as _dt

    from dangjian.orglife import services as orglife
    from tests.orglife.helpers import at

    _orglife_people(world)
    admin = world.users[INSIDER]
    out = []
    # One in the month some routes name, one in this month, where the calendar opens.
    today = timezone.localdate()
    months = ((2026, 11), (today.year, today.month))
    for i, kind in enumerate(("members_meeting", "theme_day")):
        start = at(*months[i], 10 + i)
        s = orglife.session_schedule(
            actor=admin,
            org=world.orgs["grid_branch"],
            session_type=kind,
            topic=f"越界探针组织生活{i}",
            starts_at=start,
            ends_at=start + _dt.timedelta(hours=2),
        )
        out.append(Probe(s.pk, s.topic, markers=(f"/orglife/sessions/{s.pk}/",)))
    return out


def orglife_plan_probes(world) -> list[Probe]:
    from dangjian.orglife.models import Plan

    p = Plan.objects.create(
        org=world.orgs["grid_branch"],
        org_path=world.orgs["grid_branch"].path,
        year=2026,
        title="越界探针组织生活计划",
    )
    return [Probe(p.pk, p.title)]


def orglife_base_probes(world) -> list[Probe]:
    from dangjian.orglife.models import Base

    b = Base.objects.create(
        name="越界探针未开放基地",
        org=world.orgs["community_committee"],
        org_path=world.orgs["community_committee"].path,
        area=world.nodes["community"],
        area_path=world.nodes["community"].path,
        is_open=False,
    )
    return [Probe(b.pk, b.name)]


def orglife_branch_probes(world) -> list[Probe]:
    b = world.orgs["grid_branch"]
    return [Probe(b.pk, b.name, markers=(f"/orglife/compliance/branch/{b.pk}/",))]


FACTORIES.update(
    {
        "orglife_session": orglife_session_probes,
        "orglife_plan": orglife_plan_probes,
        "orglife_base": orglife_base_probes,
        "orglife_branch": orglife_branch_probes,
    }
)

_OL = "/api/v1/orglife"
_OL_ANY = frozenset({200, 403, 409, 422})

ROUTES += [
    Route("api", f"{_OL}/sessions/", "orglife_session", "list"),
    Route("api", f"{_OL}/sessions/?page_size=200", "orglife_session", "list"),
    Route("api", f"{_OL}/sessions/?q=越界探针", "orglife_session", "list"),
    Route("api", f"{_OL}/sessions/?month=2026-11", "orglife_session", "list"),
    Route("api", f"{_OL}/sessions/?org={{id}}", "org", "children"),
    Route("api", f"{_OL}/sessions/{{id}}", "orglife_session", "detail"),
    Route("api", f"{_OL}/sessions/{{id}}/validity", "orglife_session", "detail"),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}/photos/{{id}}",
        "orglife_session",
        "detail",
        control=False,
        note="no photo of that id: the control answers 404 too",
    ),
    Route(
        "api",
        f"{_OL}/sessions/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org_id": p.pk,
            "session_type": "theme_day",
            "topic": f"越界安排{p.pk}",
            "starts_at": "2026-11-20T09:00:00+08:00",
            "ends_at": "2026-11-20T11:00:00+08:00",
        },
        control_status=frozenset({200, 422}),
    ),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}",
        "orglife_session",
        "write",
        method="PATCH",
        data={"topic": "越界改名"},
    ),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}/attendance",
        "orglife_session",
        "write",
        method="POST",
        data={"member_id": 1, "status": "present"},
        control_status=_OL_ANY,
    ),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}/checkin",
        "orglife_session",
        "write",
        method="POST",
        data={"token": "越界"},
        control_status=frozenset({409}),
    ),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}/votes",
        "orglife_session",
        "write",
        method="POST",
        data={"kind": "resolution", "subject": "越界表决", "yes": 0},
    ),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}/transitions",
        "orglife_session",
        "write",
        method="POST",
        data={"action": "cancel", "note": "越界取消"},
    ),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}/invitees",
        "orglife_session",
        "write",
        method="POST",
        data={"member_ids": []},
    ),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}/ratings",
        "orglife_session",
        "write",
        method="POST",
        data={"score": 5},
        control_status=frozenset({403}),
        note="the administrator has no member file: refused, after the scope check",
    ),
    Route(
        "api",
        f"{_OL}/sessions/{{id}}/photos",
        "orglife_session",
        "write",
        method="POST",
        control_status=frozenset({422}),
    ),
    Route("api", f"{_OL}/plans/", "orglife_plan", "list"),
    Route("api", f"{_OL}/plans/?org={{id}}", "org", "children"),
    Route("api", f"{_OL}/plans/{{id}}", "orglife_plan", "detail"),
    Route(
        "api",
        f"{_OL}/plans/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org_id": p.pk, "year": 2026, "quarter": 4},
        control_status=frozenset({200, 422}),
    ),
    Route("api", f"{_OL}/bases/", "orglife_base", "list"),
    Route("api", f"{_OL}/bases/{{id}}", "orglife_base", "detail"),
    Route(
        "api",
        f"{_OL}/bases/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org_id": p.pk, "area_id": 1, "name": "越界基地"},
        control_status=frozenset({200, 404, 422}),
        note="area 1 may be outside the insider's tree in another world; 404 then",
    ),
    Route("api", f"{_OL}/compliance/?org={{id}}", "org", "children"),
    Route("api", f"{_OL}/compliance/?org={{id}}&period=2026", "org", "children"),
    Route(
        "api",
        f"{_OL}/compliance/",
        "orglife_branch",
        "list",
        control=False,
        note="the insider's board names the branch; the outsider's is empty",
    ),
    Route("api", f"{_OL}/compliance/branch?org={{id}}", "orglife_branch", "detail"),
    Route("api", f"{_OL}/my/sessions/", "orglife_session", "self", control=False),
    Route("api", f"{_OL}/my/attendance/", "orglife_session", "self", control=False),
]


WATCHED_COUNTS += [
    _orglife_models.Session,
    _orglife_models.Attendance,
    _orglife_models.Vote,
    _orglife_models.Rating,
    _orglife_models.Plan,
    _orglife_models.Base,
    _orglife_models.SessionOrg,
]


@fingerprint
def _orglife_rows(out: dict) -> None:
    """Adds the session and attendance rows to the fingerprint."""
    out["orglife:sessions"] = list(
        _orglife_models.Session.objects.order_by("pk").values_list(
            "pk", "state", "topic", "updated_at"
        )
    )
    out["orglife:attendance"] = list(
        _orglife_models.Attendance.objects.order_by("pk").values_list("pk", "status", "updated_at")
    )


# The console and mobile pages of organizational life.
_OL_302 = frozenset({302})
ROUTES += [
    Route("console", "/orglife/", "orglife_session", "list"),
    Route("console", "/orglife/?month=2026-11", "orglife_session", "list"),
    Route("console", "/orglife/?org={id}", "org", "children"),
    Route("console", "/orglife/sessions/{id}/", "orglife_session", "detail"),
    Route("console", "/orglife/sessions/new/?org={id}", "org", "detail"),
    Route(
        "console",
        "/orglife/sessions/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org": p.pk,
            "session_type": "theme_day",
            "topic": "越权安排",
            "starts_at": "2026-12-05T09:00",
            "ends_at": "2026-12-05T11:00",
        },
        control_status=frozenset({302, 422}),
    ),
    Route(
        "console",
        "/orglife/sessions/{id}/photos/{id}/",
        "orglife_session",
        "detail",
        control=False,
        note="no photo of that id: the control answers 404 too",
    ),
    Route(
        "console",
        "/orglife/sessions/{id}/mark/",
        "orglife_session",
        "write",
        method="POST",
        data={"member_id": 1, "status": "present"},
        control_status=_OL_302,
    ),
    Route(
        "console",
        "/orglife/sessions/{id}/minutes/",
        "orglife_session",
        "write",
        method="POST",
        data={"minutes": "越界记录"},
        control_status=_OL_302,
    ),
    Route(
        "console",
        "/orglife/sessions/{id}/transition/",
        "orglife_session",
        "write",
        method="POST",
        data={"action": "cancel", "note": "越界取消"},
        control_status=_OL_302,
    ),
    Route(
        "console",
        "/orglife/sessions/{id}/photos/",
        "orglife_session",
        "write",
        method="POST",
        control_status=_OL_302,
    ),
    Route("console", "/orglife/compliance/", "orglife_branch", "list"),
    Route("console", "/orglife/compliance/?period=2026", "orglife_branch", "list"),
    Route("console", "/orglife/compliance/?org={id}", "org", "children"),
    Route("console", "/orglife/compliance/branch/{id}/", "orglife_branch", "detail"),
    Route("console", "/m/orglife/", "orglife_session", "self", control=False),
    Route("console", "/m/orglife/attendance/", "orglife_session", "self", control=False),
    Route(
        "console",
        "/m/orglife/checkin/{id}/",
        "orglife_session",
        "detail",
        control=False,
        note="addressed by a signed token, not an id: a guessed one is 404 for everyone; "
        "tests/orglife/test_console.py covers the refusals with a real token",
    ),
]


# --- orglife plans and dues remittances/funds in the console ---------------------------------------
# Appended by the console pages of organizational-life plans (a plan of the first county's grid
# branch with one item) and of dues remittances upward and the grassroots funds.


def orglife_plan_item_probes(world) -> list[Probe]:
    from dangjian.orglife.models import Plan, PlanItem

    branch = world.orgs["grid_branch"]
    plan, _ = Plan.objects.get_or_create(
        org=branch,
        year=2026,
        quarter=3,
        defaults={"org_path": branch.path, "title": "越界探针季度计划"},
    )
    item = PlanItem.objects.create(
        plan=plan, session_type="theme_day", month=8, topic="越界探针计划事项"
    )
    return [Probe(item.pk, item.topic)]


FACTORIES["orglife_plan_item"] = orglife_plan_item_probes

_PLAN_WRITE = frozenset({302, 403, 422})

ROUTES += [
    Route("console", "/orglife/plans/", "orglife_plan", "list"),
    Route("console", "/orglife/plans/?year=2026", "orglife_plan", "list"),
    Route("console", "/orglife/plans/?org={id}", "org", "children"),
    Route("console", "/orglife/plans/new/", "org", "list"),
    Route(
        "console",
        "/orglife/plans/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org": p.pk,
            "year": "2026",
            "quarter": "4",
            "item_type": "theme_day",
            "item_month": "11",
            "item_topic": "越界计划事项",
        },
        control_status=_PLAN_WRITE,
    ),
    Route("console", "/orglife/plans/{id}/", "orglife_plan", "detail"),
    Route(
        "console",
        "/orglife/plans/{id}/items/new/",
        "orglife_plan",
        "write",
        method="POST",
        data={"session_type": "theme_day", "month": "11", "topic": "越界添加事项"},
        control_status=_PLAN_WRITE,
    ),
    Route("console", "/orglife/plans/items/{id}/", "orglife_plan_item", "detail"),
    Route(
        "console",
        "/orglife/plans/items/{id}/",
        "orglife_plan_item",
        "write",
        method="POST",
        data={"session_type": "theme_day", "month": "9", "topic": "越界修改事项"},
        control_status=_PLAN_WRITE,
    ),
    Route(
        "console",
        "/orglife/plans/items/{id}/delete/",
        "orglife_plan_item",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
]

WATCHED_COUNTS += [_orglife_models.PlanItem]


@fingerprint
def _plans_rows(out: dict) -> None:
    """Adds the plan items to the fingerprint."""
    out["orglife:plan_items"] = list(
        _orglife_models.PlanItem.objects.order_by("pk").values_list("pk", "month", "topic")
    )


# --- orglife plan items through the API --------------------------------------------------------------
# Appended by the plan-item API routes (add, change, delete): the plan and item probes above.

ROUTES += [
    Route(
        "api",
        f"{_OL}/plans/{{id}}/items",
        "orglife_plan",
        "write",
        method="POST",
        data={"session_type": "theme_day", "month": 11, "topic": "越界添加事项"},
    ),
    Route(
        "api",
        f"{_OL}/plans/items/{{id}}",
        "orglife_plan_item",
        "write",
        method="PATCH",
        data={"month": 9, "topic": "越界修改事项"},
    ),
    Route("api", f"{_OL}/plans/items/{{id}}", "orglife_plan_item", "write", method="DELETE"),
]


# issue 19: the session's check-in code, renewed every minute, and its projector screen;
# issue 18: everyone unmarked marked present in one step.
ROUTES += [
    Route(
        "console",
        "/orglife/sessions/{id}/mark-present/",
        "orglife_session",
        "write",
        method="POST",
        data={"all": "1"},
        control_status=_OL_302,
    ),
    Route("console", "/orglife/sessions/{id}/checkin-qr/", "orglife_session", "detail"),
    Route("console", "/orglife/sessions/{id}/qr/", "orglife_session", "detail"),
]
