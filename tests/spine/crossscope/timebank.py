"""The time bank: orders, participations, teams, talents, stations, riders, their imports
and phone pages."""

from __future__ import annotations

from django.utils import timezone

from dangjian.timebank import models as _tb_models
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

# --- time bank (issue 16) ---
# Orders, participations, teams, the talent roster, stations and riders of the first county
# (龙桥社区); t-street3 reaches none of them.


def _tb_helper(world, name: str):
    from tests.timebank.helpers import helper

    return helper(world, name)


def tb_order_probes(world) -> list[Probe]:
    from tests.timebank.helpers import dispatched, order

    out = [order(world, description="越界探针待派单"), dispatched(world, description="越界探针")]
    return [Probe(o.pk, o.no, markers=(o.no,)) for o in out]


def tb_participation_probes(world) -> list[Probe]:
    from tests.timebank.helpers import dispatched, move

    a = _tb_helper(world, "越界探针志愿者")
    o = dispatched(world, description="越界探针服务")
    move(a, o, "accept")
    move(a, o, "check_in")
    move(a, o, "check_out")
    move(world.users["resident"], o, "confirm", rating=5)
    p = _tb_models.Participation.objects.get(order=o)
    return [Probe(p.pk, "越界探针志愿者")]


def tb_team_probes(world) -> list[Probe]:
    from dangjian.timebank import services as tb

    t = tb.team_create(
        actor=world.users[INSIDER],
        community=world.nodes["community"],
        name="越界探针巾帼红",
        kind="women",
    )
    return [Probe(t.pk, t.name)]


def tb_talent_probes(world) -> list[Probe]:
    from dangjian.timebank import services as tb

    t = tb.talent_offer(
        actor=world.users["resident"], service_class="repair", skill="越界探针家电维修"
    )
    return [Probe(t.pk, t.skill)]


def tb_station_probes(world) -> list[Probe]:
    from dangjian.timebank import riders

    s = riders.station_create(
        actor=world.users[INSIDER], area=world.nodes["grid"], name="越界探针红色驿站", kind="red"
    )
    return [Probe(s.pk, s.name)]


def tb_rider_probes(world) -> list[Probe]:
    from dangjian.timebank import riders
    from tests.world import user as make_user

    s = riders.station_create(
        actor=world.users[INSIDER], area=world.nodes["grid"], name="越界探针骑手驿站", kind="red"
    )
    u = make_user("越界探针骑手", role="resident", kind="resident", home=world.nodes["grid"])
    r = riders.rider_register(actor=u, station=s, kind="rider", platform="越界探针平台")
    return [Probe(r.pk, "越界探针骑手", markers=("越界探针平台",))]


FACTORIES.update(
    {
        "tb_order": tb_order_probes,
        "tb_participation": tb_participation_probes,
        "tb_team": tb_team_probes,
        "tb_talent": tb_talent_probes,
        "tb_station": tb_station_probes,
        "tb_rider": tb_rider_probes,
    }
)
_TB = "/api/v1/timebank"
ROUTES += [
    Route("api", f"{_TB}/orders/", "tb_order", "list"),
    Route("api", f"{_TB}/orders/?state=ordered", "tb_order", "list"),
    Route("api", f"{_TB}/orders/?mine=true", "tb_order", "list", control=False),
    Route("api", f"{_TB}/orders/?available=true", "tb_order", "list", control=False),
    Route("api", f"{_TB}/orders/{{id}}", "tb_order", "detail"),
    Route(
        "api",
        f"{_TB}/orders/{{id}}/transitions",
        "tb_order",
        "write",
        method="POST",
        data={"action": "cancel", "note": "越界取消"},
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        f"{_TB}/orders/",
        "area",
        "write",
        method="POST",
        data=lambda p: {
            "service_class": "elderly",
            "description": "越界点单",
            "place": "越界地点",
            "starts_at": (timezone.now() + timezone.timedelta(hours=1)).isoformat(),
            "ends_at": (timezone.now() + timezone.timedelta(hours=3)).isoformat(),
            "area_id": p.pk,
        },
        control_status=frozenset({200, 422}),
        note="an order placed in an area out of reach reads 404 and writes nothing",
    ),
    Route(
        "api",
        f"{_TB}/participations/{{id}}/corrections",
        "tb_participation",
        "write",
        method="POST",
        data={"hours": "1.00", "reason": "越界更正"},
        control_status=frozenset({200, 409, 422}),
    ),
    Route("api", f"{_TB}/hours/me", "tb_participation", "self"),
    Route("api", f"{_TB}/hours/?by=member", "tb_participation", "list", control=False),
    Route("api", f"{_TB}/hours/?by=org&view=org", "tb_participation", "list", control=False),
    Route("api", f"{_TB}/teams/", "tb_team", "list"),
    Route("api", f"{_TB}/teams/{{id}}", "tb_team", "detail"),
    Route(
        "api",
        f"{_TB}/teams/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"community_id": p.pk, "name": "越界队伍", "kind": "women"},
        control_status=frozenset({200, 422}),
    ),
    Route(
        "api",
        f"{_TB}/teams/{{id}}/members",
        "tb_team",
        "write",
        method="POST",
        data={"user_id": 1, "role": "member"},
        control_status=frozenset({200, 422}),
    ),
    Route("api", f"{_TB}/talents/", "tb_talent", "list"),
    Route("api", f"{_TB}/stations/", "tb_station", "list"),
    Route("api", f"{_TB}/stations/{{id}}", "tb_station", "detail"),
    Route(
        "api",
        f"{_TB}/stations/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area_id": p.pk, "name": "越界驿站", "kind": "red"},
        control_status=frozenset({200, 422}),
    ),
    Route("api", f"{_TB}/riders/", "tb_rider", "list"),
    Route("api", f"{_TB}/riders/{{id}}", "tb_rider", "detail"),
    Route(
        "api",
        f"{_TB}/riders/{{id}}/assistant",
        "tb_rider",
        "write",
        method="POST",
        data={"assistant_grid_worker": True},
        control_status=frozenset({200}),
    ),
]
# The console pages (dispatch, teams, stations, hours) and the phone pages (/m/timebank/).
_TB_302 = frozenset({302})
ROUTES += [
    Route("console", "/timebank/", "tb_order", "list"),
    Route("console", "/timebank/?state=ordered", "tb_order", "list"),
    Route("console", "/timebank/orders/{id}/", "tb_order", "detail"),
    Route(
        "console",
        "/timebank/orders/{id}/act/",
        "tb_order",
        "write",
        method="POST",
        data={"action": "cancel", "note": "越界取消"},
        control_status=_TB_302,
    ),
    Route("console", "/timebank/teams/", "tb_team", "list"),
    Route("console", "/timebank/teams/{id}/", "tb_team", "detail"),
    Route(
        "console",
        "/timebank/teams/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"community": p.pk, "name": "越界队伍", "kind": "women"},
        control_status=frozenset({200, 302}),
    ),
    Route("console", "/timebank/stations/", "tb_station", "list"),
    Route("console", "/timebank/stations/?riders=1", "tb_rider", "list"),
    Route("console", "/timebank/riders/", "tb_rider", "list"),
    Route("console", "/timebank/riders/?sort=-station", "tb_rider", "list"),
    Route(
        "console",
        "/timebank/stations/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area": p.pk, "name": "越界驿站", "kind": "red"},
        control_status=frozenset({200, 302}),
    ),
    Route(
        "console",
        "/timebank/riders/{id}/assistant/",
        "tb_rider",
        "write",
        method="POST",
        data={"on": "1"},
        control_status=_TB_302,
    ),
    Route("console", "/timebank/hours/", "tb_participation", "list", control=False),
    Route("console", "/m/timebank/", "tb_order", "list", control=False),
    Route("console", "/m/timebank/orders/{id}/", "tb_order", "detail"),
    Route(
        "console",
        "/m/timebank/orders/{id}/act/",
        "tb_order",
        "write",
        method="POST",
        data={"action": "cancel", "note": "越界取消"},
        control_status=_TB_302,
    ),
    Route("console", "/m/timebank/hours/", "tb_participation", "self"),
    Route("console", "/m/timebank/talents/", "tb_talent", "list"),
]
UNSCOPED_CONSOLE_ROUTES |= {"/m/timebank/order/"}  # the order form: one's own order
# Ordering for oneself, offering one's own skill and registering oneself at a station are the
# caller's own acts (their own rows): no probe of another scope is named.
UNSCOPED_API_ROUTES |= {("POST", f"{_TB}/talents/"), ("POST", f"{_TB}/riders/")}
WATCHED_COUNTS += [
    _tb_models.Order,
    _tb_models.Participation,
    _tb_models.OrderStep,
    _tb_models.VolunteerTeam,
    _tb_models.TeamMembership,
    _tb_models.TalentOffer,
    _tb_models.Station,
    _tb_models.Rider,
]


@fingerprint
def _timebank_rows(out: dict) -> None:
    """Adds the time-bank rows to the fingerprint."""
    out["tb_orders:rows"] = list(
        _tb_models.Order.objects.order_by("pk").values_list("pk", "state", "accepted_count")
    )
    out["tb_participations:rows"] = list(
        _tb_models.Participation.objects.order_by("pk").values_list("pk", "state", "hours")
    )
    out["tb_riders:rows"] = list(
        _tb_models.Rider.objects.order_by("pk").values_list("pk", "assistant_grid_worker")
    )


# --- x: time-bank station and rider imports ------------------------------------------------------
# File uploads (multipart) and blank templates, as the other imports: a file names no probe in
# path or JSON body; tests/timebank/test_imports.py checks that a grid or station outside the
# importer's reach is a row error and that nothing is written.
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/timebank/stations/import/template"),
    ("POST", "/api/v1/timebank/stations/import"),
    ("GET", "/api/v1/timebank/riders/import/template"),
    ("POST", "/api/v1/timebank/riders/import"),
}
UNSCOPED_CONSOLE_ROUTES |= {
    "/timebank/stations/import/",
    "/timebank/stations/import/template/",
    "/timebank/riders/import/",
    "/timebank/riders/import/template/",
}


# --- time bank: the talent roster's console page and the rider's phone page (t16) ---
def tb_rider_self_probes(world) -> list[Probe]:
    """A rider registered at a station of the first county: the outsider's own rider page
    lists stations (public places, by name) but never another rider."""
    from dangjian.timebank import riders
    from tests.world import user as make_user

    s = riders.station_create(
        actor=world.users[INSIDER], area=world.nodes["grid"], name="越界探针驿站丙", kind="love"
    )
    u = make_user("越界探针快递员丁", role="resident", kind="resident", home=world.nodes["grid"])
    r = riders.rider_register(actor=u, station=s, kind="courier", platform="越界探针平台戊")
    return [Probe(r.pk, "越界探针快递员丁", markers=("越界探针平台戊",))]


def tb_community_probes(world) -> list[Probe]:
    """The residential community of the first county (龙桥社区): its talent roster."""
    c = world.nodes["community"]
    return [Probe(c.pk, c.name, ancestor=True)]


FACTORIES["tb_rider_self"] = tb_rider_self_probes
FACTORIES["tb_community"] = tb_community_probes
ROUTES += [
    Route("console", "/timebank/talents/", "tb_talent", "list"),
    Route("console", "/timebank/talents/?q=越界探针", "tb_talent", "list"),
    Route("console", "/timebank/talents/?sort=-bookings", "tb_talent", "list"),
    Route("console", "/timebank/talents/{id}/", "tb_talent", "detail"),
    Route(
        "console",
        "/timebank/talents/{id}/",
        "tb_talent",
        "write",
        method="POST",
        data={"service_class": "repair", "skill": "越界修改"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/timebank/talents/{id}/active/",
        "tb_talent",
        "write",
        method="POST",
        data={"on": "0"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/timebank/talents/?community={id}",
        "tb_community",
        "write",
        method="POST",
        data={"user": "1", "service_class": "repair", "skill": "越界能人"},
        control_status=frozenset({200, 302, 400}),
        note="putting someone on the roster of a community out of reach reads 404",
    ),
    Route("console", "/m/timebank/rider/", "tb_rider_self", "self", control=False),
]
