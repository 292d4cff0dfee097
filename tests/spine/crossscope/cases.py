"""The grid event closed loop (cases): events, their console and phone pages and photos,
household visits (驻点直联) and intake on a caller's behalf."""

from __future__ import annotations

from dataclasses import dataclass

from dangjian.cases import models as _case_models
from dangjian.cases.models import EventAttachment as _EventAttachment
from dangjian.core.models import StoredFile as _StoredFile
from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    ROUTES,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)

# --- cases (the grid event closed loop) ----------------------------------------------------------
# Appended by the grid event closed loop: events of the first county (a resident's report, a
# grid worker's opened one, one dispatched to a department of the first street), their routes,
# the counts to watch and the event rows in the "nothing changed" fingerprint.


def event_probes(world) -> list[Probe]:
    from dangjian.accounts.models import Department
    from dangjian.cases import services as cases
    from tests.cases.helpers import ensure_taxonomy

    ensure_taxonomy()
    admin = world.users[INSIDER]
    street = world.nodes["street"]
    dept = Department.objects.create(name="越界探针环卫所", area=street, area_path=street.path)
    specs = (
        ("resident", "越界探针事件0：东门垃圾堆积发臭", None, "13800138000"),
        ("grid", "越界探针事件1：北门井盖缺失很危险", "open", None),
        ("community", "越界探针事件2：菜市场门口占道经营", "dispatch", None),
    )
    out = []
    for key, description, upto, phone in specs:
        ev = cases.event_create(
            actor=world.users[key],
            area=world.nodes["grid"],
            description=description,
            reporter_phone=phone,
        )
        if upto:
            ev = cases.event_transition(actor=admin, event=ev, action="open")
        if upto == "dispatch":
            ev = cases.event_transition(actor=admin, event=ev, action="dispatch", department=dept)
        out.append(Probe(ev.pk, description.split("：", 1)[0]))
    return out


FACTORIES["event"] = event_probes

ROUTES += [
    Route("api", "/api/v1/cases/", "event", "list"),
    Route("api", "/api/v1/cases/?page_size=200", "event", "list"),
    Route("api", "/api/v1/cases/?q=越界探针", "event", "list"),
    Route("api", "/api/v1/cases/?state=dispatched", "event", "list"),
    Route("api", "/api/v1/cases/?mine=true", "event", "list", control=False),
    Route(
        "api",
        "/api/v1/cases/?sla=normal",
        "event",
        "list",
        control=False,
        note="the probe's clock may already be in its chase window",
    ),
    Route("api", "/api/v1/cases/?area={id}", "area", "children"),
    Route("api", "/api/v1/cases/{id}", "event", "detail"),
    Route(
        "api",
        "/api/v1/cases/{id}/reveal",
        "event",
        "write",
        method="POST",
        data={"field": "reporter_phone", "purpose": "contact", "reason": "越界联系"},
    ),
    Route(
        "api",
        "/api/v1/cases/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area_id": p.pk, "description": f"越界上报{p.pk}：路灯不亮了"},
        control_status=frozenset({200, 409, 422}),
        note="the insider reports in grids and units (200), not above them (422)",
    ),
    Route(
        "api",
        "/api/v1/cases/duplicates",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area_id": p.pk, "description": "越界查重：东门垃圾堆积发臭"},
        control_status=frozenset({200, 422}),
    ),
    Route(
        "api",
        "/api/v1/cases/{id}/transitions",
        "event",
        "write",
        method="POST",
        data={"action": "open", "note": "越界立案"},
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        "/api/v1/cases/{id}/me-too",
        "event",
        "write",
        method="POST",
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        "/api/v1/cases/metrics",
        "event",
        "list",
        control=False,
        note="counts only: no names to look for",
    ),
    Route("api", "/api/v1/cases/metrics?area={id}", "area", "detail"),
]

UNSCOPED_API_ROUTES |= {("GET", "/api/v1/cases/classes")}  # the taxonomy


WATCHED_COUNTS += [
    _case_models.Event,
    _case_models.EventStep,
    _case_models.EventLink,
    _case_models.EventMeToo,
    _case_models.EventNotice,
    _case_models.EventClass,
]


@fingerprint
def _cases_rows(out: dict) -> None:
    """Adds the event rows to the fingerprint."""
    out["events:rows"] = list(
        _case_models.Event.objects.order_by("pk").values_list(
            "pk", "state", "department_id", "me_too_count", "updated_at"
        )
    )


# --- cases: console, mobile pages and photos ----------------------------------------------------
# Appended with the grid event pages: the console (/cases/...), the mobile pages
# (/m/cases/...) and the photos of an event (API and console). A photo route names two ids: the
# event ({id}, the probe) and its photo ({att}, looked up from the probe).

_PHOTO_OF: dict[int, int] = {}


def event_photo_probes(world) -> list[Probe]:
    from dangjian.cases.models import EventAttachment
    from dangjian.core import files

    probes = event_probes(world)
    admin = world.users[INSIDER]
    for i, p in enumerate(probes):
        stored = files.file_store_bytes(
            actor=admin,
            name=f"probe{i}.png",
            content=b"\x89PNG\r\n\x1a\n" + bytes([i]) * 32,
            kinds=("image",),
        )
        att = EventAttachment.objects.create(
            event_id=p.pk, file=stored, stage="other", uploaded_by=admin
        )
        _PHOTO_OF[p.pk] = att.pk
    return probes


FACTORIES["event_photo"] = event_photo_probes


@dataclass(frozen=True)
class PhotoRoute(Route):
    """A route naming an event ({id}) and one of its photos ({att})."""

    def url(self, probe: Probe | None = None) -> str:
        att = _PHOTO_OF.get(probe.pk, 1) if probe else 1
        return super().url(probe).replace("{att}", str(att))


ROUTES += [
    # API: photos
    Route("api", "/api/v1/cases/{id}/attachments/", "event_photo", "detail"),
    PhotoRoute(
        "api",
        "/api/v1/cases/{id}/attachments/{att}",
        "event_photo",
        "detail",
    ),
    Route(
        "api",
        "/api/v1/cases/{id}/attachments",
        "event",
        "write",
        method="POST",
        control_status=frozenset({422}),
        note="a JSON body carries no file: the insider gets 422, the outsider 404 first",
    ),
    # Console
    Route("console", "/cases/", "event", "list"),
    Route("console", "/cases/?q=越界探针", "event", "list"),
    Route("console", "/cases/?state=dispatched", "event", "list"),
    Route("console", "/cases/?sla=overdue", "event", "list", control=False),
    Route("console", "/cases/?area={id}", "area", "children"),
    Route(
        "console",
        "/cases/inbox/",
        "event",
        "list",
        control=False,
        note="a department's inbox: the outsider has no department, the admin neither",
    ),
    Route("console", "/cases/{id}/", "event", "detail"),
    Route(
        "console",
        "/cases/{id}/transition/",
        "event",
        "write",
        method="POST",
        data={"action": "open", "note": "越界立案"},
        control_status=frozenset({302, 409}),
    ),
    Route(
        "console",
        "/cases/{id}/attachments/",
        "event",
        "write",
        method="POST",
        control_status=frozenset({422}),
        note="a form without a file: the insider gets 422, the outsider 404 first",
    ),
    PhotoRoute(
        "console",
        "/cases/{id}/attachments/{att}/",
        "event_photo",
        "detail",
    ),
    Route("console", "/cases/metrics/", "event", "list", control=False, note="counts only"),
    Route("console", "/cases/metrics/?area={id}", "area", "detail"),
    Route(
        "console",
        "/cases/metrics/export/",
        "event",
        "export",
        method="POST",
        control=False,
        note="counts only; tests/cases/test_console.py opens the .xlsx",
    ),
    Route("console", "/cases/metrics/export/?area={id}", "area", "detail", method="POST"),
    # Mobile
    Route("console", "/m/cases/", "event", "self", control=False),
    Route("console", "/m/cases/report/", "area", "self", control=False),
    Route(
        "console",
        "/m/cases/report/check/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area": p.pk, "description": "越界查重：东门垃圾堆积发臭"},
        control_status=frozenset({200}),
    ),
    Route("console", "/m/cases/{id}/", "event", "detail"),
    Route(
        "console",
        "/m/cases/{id}/rate/",
        "event",
        "write",
        method="POST",
        data={"rating": "5"},
        control_status=frozenset({302, 403, 409}),
    ),
    Route(
        "console",
        "/m/cases/{id}/me-too/",
        "event",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
]

# The taxonomy is the deployment's, not any area's.
UNSCOPED_CONSOLE_ROUTES |= {"/cases/classes/"}


WATCHED_COUNTS += [_EventAttachment, _StoredFile]


# --- cases: household visits (驻点直联) -------------------------------------------------------------
# Appended by household visits: a visit team of the first county's community and a visit record
# in its grid (with a request that became an event), their API and console routes.

VISIT_MARKER = "越界探针走访"


def visit_team_probes(world) -> list[Probe]:
    from dangjian.cases.models import VisitTeam
    from dangjian.cases.visits import services as visits

    team = VisitTeam.objects.filter(name=f"{VISIT_MARKER}组").first()
    if team is None:
        team = visits.team_create(
            actor=world.users[INSIDER],
            area=world.nodes["community"],
            name=f"{VISIT_MARKER}组",
            member_ids=[world.users["grid"].pk],
        )
    return [Probe(team.pk, team.name)]


def visit_record_probes(world) -> list[Probe]:
    import datetime as _dt

    from dangjian.cases.models import VisitTeam
    from dangjian.cases.visits import services as visits

    visit_team_probes(world)
    team = VisitTeam.objects.get(name=f"{VISIT_MARKER}组")
    rec = visits.visit_record(
        actor=world.users["grid"],
        team=team,
        area=world.nodes["grid"],
        household_label=f"{VISIT_MARKER}门牌9号",
        visited_on=_dt.date.today(),
        notes=f"{VISIT_MARKER}记录",
        requests=[f"{VISIT_MARKER}诉求：楼道灯坏了"],
    )
    return [Probe(rec.pk, rec.household_label)]


FACTORIES["visit_team"] = visit_team_probes
FACTORIES["visit_record"] = visit_record_probes

ROUTES += [
    Route("api", "/api/v1/cases/visits/teams/", "visit_team", "list"),
    Route("api", "/api/v1/cases/visits/teams/?area={id}", "area", "children"),
    Route("api", "/api/v1/cases/visits/teams/{id}", "visit_team", "detail"),
    Route("api", "/api/v1/cases/visits/records/", "visit_record", "list"),
    Route("api", "/api/v1/cases/visits/records/?page_size=200", "visit_record", "list"),
    Route("api", "/api/v1/cases/visits/records/?area={id}", "area", "children"),
    Route("api", "/api/v1/cases/visits/records/{id}", "visit_record", "detail"),
    Route("api", "/api/v1/cases/visits/coverage/", "area", "list"),
    Route("api", "/api/v1/cases/visits/coverage/?area={id}", "area", "children"),
    Route(
        "api",
        "/api/v1/cases/visits/teams/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area_id": p.pk, "name": f"越界建组{p.pk}", "member_ids": []},
        control_status=frozenset({422}),
        note="the insider's request lacks members (422) or names a non-village (422)",
    ),
    Route(
        "api",
        "/api/v1/cases/visits/records/",
        "visit_team",
        "write",
        method="POST",
        data=lambda p: {"team_id": p.pk, "household_label": "越界门牌", "requests": []},
        control_status=frozenset({422}),
        note="no household or area given: the insider gets 422",
    ),
    Route("console", "/cases/visits/", "visit_record", "list"),
    Route("console", "/cases/visits/?area={id}", "area", "children"),
]

WATCHED_COUNTS += [_case_models.VisitTeam, _case_models.VisitRecord]


# --- cases: intake on a caller's behalf and recording visits (console and phone) -------------
# Appended with the intake form (/cases/new/) and the visit forms. An intake naming an area
# outside the user's scope is refused on the form's field (422, nothing written, the same
# message as an id that does not exist): tests/cases/test_intake_console.py covers it.

ROUTES += [
    Route("console", "/cases/new/", "area", "self", control=False),
    Route(
        "console",
        "/cases/new/check/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"grid": p.pk, "description": "越界查重：东门垃圾堆积发臭"},
        control_status=frozenset({200}),
    ),
    Route("console", "/cases/visits/new/", "visit_team", "self", control=False),
    Route("console", "/cases/visits/new/?team={id}", "visit_team", "detail"),
    Route(
        "console",
        "/cases/visits/new/",
        "visit_team",
        "write",
        method="POST",
        data=lambda p: {"team": p.pk, "household_label": "越界门牌", "requests": "越界诉求内容"},
        control_status=frozenset({422}),
        note="no household or area given: the insider gets 422",
    ),
    # The grid worker's grid on the phone (issue 18): the open events they reach.
    Route("console", "/m/cases/grid/", "event", "list"),
    Route("console", "/m/cases/visits/", "visit_record", "self", control=False),
    Route("console", "/m/cases/visits/new/", "visit_team", "self", control=False),
    Route("console", "/m/cases/visits/new/?team={id}", "visit_team", "detail"),
    Route(
        "console",
        "/m/cases/visits/new/",
        "visit_team",
        "write",
        method="POST",
        data=lambda p: {"team": p.pk, "household_label": "越界门牌"},
        control_status=frozenset({422}),
        note="no household or area given: the insider gets 422",
    ),
]
