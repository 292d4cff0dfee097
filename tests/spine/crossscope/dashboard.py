"""The dashboard: roll-ups per area node, the boards stored with them, the map and the
statistical reports."""

from __future__ import annotations

from django.utils import timezone

from tests.spine.crossscope.organizations import org_probes
from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    ROUTES,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    Probe,
    Route,
)

# --- dashboard (issue 17): roll-ups per area node, read through the area's scope -------------
ROUTES += [
    Route("api", "/api/v1/dashboard/", "area", "list"),
    Route("api", "/api/v1/dashboard/?node={id}", "area", "detail"),
    Route("api", "/api/v1/dashboard/?node={id}&period=2026-01", "area", "detail"),
    Route("api", "/api/v1/dashboard/series/?figure=members&node={id}", "area", "detail"),
    Route("console", "/dashboard/", "area", "list"),
    Route("console", "/dashboard/?node={id}", "area", "detail"),
]


def dashboard_compliance_probes(world) -> list[Probe]:
    """The first county's branches on the board stored with the roll-ups."""
    from dangjian.dashboard.rollups import engine

    engine.refresh(months=1)
    return org_probes(world)


def dashboard_arrears_probes(world) -> list[Probe]:
    """A member of the first county 4 months behind with dues, in the stored arrears rows."""
    from dangjian.dashboard.rollups import engine
    from dangjian.dues import calc
    from tests.dues.helpers import dues_member

    start = calc.add_months(calc.month_of(timezone.localdate()), -4)
    m = dues_member(world, month=start, name="越界欠缴探针")
    engine.refresh(months=1)
    return [Probe(m.pk, m.name)]


FACTORIES["dashboard_compliance"] = dashboard_compliance_probes
FACTORIES["dashboard_arrears"] = dashboard_arrears_probes
ROUTES += [
    Route("api", "/api/v1/dashboard/compliance/", "dashboard_compliance", "list"),
    Route("api", "/api/v1/dashboard/compliance/?node={id}", "area", "detail"),
    Route("api", "/api/v1/dashboard/compliance/?org={id}", "org", "detail"),
    Route("api", "/api/v1/dashboard/arrears/", "dashboard_arrears", "list"),
    Route("api", "/api/v1/dashboard/arrears/?node={id}", "area", "detail"),
    Route("api", "/api/v1/dashboard/arrears/?org={id}", "org", "detail"),
    Route("console", "/dashboard/compliance/", "dashboard_compliance", "list"),
    Route("console", "/dashboard/compliance/?node={id}", "area", "detail"),
    Route("console", "/dashboard/arrears/", "dashboard_arrears", "list"),
    Route("console", "/dashboard/arrears/?node={id}", "area", "detail"),
]


# --- dashboard: the one map and the statistical reports (issue 17) ------------------------------
# The map of an area of the first county, a grid's card, and the open events with coordinates
# (one reported in each grid of the first county and opened).


def map_grid_probes(world) -> list[Probe]:
    return [Probe(world.nodes[k].pk, world.nodes[k].name) for k in ("grid", "grid2")]


def map_event_probes(world) -> list[Probe]:
    from dangjian.cases import services as cases
    from tests.cases.helpers import ensure_taxonomy

    ensure_taxonomy()
    out = []
    for key in ("grid", "grid2"):
        description = f"越界探针地图事件{key}：路灯损坏"
        ev = cases.event_create(
            actor=world.users["community"],
            area=world.nodes[key],
            description=description,
            lng=119.01,
            lat=25.42,
        )
        ev = cases.event_transition(actor=world.users[INSIDER], event=ev, action="open")
        out.append(Probe(ev.pk, description.split("：", 1)[0]))
    return out


FACTORIES["map_grid"] = map_grid_probes
FACTORIES["map_event"] = map_event_probes
ROUTES += [
    Route("api", "/api/v1/map/", "area", "list"),
    Route("api", "/api/v1/map/?figure=members", "area", "list"),
    Route("api", "/api/v1/map/?node={id}", "area", "detail"),
    Route("api", "/api/v1/map/?node={id}&figure=compliance&zoom=6", "area", "detail"),
    Route("api", "/api/v1/map/events/", "map_event", "list"),
    Route("api", "/api/v1/map/events/?node={id}", "area", "detail"),
    Route("api", "/api/v1/map/summary/", "area", "list", control=False),
    Route("api", "/api/v1/map/summary/?node={id}", "area", "detail"),
    Route("api", "/api/v1/map/stations/", "area", "list", control=False),
    Route("api", "/api/v1/map/stations/?node={id}", "area", "detail"),
    Route("api", "/api/v1/map/grids/{id}/card", "map_grid", "detail"),
    Route("console", "/map/", "area", "list", control=False),
    Route("console", "/map/?node={id}", "area", "detail"),
    Route("console", "/screen/", "area", "list", control=False),
    Route("console", "/screen/?node={id}", "area", "detail"),
]
# The statistical reports: each table of a node (the default node is the user's own; another's
# reads 404). The table code is a path parameter the registry cannot fill from a probe, so the
# concrete tables are listed here and the templated path is marked as covered by them.
ROUTES += [
    Route("api", f"/api/v1/reports/{code}/", "area", "list")
    for code in ("members_basic", "orgs_kind_sector", "development_losses", "event_rates_by_node")
] + [
    Route("api", "/api/v1/reports/members_basic/?node={id}", "area", "detail"),
    Route("api", "/api/v1/reports/events_by_department/?node={id}", "area", "detail"),
    Route("api", "/api/v1/reports/event_rates_by_node/?node={id}&year=2026", "area", "detail"),
    Route("api", "/api/v1/reports/orgs_kind_sector/?node={id}&format=xlsx", "area", "detail"),
    Route("console", "/reports/", "area", "list", control=False),
    Route("console", "/reports/?node={id}", "area", "detail"),
    Route("console", "/reports/members_basic/", "area", "list"),
    Route("console", "/reports/members_basic/?node={id}", "area", "detail"),
]
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/reports/"),  # the list of tables: names only
    ("GET", "/api/v1/reports/{table}/"),  # covered by the concrete tables above
}
UNSCOPED_CONSOLE_ROUTES |= {"/reports/{}/"}  # covered by the concrete tables above
