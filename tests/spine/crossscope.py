"""The registry the one shared cross-scope test class runs.

Every scoped API and console route is listed here once. A later module adds its routes by
appending ``Route(...)`` entries to ``ROUTES`` (and, when its objects are new, a factory to
``FACTORIES``) from this file; ``test_cross_scope.py`` then runs each of them as an
out-of-scope user, as an anonymous visitor and, as a control, as a user who may see them.

A factory takes the ``world`` (``tests.world.World``) and returns the probes: objects of the
first county (城厢区) that ``t-street3``, whose street is in the other county, must never see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.urls import Resolver404, resolve

from dangjian.core import audit
from dangjian.core.models import AuditEntry
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

Kind = Literal["list", "detail", "children", "self", "write"]
Surface = Literal["api", "console"]

# Who looks from outside, and who may see the probes (the control).
OUTSIDER = "street3"
INSIDER = "admin"


@dataclass(frozen=True)
class Probe:
    """One object the outsider must not see."""

    pk: int
    name: str
    # Ancestors above the outsider's grant (the city) read 404 but may be named in a
    # breadcrumb or a parent column, so lists are checked for their ids only.
    ancestor: bool = False
    # Strings that show the object on an HTML page besides its name (a link, say).
    markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """One scoped route.

    ``path`` is a template: ``{id}`` is replaced by each probe's pk (detail, children and
    write routes are run once per probe). ``kind``:

    - ``list``: answers 200 and shows none of the probes;
    - ``detail`` / ``children``: answers 404 for every probe (never 403, never 200);
    - ``self``: answers 200 about the user alone and names none of the probes;
    - ``write``: a POST/PATCH/DELETE naming a probe (in the path or in ``data``) answers 404
      and writes nothing.

    ``data`` is the body of a write, a dict or a callable of the probe
    (``lambda p: {"org_id": p.pk}``): sent as JSON to the API and as a form to the console.
    The control (the insider's identical request, in a test of its own) must answer one of
    ``control_status``.
    """

    surface: Surface
    path: str
    factory: str
    kind: Kind
    method: str = "GET"
    data: dict | Callable[[Probe], dict] | None = None
    # Whether the insider must see at least one probe here (proves the route is not vacuous).
    control: bool = True
    # For writes: the statuses the insider's identical request may get (e.g. {200, 201, 422}).
    control_status: frozenset[int] = frozenset({200})
    note: str = ""

    def __str__(self) -> str:
        return f"{self.surface}:{self.method}:{self.path}"

    def url(self, probe: Probe | None = None) -> str:
        return self.path.replace("{id}", str(probe.pk)) if probe else self.path.replace("{id}", "1")

    def body(self, probe: Probe | None) -> dict:
        if callable(self.data):
            return self.data(probe)
        return dict(self.data or {})

    def exists(self) -> bool:
        """Whether the URL resolves (console routes are being built while these tests are)."""
        try:
            resolve(self.url().split("?", 1)[0])
        except Resolver404:
            return False
        return True


# --- factories ------------------------------------------------------------------------------
def _tree_probes(model, world, root, ancestor_roots) -> list[Probe]:
    probes = [
        Probe(n.pk, n.name)
        for n in model.objects.filter(path__gte=root.path, path__lt=root.path_end)
    ]
    probes += [Probe(a.pk, a.name, ancestor=True) for a in ancestor_roots]
    return probes


def area_probes(world) -> list[Probe]:
    return [
        Probe(p.pk, p.name, p.ancestor, (f"/areas/{p.pk}/",))
        for p in _tree_probes(Area, world, world.county, [world.city])
    ]


def org_probes(world) -> list[Probe]:
    return [
        Probe(p.pk, p.name, p.ancestor, (f"/orgs/{p.pk}/",))
        for p in _tree_probes(
            PartyOrg, world, world.orgs["county_committee"], [world.orgs["city_committee"]]
        )
    ]


AUDIT_MARKER = "越界探针审计记录"


def audit_probes(world) -> list[Probe]:
    """Audit rows written in the first county (by an actor there), marked to be found."""
    rows = []
    for key in ("street", "community", "grid"):
        node = world.nodes[key]
        rows.append(
            audit.record(
                actor=world.users["county"],
                action="probe.write",
                object_type="territory.area",
                object_id=str(node.pk),
                object_repr=f"{AUDIT_MARKER}{node.pk}",
                area_path=node.path,
            )
        )
    return [Probe(r.pk, r.object_repr, markers=(r.object_repr,)) for r in rows]


def me_probes(world) -> list[Probe]:
    """What /me must not mention: the first county's nodes, in either tree."""
    return [p for p in area_probes(world) + org_probes(world) if not p.ancestor]


FACTORIES: dict[str, Callable[[Any], list[Probe]]] = {
    "area": area_probes,
    "org": org_probes,
    "audit": audit_probes,
    "me": me_probes,
}


# --- the registry -----------------------------------------------------------------------------
ROUTES: list[Route] = [
    # Areas (territory)
    Route("api", "/api/v1/areas/", "area", "list"),
    Route("api", "/api/v1/areas/?page_size=200", "area", "list"),
    Route(
        "api", "/api/v1/areas/?q=龙桥", "area", "list", note="search reaches every visible level"
    ),
    Route("api", "/api/v1/areas/?q=LQ", "area", "list", note="pinyin initials search"),
    Route("api", "/api/v1/areas/{id}", "area", "detail"),
    Route("api", "/api/v1/areas/?parent={id}", "area", "children"),
    Route("api", "/api/v1/areas/?parent={id}&q=网格", "area", "children"),
    # Party organizations
    Route("api", "/api/v1/orgs/", "org", "list"),
    Route("api", "/api/v1/orgs/?page_size=200", "org", "list"),
    Route("api", "/api/v1/orgs/?q=龙桥", "org", "list"),
    Route("api", "/api/v1/orgs/{id}", "org", "detail"),
    Route("api", "/api/v1/orgs/?parent={id}", "org", "children"),
    # Accounts
    Route("api", "/api/v1/me", "me", "self", control=False),
    # Console
    Route("console", "/areas/", "area", "list"),
    Route("console", "/areas/{id}/", "area", "detail"),
    Route("console", "/areas/{id}/children/", "area", "children"),
    Route("console", "/orgs/", "org", "list"),
    Route("console", "/orgs/{id}/", "org", "detail"),
    Route("console", "/orgs/{id}/children/", "org", "children"),
    Route("console", "/audit/", "audit", "list"),
]


# Routes that read no scoped rows (the health check, the login, a blank import template, the
# holiday table, one's own account page). Every other route must be in ROUTES above.
UNSCOPED_API_ROUTES: set[tuple[str, str]] = {
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/token"),
}
UNSCOPED_CONSOLE_ROUTES: set[str] = {"/login/", "/logout/", "/", "/holidays/", "/account/"}


# --- "nothing changed" ------------------------------------------------------------------------
# Models whose row count must not move when an outsider calls a route; later modules append.
WATCHED_COUNTS: list[type] = [AuditEntry, Area, PartyOrg]


def state() -> dict:
    """A fingerprint of what an out-of-scope request must leave alone."""
    from dangjian.accounts.models import Department, Grant, User
    from dangjian.territory.models import Household

    out: dict[str, Any] = {
        m._meta.label: m._base_manager.count()
        for m in [*WATCHED_COUNTS, Household, Department, Grant, User]
    }
    for model in (Area, PartyOrg):
        out[f"{model._meta.label}:rows"] = list(
            model.objects.order_by("pk").values_list(
                "pk",
                "path",
                "depth",
                "parent_id",
                "child_count",
                "next_child",
                "name",
                "updated_at",
            )
        )
    out["users"] = list(
        User.objects.order_by("pk").values_list("pk", "area_path", "is_active", "password")
    )
    return out


@dataclass
class Answer:
    """A response reduced to what the checks need."""

    status: int
    text: str
    item_ids: list[int] | None = None
    location: str = ""
    json: Any = field(default=None)


# --- members (the member registry) -------------------------------------------------------------
# Appended by the member registry: factories for member files, transfers, check-ins and mobile
# registrations of the first county, their routes, the counts to watch, and the member rows in
# the "nothing changed" fingerprint. POST /api/v1/members/import names no probe in its path or
# JSON body (it takes a file); tests/members/test_excel.py checks that an outsider's file
# naming the first county's organizations writes nothing.

MEMBER_PROBE_ORGS = (
    "grid_branch",
    "unit_group",
    "community_committee",
    "street_wc",
    "street2_wc",
    "county_committee",
)


def _org_pk(name: str) -> int:
    return PartyOrg.objects.get(name=name).pk


def _area_pk(name: str) -> int:
    return Area.objects.get(name=name).pk


def _probe_member(world, key: str, name: str, seq: int):
    from tests.members.helpers import member

    return member(
        world.users[INSIDER],
        world.orgs[key],
        name=name,
        id_number=_probe_id(seq),
        categories=["in_service"],
        unit=world.nodes["unit"],
        phone="13800138000",
    )


def _probe_id(seq: int) -> str:
    from tests.members.helpers import id_no

    return id_no("19800101", 500 + seq)


def member_probes(world) -> list[Probe]:
    return [
        Probe(m.pk, m.name)
        for m in (
            _probe_member(world, key, f"越界探针党员{i}", i)
            for i, key in enumerate(MEMBER_PROBE_ORGS)
        )
    ]


def transfer_probes(world) -> list[Probe]:
    from dangjian.members import services

    out = []
    for i, key in enumerate(("grid_branch", "street2_wc", "community_committee")):
        m = _probe_member(world, key, f"越界探针转接{i}", 20 + i)
        to_org = world.orgs["street_wc"] if key != "street_wc" else world.orgs["street2_wc"]
        t = services.transfer_request(actor=world.users[INSIDER], member=m, to_org=to_org)
        out.append(Probe(t.pk, m.name))
    return out


def checkin_probes(world) -> list[Probe]:
    from dangjian.members import services

    out = []
    for i, (key, community) in enumerate(
        (("grid_branch", "community"), ("county_committee", "community2"))
    ):
        m = _probe_member(world, key, f"越界探针报到{i}", 40 + i)
        c = services.member_checkin(
            actor=world.users[INSIDER], member=m, community=world.nodes[community]
        )
        out.append(Probe(c.pk, m.name))
    return out


def mobile_probes(world) -> list[Probe]:
    import datetime as dt

    from django.utils import timezone

    from dangjian.members import services

    out = []
    long_ago = timezone.localdate() - dt.timedelta(days=800)
    for i, key in enumerate(("grid_branch", "street2_wc")):
        m = _probe_member(world, key, f"越界探针流动{i}", 60 + i)
        r = services.member_register_mobile(
            actor=world.users[INSIDER],
            member=m,
            destination="广东省深圳市",
            left_on=long_ago,
            last_contact_on=long_ago,
            fixed_place=True,
            host_org=world.orgs["street_wc"],
        )
        out.append(Probe(r.pk, m.name))
    return out


FACTORIES.update(
    {
        "member": member_probes,
        "transfer": transfer_probes,
        "checkin": checkin_probes,
        "mobile": mobile_probes,
    }
)

_NEW_MEMBER = {
    "name": "越界新建",
    "gender": "male",
    "birth_date": "1980-01-01",
    "ethnicity": "01",
    "status": "full",
    "joined_on": "2005-07-01",
    "confirmed_on": "2006-07-01",
}
_ANY = frozenset({200, 422})

ROUTES += [
    # The registry
    Route("api", "/api/v1/members/", "member", "list"),
    Route("api", "/api/v1/members/?page_size=200", "member", "list"),
    Route("api", "/api/v1/members/?q=越界", "member", "list"),
    Route("api", "/api/v1/members/?category=in_service", "member", "list"),
    Route(
        "api",
        "/api/v1/members/?q=" + _probe_id(0),
        "member",
        "list",
        control=False,
        note="ID number search",
    ),
    Route("api", "/api/v1/members/?org={id}", "org", "children", note="members of an org subtree"),
    Route(
        "api",
        "/api/v1/members/?area={id}",
        "area",
        "children",
        note="members living in an area subtree",
    ),
    Route("api", "/api/v1/members/{id}", "member", "detail"),
    Route("api", "/api/v1/members/{id}/reveal?field=id_number", "member", "detail"),
    Route(
        "api",
        "/api/v1/members/{id}/photo",
        "member",
        "detail",
        control=False,
        note="probes have no photo",
    ),
    Route(
        "api",
        "/api/v1/members/",
        "org",
        "write",
        method="POST",
        data=lambda p: {**_NEW_MEMBER, "org_id": p.pk},
    ),
    Route(
        "api",
        "/api/v1/members/{id}",
        "member",
        "write",
        method="PATCH",
        data={"work_unit": "越界修改"},
    ),
    Route(
        "api",
        "/api/v1/members/{id}/photo",
        "member",
        "write",
        method="POST",
        control_status=frozenset({422}),
        note="no file in a JSON body: the insider gets 422, the outsider 404 before that",
    ),
    Route(
        "api",
        "/api/v1/members/export",
        "member",
        "list",
        control=False,
        note="an .xlsx is compressed: tests/members/test_excel.py opens it",
    ),
    Route("api", "/api/v1/members/export?reveal=true", "member", "list", control=False),
    # Transfers
    Route(
        "api",
        "/api/v1/members/{id}/transfers",
        "member",
        "write",
        method="POST",
        control_status=_ANY,
        data=lambda p: {"to_org_id": _org_pk("中共凤凰山街道工作委员会")},
    ),
    Route("api", "/api/v1/members/transfers/", "transfer", "list"),
    Route("api", "/api/v1/members/transfers/{id}", "transfer", "detail"),
    Route(
        "api",
        "/api/v1/members/transfers/{id}/transitions",
        "transfer",
        "write",
        method="POST",
        data={"action": "approve_out", "note": "同意"},
    ),
    # Community check-in
    Route(
        "api",
        "/api/v1/members/{id}/checkins",
        "member",
        "write",
        method="POST",
        data=lambda p: {"community_id": _area_pk("凤山社区")},
    ),
    Route(
        "api",
        "/api/v1/members/checkins/orgs/{id}",
        "org",
        "write",
        method="POST",
        control_status=_ANY,
        data=lambda p: {"community_id": _area_pk("龙桥社区")},
    ),
    Route("api", "/api/v1/members/checkins/", "checkin", "list"),
    Route("api", "/api/v1/members/checkins/?community={id}", "area", "children"),
    Route("api", "/api/v1/members/checkins/{id}", "checkin", "detail"),
    Route(
        "api",
        "/api/v1/members/checkins/{id}/services",
        "checkin",
        "write",
        method="POST",
        data={"content": "环境整治", "hours": 2},
    ),
    # Mobile members
    Route(
        "api",
        "/api/v1/members/{id}/mobile",
        "member",
        "write",
        method="POST",
        data={"destination": "江苏省南通市", "left_on": "2026-01-01"},
    ),
    Route("api", "/api/v1/members/mobile/", "mobile", "list"),
    Route("api", "/api/v1/members/mobile/warnings", "mobile", "list"),
    Route("api", "/api/v1/members/mobile/{id}", "mobile", "detail"),
    Route(
        "api",
        "/api/v1/members/mobile/{id}/reports",
        "mobile",
        "write",
        method="POST",
        data={"kind": "contact"},
    ),
    Route("api", "/api/v1/members/mobile/{id}/end", "mobile", "write", method="POST"),
    # Statistics
    Route("api", "/api/v1/stats/members?org={id}", "org", "detail"),
    Route("api", "/api/v1/stats/members?area={id}", "area", "detail"),
]

UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/members/import"),  # the columns an import understands
    ("GET", "/api/v1/members/import/template"),  # the blank template
    ("POST", "/api/v1/members/import"),  # a file upload: see the note above
}

from dangjian.members import models as _member_models  # noqa: E402

WATCHED_COUNTS += [
    _member_models.Member,
    _member_models.MemberCategory,
    _member_models.MemberTransfer,
    _member_models.TransferStep,
    _member_models.CommunityCheckin,
    _member_models.CheckinService,
    _member_models.MobileRegistration,
    _member_models.MobileReport,
]

_state_before_members = state


def state() -> dict:  # extends the fingerprint above with the member rows
    out = _state_before_members()
    m = _member_models
    out["members:rows"] = list(
        m.Member.objects.order_by("pk").values_list(
            "pk", "org_path", "area_path", "name", "work_unit", "updated_at"
        )
    )
    out["transfers:rows"] = list(
        m.MemberTransfer.objects.order_by("pk").values_list("pk", "state", "updated_at")
    )
    out["checkins:rows"] = list(
        m.CommunityCheckin.objects.order_by("pk").values_list("pk", "service_hours")
    )
    out["mobile:rows"] = list(
        m.MobileRegistration.objects.order_by("pk").values_list("pk", "active", "last_contact_on")
    )
    return out


# --- cadres (两委干部), reserve cadres, mentor pairs, 党员中心户 and 楼栋长 ----------------------
# Appended with the cadres: all are scoped by the village's (or unit's) area_path. Probes sit
# in 龙桥社区 and 凤山社区 of the first county.


def _probe_cadre(world, community: str, name: str, **kw):
    import datetime as dt

    from dangjian.members import services

    values = {
        "committee": "party",
        "position": "member",
        "gender": "male",
        "birth_date": dt.date(1980, 1, 1),
        "education": "bachelor",
        "term_start": dt.date(2021, 3, 1),
    }
    values.update(kw)
    return services.cadre_create(
        actor=world.users[INSIDER], area=world.nodes[community], name=name, **values
    )


def cadre_probes(world) -> list[Probe]:
    return [
        Probe(c.pk, c.name)
        for c in (
            _probe_cadre(world, "community", "越界探针书记", position="secretary"),
            _probe_cadre(world, "community2", "越界探针委员"),
        )
    ]


def _probe_reserve(world, community: str, name: str):
    import datetime as dt

    from dangjian.members import services

    return services.reserve_cadre_create(
        actor=world.users[INSIDER],
        area=world.nodes[community],
        name=name,
        gender="female",
        birth_date=dt.date(1996, 1, 1),
        education="bachelor",
    )


def reserve_probes(world) -> list[Probe]:
    out = []
    for i, community in enumerate(("community", "community2")):
        _probe_cadre(world, community, f"越界探针导师{i}")
        out.append(_probe_reserve(world, community, f"越界探针后备{i}"))
    return [Probe(r.pk, r.name) for r in out]


def mentorship_probes(world) -> list[Probe]:
    from dangjian.members import services

    out = []
    for i, community in enumerate(("community", "community2")):
        mentor = _probe_cadre(world, community, f"越界探针帮带导师{i}")
        mentee = _probe_reserve(world, community, f"越界探针帮带对象{i}")
        pair = services.mentor_pair_create(actor=world.users[INSIDER], mentor=mentor, mentee=mentee)
        out.append(Probe(pair.pk, mentee.name))
    return out


def unit_role_probes(world) -> list[Probe]:
    from dangjian.members import services

    out = []
    for i, role in enumerate(("center_household", "building_head")):
        m = _probe_member(world, "grid_branch", f"越界探针中心户{i}", 80 + i)
        r = services.unit_role_assign(
            actor=world.users[INSIDER], member=m, unit=world.nodes["unit"], role=role
        )
        out.append(Probe(r.pk, m.name))
    return out


def _mentor_for(reserve_pk: int) -> int:
    from dangjian.members.models import Cadre, ReserveCadre

    area_id = ReserveCadre.objects.get(pk=reserve_pk).area_id
    return Cadre.objects.filter(area_id=area_id).order_by("pk").values_list("pk", flat=True)[0]


FACTORIES.update(
    {
        "cadre": cadre_probes,
        "reserve": reserve_probes,
        "mentorship": mentorship_probes,
        "unit_role": unit_role_probes,
    }
)

_NEW_CADRE = {
    "committee": "party",
    "position": "member",
    "name": "越界新建干部",
    "gender": "male",
    "birth_date": "1980-01-01",
    "education": "bachelor",
    "term_start": "2021-03-01",
}

ROUTES += [
    Route("api", "/api/v1/members/cadres/", "cadre", "list"),
    Route("api", "/api/v1/members/cadres/?q=越界", "cadre", "list"),
    Route("api", "/api/v1/members/cadres/?area={id}", "area", "children"),
    Route("api", "/api/v1/members/cadres/{id}", "cadre", "detail"),
    Route(
        "api",
        "/api/v1/members/cadres/",
        "area",
        "write",
        method="POST",
        control_status=_ANY,
        data=lambda p: {**_NEW_CADRE, "area_id": p.pk},
        note="the insider gets 422 on areas that are not villages or communities",
    ),
    Route(
        "api",
        "/api/v1/members/cadres/{id}",
        "cadre",
        "write",
        method="PATCH",
        data={"education": "primary"},
    ),
    Route("api", "/api/v1/members/cadres/reserves/", "reserve", "list"),
    Route("api", "/api/v1/members/cadres/reserves/?area={id}", "area", "children"),
    Route(
        "api",
        "/api/v1/members/cadres/reserves/",
        "area",
        "write",
        method="POST",
        control_status=_ANY,
        data=lambda p: {
            "area_id": p.pk,
            "name": "越界后备",
            "gender": "male",
            "birth_date": "1995-01-01",
            "education": "college",
        },
    ),
    Route("api", "/api/v1/members/cadres/mentorships/", "mentorship", "list"),
    Route("api", "/api/v1/members/cadres/mentorships/?area={id}", "area", "children"),
    Route(
        "api",
        "/api/v1/members/cadres/mentorships/",
        "reserve",
        "write",
        method="POST",
        data=lambda p: {"mentor_id": _mentor_for(p.pk), "mentee_id": p.pk},
    ),
    Route("api", "/api/v1/members/unit-roles/", "unit_role", "list"),
    Route("api", "/api/v1/members/unit-roles/?area={id}", "area", "children"),
    Route(
        "api",
        "/api/v1/members/unit-roles/",
        "member",
        "write",
        method="POST",
        data=lambda p: {
            "member_id": p.pk,
            "unit_id": _area_pk("1号楼单元"),
            "role": "center_household",
        },
    ),
    Route("api", "/api/v1/members/unit-roles/{id}/end", "unit_role", "write", method="POST"),
    Route("api", "/api/v1/stats/cadres?area={id}", "area", "detail"),
]

WATCHED_COUNTS += [
    _member_models.Cadre,
    _member_models.ReserveCadre,
    _member_models.MentorPair,
    _member_models.UnitRole,
]

_state_before_cadres = state


def state() -> dict:  # extends the fingerprint above with the cadre rows
    out = _state_before_cadres()
    m = _member_models
    out["cadres:rows"] = list(
        m.Cadre.objects.order_by("pk").values_list("pk", "education", "ended_on", "updated_at")
    )
    out["unit_roles:rows"] = list(m.UnitRole.objects.order_by("pk").values_list("pk", "ended_on"))
    return out


# --- members: the console pages ----------------------------------------------------------------
# Appended by the member registry's console (dangjian/members/views.py). Form posts send the
# fields a browser would; a successful write answers 302 (to the file), a refused one 200 with
# the form's errors.

_WRITE_OK = frozenset({200, 302})

ROUTES += [
    Route("console", "/members/", "member", "list"),
    Route("console", "/members/?q=越界", "member", "list", note="name search"),
    Route("console", "/members/?q=YJ", "member", "list", note="pinyin initials search"),
    Route(
        "console",
        "/members/?q=" + _probe_id(0),
        "member",
        "list",
        control=False,
        note="ID number search",
    ),
    Route("console", "/members/?category=in_service&status=full", "member", "list"),
    Route("console", "/members/?org={id}", "org", "children", note="an org subtree filter"),
    Route("console", "/members/{id}/", "member", "detail"),
    Route("console", "/members/{id}/edit/", "member", "detail"),
    Route(
        "console",
        "/members/{id}/edit/",
        "member",
        "write",
        method="POST",
        data={"work_unit": "越界修改"},
        control_status=_WRITE_OK,
    ),
    Route(
        "console",
        "/members/{id}/reveal/",
        "member",
        "write",
        method="POST",
        data={"field": "id_number"},
        note="a reveal writes an audit row: an outsider's must write none",
    ),
    Route(
        "console",
        "/members/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {**_NEW_MEMBER, "org": p.pk},
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/{id}/transfer/", "member", "detail"),
    Route(
        "console",
        "/members/{id}/transfer/",
        "member",
        "write",
        method="POST",
        data=lambda p: {"kind": "internal", "to_org": _org_pk("中共凤凰山街道工作委员会")},
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/{id}/mobile/", "member", "detail"),
    Route(
        "console",
        "/members/{id}/mobile/",
        "member",
        "write",
        method="POST",
        data={"destination": "江苏省南通市", "left_on": "2026-01-01"},
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/transfers/", "transfer", "list"),
    Route("console", "/members/transfers/?state=requested", "transfer", "list"),
    Route(
        "console",
        "/members/transfers/{id}/transition/",
        "transfer",
        "write",
        method="POST",
        data={"action": "approve_out", "note": "同意"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/members/mobile/{id}/end/",
        "mobile",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route("console", "/members/checkins/", "checkin", "list"),
    Route("console", "/members/checkins/?q=越界", "checkin", "list"),
    Route(
        "console",
        "/members/export/",
        "member",
        "list",
        control=False,
        note="an .xlsx is compressed: tests/members/test_console.py opens it",
    ),
    Route("console", "/members/export/?reveal=1", "member", "list", control=False),
    Route(
        "console",
        "/members/stats/",
        "member",
        "list",
        control=False,
        note="counts only: no names to look for",
    ),
    Route("console", "/members/stats/?org={id}", "org", "children"),
    Route("console", "/members/stats/?area={id}", "area", "children"),
    # The pickers' options (htmx fragments)
    Route("console", "/members/options/orgs/", "org", "list"),
    Route("console", "/members/options/orgs/?q=中共", "org", "list"),
    Route("console", "/members/options/orgs/?purpose=target&q=ZG", "org", "list"),
    Route("console", "/members/options/areas/", "area", "list"),
    Route("console", "/members/options/areas/?purpose=residence&q=单元", "area", "list"),
]

# The upload form (a file names no probe: see the note above on POST /api/v1/members/import)
# and the blank template.
UNSCOPED_CONSOLE_ROUTES |= {"/members/import/", "/members/import/template/"}


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
    Route("api", "/api/v1/cases/{id}/reveal?field=reporter_phone", "event", "detail"),
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

from dangjian.cases import models as _case_models  # noqa: E402

WATCHED_COUNTS += [
    _case_models.Event,
    _case_models.EventStep,
    _case_models.EventLink,
    _case_models.EventMeToo,
    _case_models.EventNotice,
    _case_models.EventClass,
]

_state_before_cases = state


def state() -> dict:  # extends the fingerprint above with the event rows
    out = _state_before_cases()
    out["events:rows"] = list(
        _case_models.Event.objects.order_by("pk").values_list(
            "pk", "state", "department_id", "me_too_count", "updated_at"
        )
    )
    return out
