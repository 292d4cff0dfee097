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
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.models import AuditEntry
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

Kind = Literal["list", "export", "detail", "children", "self", "write"]
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
    - ``export``: a list started by POST (an export: a cross-site ``<img>`` must not start
      one), with ``data`` as its body; checked as a list;
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


def sealed_audit_probes(world) -> list[Probe]:
    """Audit rows of the first county whose actor is sealed (as an anonymous report's is)."""
    rows = [
        audit.record(
            actor=world.users["resident"],
            action="probe.sealed",
            object_type="territory.area",
            object_id=str(world.nodes[key].pk),
            object_repr=f"{AUDIT_MARKER}密封{world.nodes[key].pk}",
            area_path=world.nodes[key].path,
            seal=True,
        )
        for key in ("street", "grid")
    ]
    return [Probe(r.pk, r.object_repr, markers=(r.object_repr,)) for r in rows]


def me_probes(world) -> list[Probe]:
    """What /me must not mention: the first county's nodes, in either tree."""
    return [p for p in area_probes(world) + org_probes(world) if not p.ancestor]


FACTORIES: dict[str, Callable[[Any], list[Probe]]] = {
    "area": area_probes,
    "org": org_probes,
    "audit": audit_probes,
    "audit_sealed": sealed_audit_probes,
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
    Route("console", "/audit/?action=probe.sealed", "audit_sealed", "list"),
    Route(
        "console",
        "/audit/{id}/reveal/",
        "audit_sealed",
        "write",
        method="POST",
        data={"reason": "越界查看"},
        note="a reveal writes an audit row: an outsider's must write none",
    ),
    # The audit trail over the API
    Route("api", "/api/v1/audit/", "audit", "list"),
    Route("api", "/api/v1/audit/?page_size=200", "audit_sealed", "list"),
    Route(
        "api",
        "/api/v1/audit/{id}/reveal",
        "audit_sealed",
        "write",
        method="POST",
        data={"reason": "越界查看"},
        note="a reveal writes an audit row: an outsider's must write none",
    ),
]


# Routes that read no scoped rows (the health check, the login, a blank import template, the
# holiday table, one's own account page). Every other route must be in ROUTES above.
UNSCOPED_API_ROUTES: set[tuple[str, str]] = {
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/token"),
}
# The mobile home (/m/) shows tiles by permission, no scoped rows.
UNSCOPED_CONSOLE_ROUTES: set[str] = {"/login/", "/logout/", "/", "/holidays/", "/account/", "/m/"}


# --- "nothing changed" ------------------------------------------------------------------------
# Models whose row count must not move when an outsider calls a route; later modules append.
WATCHED_COUNTS: list[type] = [AuditEntry, Area, PartyOrg]


def _counts(models: list[type]) -> dict[str, int]:
    """Every model's row count in one query (the fingerprint is taken twice per probe run)."""
    from django.db import connection

    models = list(dict.fromkeys(models))
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT {i}, COUNT(*) FROM {quote(m._meta.db_table)}" for i, m in enumerate(models)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        found = dict(cursor.fetchall())
    return {m._meta.label: found[i] for i, m in enumerate(models)}


def state() -> dict:
    """A fingerprint of what an out-of-scope request must leave alone."""
    from dangjian.accounts.models import Department, Grant, User
    from dangjian.territory.models import Household

    out: dict[str, Any] = _counts([*WATCHED_COUNTS, Household, Department, Grant, User])
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

# The county's authorization of a street 党工委 to approve member development: a committee
# answers 409, a 党工委 200.
_AUTHORIZATION = {"document_no": "越界探针授权1号", "document_date": "2024-03-01"}
ROUTES += [
    Route(
        "api",
        "/api/v1/orgs/{id}/approval-authorization",
        "org",
        "write",
        method="POST",
        data=_AUTHORIZATION,
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}/approval-authorization/revoke",
        "org",
        "write",
        method="POST",
        control_status=frozenset({200, 409}),
    ),
    Route(
        "console",
        "/orgs/{id}/approval/",
        "org",
        "write",
        method="POST",
        data=_AUTHORIZATION,
        control_status=frozenset({302}),
    ),
]

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
    Route(
        "api",
        "/api/v1/members/{id}/reveal",
        "member",
        "write",
        method="POST",
        data={"field": "id_number", "purpose": "verify", "reason": "越界核实"},
    ),
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
        "export",
        method="POST",
        control=False,
        note="an .xlsx is compressed: tests/members/test_excel.py opens it",
    ),
    Route(
        "api",
        "/api/v1/members/export?reveal=true",
        "member",
        "export",
        method="POST",
        data={"reveal": True},
        control=False,
    ),
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

from dangjian.cadres import models as _cadre_models  # noqa: E402
from dangjian.cadres import services as cadre_services  # noqa: E402
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

    values = {
        "committee": "party",
        "position": "member",
        "gender": "male",
        "birth_date": dt.date(1980, 1, 1),
        "education": "bachelor",
        "term_start": dt.date(2021, 3, 1),
    }
    values.update(kw)
    return cadre_services.cadre_create(
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

    return cadre_services.reserve_cadre_create(
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

    out = []
    for i, community in enumerate(("community", "community2")):
        mentor = _probe_cadre(world, community, f"越界探针帮带导师{i}")
        mentee = _probe_reserve(world, community, f"越界探针帮带对象{i}")
        pair = cadre_services.mentor_pair_create(
            actor=world.users[INSIDER], mentor=mentor, mentee=mentee
        )
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
    from dangjian.cadres.models import Cadre, ReserveCadre

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
    _cadre_models.Cadre,
    _cadre_models.ReserveCadre,
    _cadre_models.MentorPair,
    _member_models.UnitRole,
]

_state_before_cadres = state


def state() -> dict:  # extends the fingerprint above with the cadre rows
    out = _state_before_cadres()
    m = _member_models
    out["cadres:rows"] = list(
        _cadre_models.Cadre.objects.order_by("pk").values_list(
            "pk", "education", "ended_on", "updated_at"
        )
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
        data={"field": "id_number", "purpose": "verify", "reason": "越界核实"},
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
        "export",
        method="POST",
        control=False,
        note="an .xlsx is compressed: tests/members/test_console.py opens it",
    ),
    Route(
        "console",
        "/members/export/?reveal=1",
        "member",
        "export",
        method="POST",
        data={"reveal": "1"},
        control=False,
    ),
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


# --- development (发展党员) ------------------------------------------------------------------------
# Appended by member development: applicants of the first county's grid branch (at step 0, 1
# and 2, one linked to t-resident's account), yearly targets on nodes of both trees of the first
# county, their API, console and mobile routes, the counts to watch and the applicant rows in
# the "nothing changed" fingerprint.


def applicant_probes(world) -> list[Probe]:
    from dangjian.development import registration
    from dangjian.development import services as development
    from tests.members.helpers import id_no

    admin = world.users[INSIDER]
    out = []
    for i in range(3):
        a = registration.applicant_create(
            actor=admin,
            org=world.orgs["grid_branch"],
            name=f"越界探针申请人{i}",
            ethnicity="01",
            id_number=id_no("19960101", 900 + i),
            phone="13800138000",
            user=world.users["resident"] if i == 2 else None,
        )
        for step in range(1, i + 1):
            extra = {"talker": "越界谈话人"} if step == 2 else {}
            a = development.applicant_transition(
                actor=admin, applicant=a, action=str(step), **extra
            )
        out.append(Probe(a.pk, a.name, markers=(f"/development/{a.pk}/",)))
    return out


def target_probes(world) -> list[Probe]:
    from dangjian.development import targets

    admin = world.users[INSIDER]
    out = []
    for kw, node in (
        ({"org": world.orgs["county_committee"]}, world.orgs["county_committee"]),
        ({"org": world.orgs["grid_branch"]}, world.orgs["grid_branch"]),
        ({"area": world.nodes["community"]}, world.nodes["community"]),
    ):
        t = targets.target_set(actor=admin, year=2026, activists=7, **kw)
        out.append(Probe(t.pk, node.name))
    return out


FACTORIES["applicant"] = applicant_probes
FACTORIES["dev_target"] = target_probes

_NEW_APPLICANT = {
    "name": "越界新申请人",
    "ethnicity": "01",
    "gender": "male",
    "birth_date": "1990-01-01",
}

ROUTES += [
    Route("api", "/api/v1/development/applicants/", "applicant", "list"),
    Route("api", "/api/v1/development/applicants/?page_size=200", "applicant", "list"),
    Route("api", "/api/v1/development/applicants/?stage=1", "applicant", "list"),
    Route("api", "/api/v1/development/applicants/?q=越界探针", "applicant", "list"),
    Route("api", "/api/v1/development/applicants/?org={id}", "org", "children"),
    Route("api", "/api/v1/development/applicants/?area={id}", "area", "children"),
    Route("api", "/api/v1/development/applicants/{id}", "applicant", "detail"),
    Route(
        "api",
        "/api/v1/development/applicants/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org_id": p.pk, **_NEW_APPLICANT},
        control_status=frozenset({200, 422}),
        note="the insider files applicants in branches and committees (200), not groups (422)",
    ),
    Route(
        "api",
        "/api/v1/development/applicants/{id}/transitions",
        "applicant",
        "write",
        method="POST",
        data={"action": "1", "note": "越界办理"},
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        "/api/v1/development/board/",
        "applicant",
        "list",
        control=False,
        note="the insider's board starts at the city, whose lists show the probes' ids",
    ),
    Route("api", "/api/v1/development/board/?org={id}", "org", "children"),
    Route("api", "/api/v1/development/board/?area={id}", "area", "children"),
    Route("api", "/api/v1/development/targets/", "dev_target", "list"),
    Route("api", "/api/v1/development/targets/?org={id}", "org", "children"),
    Route(
        "api",
        "/api/v1/development/targets/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"year": 2026, "org_id": p.pk, "activists": 3},
    ),
    # Console
    Route("console", "/development/", "applicant", "list"),
    Route("console", "/development/?stage=1", "applicant", "list"),
    Route("console", "/development/{id}/", "applicant", "detail"),
    Route(
        "console",
        "/development/{id}/transition/",
        "applicant",
        "write",
        method="POST",
        data={"action": "1"},
        control_status=frozenset({302, 409}),
    ),
    Route(
        "console",
        "/development/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org": p.pk, **_NEW_APPLICANT},
        control_status=frozenset({200, 302}),
    ),
    Route("console", "/development/board/", "applicant", "list"),
    Route("console", "/development/board/?org={id}", "org", "children"),
    Route("console", "/development/board/?area={id}", "area", "children"),
    Route(
        "console",
        "/development/board/targets/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"tree": "org", "node": p.pk, "year": 2026, "activists": 3},
        control_status=frozenset({302}),
    ),
    # Mobile: one's own record and those one is a contact of
    Route("console", "/m/development/", "applicant", "self", control=False),
]

from dangjian.development import models as _dev_models  # noqa: E402

WATCHED_COUNTS += [
    _dev_models.Applicant,
    _dev_models.ApplicantStep,
    _dev_models.ResponsiblePerson,
    _dev_models.DevelopmentTarget,
]

_state_before_development = state


def state() -> dict:  # extends the fingerprint above with the applicant and target rows
    out = _state_before_development()
    out["applicants:rows"] = list(
        _dev_models.Applicant.objects.order_by("pk").values_list(
            "pk", "step", "status", "org_path", "updated_at"
        )
    )
    out["dev_targets:rows"] = list(
        _dev_models.DevelopmentTarget.objects.order_by("pk").values_list(
            "pk", "activists", "candidates", "new_members", "updated_at"
        )
    )
    return out


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

from dangjian.cases.models import EventAttachment as _EventAttachment  # noqa: E402
from dangjian.core.models import StoredFile as _StoredFile  # noqa: E402

WATCHED_COUNTS += [_EventAttachment, _StoredFile]


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

from dangjian.orglife import models as _orglife_models  # noqa: E402

WATCHED_COUNTS += [
    _orglife_models.Session,
    _orglife_models.Attendance,
    _orglife_models.Vote,
    _orglife_models.Rating,
    _orglife_models.Plan,
    _orglife_models.Base,
    _orglife_models.SessionOrg,
]

_state_before_orglife = state


def state() -> dict:  # extends the fingerprint above with the session and attendance rows
    out = _state_before_orglife()
    out["orglife:sessions"] = list(
        _orglife_models.Session.objects.order_by("pk").values_list(
            "pk", "state", "topic", "updated_at"
        )
    )
    out["orglife:attendance"] = list(
        _orglife_models.Attendance.objects.order_by("pk").values_list("pk", "status", "updated_at")
    )
    return out


# --- members: background jobs, photos, service records, cadres in the console -----------------
# Appended by the member registry. A background job (``members.jobs``) is its creator's own:
# the probes are jobs of the insider, run to their end (the export has its workbook); the
# outsider reads 404 everywhere. ``POST /api/v1/members/imports/`` takes a file and names no
# probe (tests/members/test_jobs.py checks its scope); an export job naming an organization of
# the first county is refused (404) and writes no job.


def _member_job(world, kind: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.members import job_runs, jobs
    from tests.members.helpers import xlsx

    admin = world.users[INSIDER]
    if kind == "import":
        content = xlsx([["姓名", "民族"], ["越界探针导入", "汉族"]])
        job = jobs.import_job_start(actor=admin, upload=SimpleUploadedFile("probe.xlsx", content))
    else:
        job = jobs.export_job_start(actor=admin, filters={"q": "越界"})
    job_runs.run_job(job.pk)
    return Probe(job.pk, f"后台任务{job.pk}", markers=(f"/members/jobs/{job.pk}/",))


def import_job_probes(world) -> list[Probe]:
    return [_member_job(world, "import")]


def export_job_probes(world) -> list[Probe]:
    _probe_member(world, "grid_branch", "越界探针导出", 90)
    return [_member_job(world, "export")]


FACTORIES.update({"import_job": import_job_probes, "export_job": export_job_probes})

ROUTES += [
    Route("api", "/api/v1/members/imports/", "import_job", "list"),
    Route("api", "/api/v1/members/imports/{id}", "import_job", "detail"),
    Route("api", "/api/v1/members/exports/", "export_job", "list"),
    Route("api", "/api/v1/members/exports/{id}", "export_job", "detail"),
    Route(
        "api",
        "/api/v1/members/exports/{id}/file",
        "export_job",
        "detail",
        control=False,
        note="a streamed file: tests/members/test_jobs.py downloads and opens it",
    ),
    Route(
        "api",
        "/api/v1/members/exports/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org": p.pk},
        control_status=frozenset({200, 409}),
        note="one export job per user: the insider's next start, its first still queued, is 409",
    ),
    Route("console", "/members/jobs/", "export_job", "list"),
    Route("console", "/members/jobs/?page=1", "import_job", "list"),
    Route("console", "/members/jobs/{id}/", "export_job", "detail"),
    Route("console", "/members/jobs/{id}/?kind=import", "import_job", "detail"),
    Route("console", "/members/jobs/{id}/progress/", "import_job", "detail"),
    Route(
        "console",
        "/members/jobs/{id}/file/",
        "export_job",
        "detail",
        control=False,
        note="a streamed file: tests/members/test_jobs.py downloads and opens it",
    ),
    # The photo (probes have none: the insider's read is 404 too)
    Route("console", "/members/{id}/photo/", "member", "detail", control=False),
    Route(
        "console",
        "/members/{id}/photo/upload/",
        "member",
        "write",
        method="POST",
        control_status=frozenset({302}),
        note="no file: the insider is sent back with the message, the outsider gets 404",
    ),
    # The community's service records of a check-in
    Route("console", "/members/checkins/{id}/", "checkin", "detail"),
    Route(
        "console",
        "/members/checkins/{id}/",
        "checkin",
        "write",
        method="POST",
        data={"content": "越界服务", "hours": "1"},
        control_status=_WRITE_OK,
    ),
    # Cadres (两委), reserve cadres and mentor pairs
    Route("console", "/members/cadres/", "cadre", "list"),
    Route("console", "/members/cadres/?q=越界", "cadre", "list"),
    Route("console", "/members/cadres/{id}/edit/", "cadre", "detail"),
    Route(
        "console",
        "/members/cadres/{id}/edit/",
        "cadre",
        "write",
        method="POST",
        data={**_NEW_CADRE, "education": "primary"},
        control_status=_WRITE_OK,
    ),
    Route(
        "console",
        "/members/cadres/{id}/end/",
        "cadre",
        "write",
        method="POST",
        data={"ended_on": "2026-01-01"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/members/cadres/new/",
        "area",
        "write",
        method="POST",
        data=lambda p: {**_NEW_CADRE, "area": p.pk},
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/cadres/reserves/", "reserve", "list"),
    Route(
        "console",
        "/members/cadres/reserves/",
        "area",
        "write",
        method="POST",
        data=lambda p: {
            "area": p.pk,
            "name": "越界后备",
            "gender": "male",
            "birth_date": "1995-01-01",
            "education": "college",
        },
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/cadres/mentorships/", "mentorship", "list"),
    Route(
        "console",
        "/members/cadres/mentorships/",
        "reserve",
        "write",
        method="POST",
        data=lambda p: {"mentor": _mentor_for(p.pk), "mentee": p.pk},
        control_status=_WRITE_OK,
    ),
]

UNSCOPED_API_ROUTES |= {("POST", "/api/v1/members/imports/")}

WATCHED_COUNTS += [_member_models.MemberJob]

# Cancelling a job and removing a photo. The job probes have run to their end, so the
# insider's cancel is refused (409 in the API, a message and a redirect in the console); the
# member probes have no photo, so the insider's removal is refused the same way.
ROUTES += [
    Route(
        "api",
        "/api/v1/members/imports/{id}/cancel",
        "import_job",
        "write",
        method="POST",
        control_status=frozenset({409}),
    ),
    Route(
        "api",
        "/api/v1/members/exports/{id}/cancel",
        "export_job",
        "write",
        method="POST",
        control_status=frozenset({409}),
    ),
    Route(
        "console",
        "/members/jobs/{id}/cancel/",
        "export_job",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route(
        "api",
        "/api/v1/members/{id}/photo",
        "member",
        "write",
        method="DELETE",
        control_status=frozenset({409}),
        note="probes have no photo: the insider gets 409, the outsider 404 before that",
    ),
    Route(
        "console",
        "/members/{id}/photo/remove/",
        "member",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
]

_state_before_member_jobs = state


def state() -> dict:  # extends the fingerprint above with the job rows and the photos
    out = _state_before_member_jobs()
    m = _member_models
    out["member_jobs:rows"] = list(
        m.MemberJob.objects.order_by("pk").values_list(
            "pk", "state", "cancel_requested_at", "source_id", "result_id", "files_expired_at"
        )
    )
    out["member_photos:rows"] = list(
        m.Member.objects.filter(photo__isnull=False).order_by("pk").values_list("pk", "photo_id")
    )
    return out


# --- dues (党费) ---------------------------------------------------------------------------------
# Appended by the dues module: members of the first county with dues profiles (four months
# behind, so the arrears lists show them), a payment, a hardship request and a remittance of
# each, their API, console and mobile routes, the counts to watch (the ledger's too) and the
# dues rows in the "nothing changed" fingerprint. POST /api/v1/dues/quote reads no scoped row.

DUES_PROBE_ORGS = ("grid_branch", "unit_group", "street2_wc")


def _dues_month(offset: int = 0) -> str:
    from django.utils import timezone

    from dangjian.dues import calc

    return calc.month_text(calc.add_months(calc.month_of(timezone.localdate()), offset))


def _dues_probe_member(world, key: str, name: str, seq: int):
    from dangjian.dues import services as dues

    m = _probe_member(world, key, name, seq)
    dues.profile_set(
        actor=world.users[INSIDER],
        member=m,
        category="in_service",
        base="4000",
        effective_month=_dues_month(-4),
    )
    return m


def dues_member_probes(world) -> list[Probe]:
    return [
        Probe(m.pk, m.name)
        for m in (
            _dues_probe_member(world, key, f"越界探针党费{i}", 200 + i)
            for i, key in enumerate(DUES_PROBE_ORGS)
        )
    ]


def dues_payment_probes(world) -> list[Probe]:
    from dangjian.dues import services as dues

    out = []
    for i, key in enumerate(DUES_PROBE_ORGS):
        m = _dues_probe_member(world, key, f"越界探针缴费{i}", 210 + i)
        p, _ = dues.payment_create(actor=world.users[INSIDER], member=m, months=[_dues_month()])
        out.append(Probe(p.pk, m.name, markers=(p.receipt_no,)))
    return out


def dues_hardship_probes(world) -> list[Probe]:
    from dangjian.dues import services as dues

    out = []
    for i, key in enumerate(DUES_PROBE_ORGS[:2]):
        m = _dues_probe_member(world, key, f"越界探针减免{i}", 220 + i)
        h = dues.hardship_request(
            actor=world.users[INSIDER],
            member=m,
            kind="waive",
            from_month=_dues_month(1),
            to_month=_dues_month(2),
            reason="越界探针困难情况",
        )
        out.append(Probe(h.pk, m.name))
    return out


def dues_remittance_probes(world) -> list[Probe]:
    from dangjian.dues import services as dues

    m = _dues_probe_member(world, "grid_branch", "越界探针上缴", 230)
    dues.payment_create(actor=world.users[INSIDER], member=m, months=[_dues_month()])
    r, _ = dues.remittance_create(
        actor=world.users[INSIDER],
        org=world.orgs["grid_branch"],
        amount="40.00",
        period="越界探针上缴期间",
    )
    return [Probe(r.pk, "越界探针上缴期间", markers=("越界探针上缴期间",))]


FACTORIES.update(
    {
        "dues_member": dues_member_probes,
        "dues_payment": dues_payment_probes,
        "dues_hardship": dues_hardship_probes,
        "dues_remittance": dues_remittance_probes,
    }
)

_DUES_CREATED = frozenset({200, 201, 409, 422})

ROUTES += [
    Route("api", "/api/v1/dues/members/", "dues_member", "list"),
    Route("api", "/api/v1/dues/members/?page_size=200", "dues_member", "list"),
    Route("api", "/api/v1/dues/members/?arrears=3", "dues_member", "list"),
    Route("api", "/api/v1/dues/members/?q=越界", "dues_member", "list"),
    Route("api", "/api/v1/dues/members/?org={id}", "org", "children"),
    Route("api", "/api/v1/dues/members/{id}", "dues_member", "detail"),
    Route(
        "api",
        "/api/v1/dues/members/{id}",
        "dues_member",
        "write",
        method="PATCH",
        data={"base": "5000", "note": "越界修改"},
    ),
    Route("api", "/api/v1/dues/payments/", "dues_payment", "list"),
    Route("api", "/api/v1/dues/payments/?org={id}", "org", "children"),
    Route("api", "/api/v1/dues/payments/?member={id}", "dues_member", "children"),
    Route("api", "/api/v1/dues/payments/{id}", "dues_payment", "detail"),
    Route(
        "api",
        "/api/v1/dues/payments/",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {"member_id": p.pk, "months": [_dues_month()]},
        control_status=_DUES_CREATED,
    ),
    Route(
        "api",
        "/api/v1/dues/payments/{id}/reverse",
        "dues_payment",
        "write",
        method="POST",
        data={"note": "越界冲正"},
        control_status=frozenset({200, 409}),
        note="the remittance probe's branch may lack the balance: 409 for the insider",
    ),
    Route("api", "/api/v1/dues/arrears/", "dues_member", "list"),
    Route("api", "/api/v1/dues/arrears/?level=warning", "dues_member", "list"),
    Route("api", "/api/v1/dues/arrears/?org={id}", "org", "children"),
    Route("api", "/api/v1/dues/hardships/", "dues_hardship", "list"),
    Route("api", "/api/v1/dues/hardships/?org={id}", "org", "children"),
    Route("api", "/api/v1/dues/hardships/{id}", "dues_hardship", "detail"),
    Route(
        "api",
        "/api/v1/dues/hardships/",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {
            "member_id": p.pk,
            "kind": "waive",
            "from_month": _dues_month(1),
            "to_month": _dues_month(1),
            "reason": "越界申请",
        },
    ),
    Route(
        "api",
        "/api/v1/dues/hardships/{id}/transitions",
        "dues_hardship",
        "write",
        method="POST",
        data={"action": "agree", "note": "越界同意"},
    ),
    Route("api", "/api/v1/dues/remittances/", "dues_remittance", "list"),
    Route("api", "/api/v1/dues/remittances/?org={id}", "org", "children"),
    Route(
        "api",
        "/api/v1/dues/remittances/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org_id": p.pk, "amount": "1.00", "period": "越界上缴"},
        control_status=_DUES_CREATED,
        note="the insider's orgs hold no dues balance: 422",
    ),
    Route("api", "/api/v1/dues/totals?org={id}", "org", "detail"),
    Route("api", "/api/v1/dues/funds/?org={id}", "org", "detail"),
    Route("api", "/api/v1/dues/funds/?area={id}", "area", "detail"),
    # Console
    Route("console", "/dues/", "dues_member", "list"),
    Route("console", "/dues/?level=warning", "dues_member", "list"),
    Route("console", "/dues/?q=越界", "dues_member", "list"),
    Route("console", "/dues/?org={id}", "org", "children"),
    Route("console", "/dues/members/{id}/", "dues_member", "detail"),
    Route(
        "console",
        "/dues/members/{id}/",
        "dues_member",
        "write",
        method="POST",
        data={"form": "profile", "category": "in_service", "base": "5000"},
        control_status=_WRITE_OK,
    ),
    Route(
        "console",
        "/dues/members/{id}/?form=hardship",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {
            "form": "hardship",
            "kind": "waive",
            "from_month": _dues_month(1),
            "to_month": _dues_month(1),
            "reason": "越界申请",
        },
        control_status=_WRITE_OK,
    ),
    Route("console", "/dues/members/{id}/pay/", "dues_member", "detail"),
    Route(
        "console",
        "/dues/members/{id}/pay/",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {"months": _dues_month()},
        control_status=_WRITE_OK,
    ),
    Route("console", "/dues/payments/{id}/receipt/", "dues_payment", "detail"),
    Route(
        "console",
        "/dues/payments/{id}/reverse/",
        "dues_payment",
        "write",
        method="POST",
        data={"note": "越界冲正"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/dues/hardships/{id}/transition/",
        "dues_hardship",
        "write",
        method="POST",
        data={"action": "agree"},
        control_status=frozenset({302}),
    ),
    # Mobile
    Route("console", "/m/dues/", "dues_member", "self", control=False),
    Route("console", "/m/dues/receipts/{id}/", "dues_payment", "detail"),
]

UNSCOPED_API_ROUTES |= {("POST", "/api/v1/dues/quote")}

from dangjian.core import models as _core_models  # noqa: E402
from dangjian.dues import models as _dues_models  # noqa: E402

WATCHED_COUNTS += [
    _dues_models.DuesProfile,
    _dues_models.DuesBase,
    _dues_models.DuesPayment,
    _dues_models.DuesPaymentMonth,
    _dues_models.Hardship,
    _dues_models.HardshipStep,
    _dues_models.DuesRemittance,
    _core_models.LedgerAccount,
    _core_models.LedgerTransaction,
    _core_models.LedgerEntry,
]

_state_before_dues = state


def state() -> dict:  # extends the fingerprint above with the dues rows
    out = _state_before_dues()
    d = _dues_models
    out["dues_profiles:rows"] = list(
        d.DuesProfile.objects.order_by("pk").values_list("pk", "category", "quarterly")
    )
    out["dues_bases:rows"] = list(
        d.DuesBase.objects.order_by("pk").values_list("pk", "base", "amount", "effective_month")
    )
    out["dues_payments:rows"] = list(
        d.DuesPayment.objects.order_by("pk").values_list("pk", "reversed_at")
    )
    out["dues_hardships:rows"] = list(d.Hardship.objects.order_by("pk").values_list("pk", "state"))
    out["ledger_accounts:rows"] = list(
        _core_models.LedgerAccount.objects.order_by("pk").values_list("pk", "balance")
    )
    return out


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
    Route("console", "/dues/remittances/", "dues_remittance", "list"),
    Route("console", "/dues/remittances/?org={id}", "org", "children"),
    Route("console", "/dues/remittances/new/", "org", "list"),
    Route("console", "/dues/remittances/new/?org={id}", "org", "detail"),
    Route(
        "console",
        "/dues/remittances/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org": p.pk, "month": "2026-07", "amount": "1.00"},
        control_status=frozenset({302, 403, 422}),
        note="the insider's orgs hold no dues balance: 422",
    ),
    Route("console", "/dues/funds/", "org", "list"),
    Route("console", "/dues/funds/?org={id}", "org", "detail"),
]

WATCHED_COUNTS += [_orglife_models.PlanItem]

_state_before_plans = state


def state() -> dict:  # extends the fingerprint above with the plan items
    out = _state_before_plans()
    out["orglife:plan_items"] = list(
        _orglife_models.PlanItem.objects.order_by("pk").values_list("pk", "month", "topic")
    )
    return out


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


# --- committees as elected (members.committee_*) ----------------------------------------------------
# Appended by the committee record: the organization probes above. The outsider reads 404 for
# the committee of any of them and writes none; the insider's identical write names no seats
# (422: a secretary is required).

ROUTES += [
    Route("api", "/api/v1/orgs/{id}/committee", "org", "detail"),
    Route(
        "api",
        "/api/v1/orgs/{id}/committee",
        "org",
        "write",
        method="POST",
        data={"term_start": "2026-01-10", "seats": []},
        control_status=frozenset({422}),
    ),
    Route("console", "/members/committees/{id}/", "org", "detail"),
    Route(
        "console",
        "/members/committees/{id}/",
        "org",
        "write",
        method="POST",
        data={"term_start": "2026-01-10"},
        control_status=frozenset({422}),
    ),
]

_state_before_committees = state


def state() -> dict:  # extends the fingerprint above with the committees and their seats
    from dangjian.members.models.committee import CommitteeSeat, OrgCommittee

    out = _state_before_committees()
    out["members:committees"] = list(
        OrgCommittee.objects.order_by("pk").values_list("pk", "status", "ended_on")
    )
    out["members:committee_seats"] = list(
        CommitteeSeat.objects.order_by("pk").values_list("pk", "ends_on")
    )
    return out


# --- members: disciplinary sanctions ------------------------------------------------------------
# The revoke routes name the member ({id}) and a sanction: with the probe's pk in both places
# no such sanction belongs to it, so the insider's control answers 404 too.
_SANCTION = {"kind": "warning", "decided_on": "2026-01-05", "reason": "越界探针处分"}
ROUTES += [
    Route(
        "api",
        "/api/v1/members/{id}/sanctions",
        "member",
        "detail",
        control=False,
        note="the list names no member: the insider's 200 is checked in tests/members",
    ),
    Route(
        "api", "/api/v1/members/{id}/sanctions", "member", "write", method="POST", data=_SANCTION
    ),
    Route(
        "api",
        "/api/v1/members/{id}/sanctions/{id}/revoke",
        "member",
        "write",
        method="POST",
        data={"reason": "越界撤销"},
        control_status=frozenset({404}),
    ),
    Route(
        "console",
        "/members/{id}/sanctions/",
        "member",
        "write",
        method="POST",
        data=_SANCTION,
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/members/{id}/sanctions/{id}/revoke/",
        "member",
        "write",
        method="POST",
        data={"reason": "越界撤销"},
        control_status=frozenset({404}),
    ),
]
WATCHED_COUNTS += [_member_models.Sanction]


# --- areaimport ------------------------------------------------------------------------------------
# The imports of the governance tree take a file (multipart): their POSTs name no probe in path
# or JSON body, so they are unscoped here; tests/territory/test_imports.py checks that an
# outsider's file naming the first county's areas writes nothing. The households of an area and
# the reveal of a head of household are scoped.


def household_probes(world) -> list[Probe]:
    from dangjian.territory.models import Household

    rows = [
        Household.objects.create(
            unit=world.nodes["unit"],
            area_path=world.nodes["unit"].path,
            door=f"越界探针{i}室",
            head_name="探针户主",
        )
        for i in (1, 2)
    ]
    return [Probe(h.pk, h.door, markers=(h.door,)) for h in rows]


FACTORIES["household"] = household_probes
ROUTES += [
    Route("api", "/api/v1/areas/{id}/households/", "area", "detail"),
    Route(
        "api",
        "/api/v1/areas/households/{id}/reveal",
        "household",
        "write",
        method="POST",
        data={"purpose": "service", "reason": "越界核对"},
        note="a reveal writes an audit row: an outsider's must write none",
    ),
]
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/areas/import/template"),
    ("POST", "/api/v1/areas/import"),
    ("GET", "/api/v1/areas/households/import/template"),
    ("POST", "/api/v1/areas/households/import"),
    ("GET", "/api/v1/areas/boundaries/import/template"),
    ("POST", "/api/v1/areas/boundaries/import"),
}
UNSCOPED_CONSOLE_ROUTES |= {
    "/areas/import/",
    "/areas/import/template/",
    "/areas/households/import/",
    "/areas/households/import/template/",
    "/areas/boundaries/import/",
    "/areas/boundaries/import/template/",
}


# --- login ---
# Login security (issue 14): unlocking an account, over the API and by the console button.
# The probes are accounts of the first county that t-street3 may not manage.
def login_user_probes(world) -> list[Probe]:
    return [Probe(world.users[key].pk, world.users[key].username) for key in ("community", "grid")]


FACTORIES["login_user"] = login_user_probes
ROUTES += [
    Route("api", "/api/v1/users/{id}/unlock", "login_user", "write", method="POST"),
    Route("api", "/api/v1/users/{id}/lock", "login_user", "write", method="POST"),
    Route(
        "console",
        "/users/{id}/unlock/",
        "login_user",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
]
# Signing out concerns one's own token and sessions only.
UNSCOPED_API_ROUTES |= {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/logout-all")}

# --- committees ---------------------------------------------------------------------------------
# Terms and elections (members.committee_terms, committee_selectors.elections_due): the probes
# are organizations of the first county with a committee due within the reminder window and
# full members to seat. The insider's identical writes are refused on their values (422: a
# postponement of five years) or find no such seat (404); the outsider's answer 404.


def election_org_probes(world) -> list[Probe]:
    import datetime as _dt

    from dangjian.members.models import Member
    from dangjian.members.models.committee import CommitteeSeat, OrgCommittee

    today = timezone.localdate()
    out = []
    for i, key in enumerate(("grid_branch", "street2_wc", "community_committee")):
        o = world.orgs[key]
        members = [
            _probe_member(world, key, f"越界探针委员{i}{j}", 300 + i * 5 + j) for j in range(3)
        ]
        Member.objects.filter(pk__in=[m.pk for m in members]).update(status="full")
        start = today.replace(year=today.year - 5) + _dt.timedelta(days=30)
        c = OrgCommittee.objects.create(
            org=o,
            org_path=o.path,
            elected_on=start,
            term_start=start,
            term_end=today + _dt.timedelta(days=29),
        )
        CommitteeSeat.objects.bulk_create(
            CommitteeSeat(
                committee=c,
                member=m,
                member_name=m.name,
                org_path=o.path,
                post="secretary" if j == 0 else "member",
                starts_on=start,
            )
            for j, m in enumerate(members)
        )
        out.append(Probe(o.pk, o.name, markers=(f"/orgs/{o.pk}/",)))
    return out


def _five_years_on(_probe) -> dict:
    today = timezone.localdate()
    return {
        "postponed_to": today.replace(year=today.year + 5).isoformat(),
        "document_no": "越界批准",
        "document_date": today.isoformat(),
    }


FACTORIES["election_org"] = election_org_probes
ROUTES += [
    Route("api", "/api/v1/elections/due/", "election_org", "list"),
    Route("api", "/api/v1/elections/due/?status=all&page_size=200", "election_org", "list"),
    Route("api", "/api/v1/elections/due/?org={id}", "election_org", "detail"),
    Route(
        "api",
        "/api/v1/orgs/{id}/committee/postpone",
        "election_org",
        "write",
        method="POST",
        data=_five_years_on,
        control_status=frozenset({422}),
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}/committee/seats",
        "election_org",
        "write",
        method="POST",
        data=lambda p: {
            "member_id": p.pk,
            "post": "member",
            "starts_on": timezone.localdate().isoformat(),
        },
        control_status=frozenset({422}),
        note="the probe's pk as the member: not a member of the organization (422)",
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}/committee/seats/{id}/end",
        "election_org",
        "write",
        method="POST",
        data=lambda p: {"ends_on": timezone.localdate().isoformat(), "reason": "越界离任"},
        control_status=frozenset({404, 200}),
        note="the probe's pk as the seat: almost always no such seat of the committee (404)",
    ),
]

ROUTES += [
    Route("console", "/members/elections/", "election_org", "list"),
    Route("console", "/members/elections/?status=all", "election_org", "list"),
    Route(
        "console",
        "/members/committees/{id}/postpone/",
        "election_org",
        "write",
        method="POST",
        data=_five_years_on,
        control_status=frozenset({302}),
        note="the insider's refusal is shown as a message after the redirect",
    ),
    Route(
        "console",
        "/members/committees/{id}/seats/",
        "election_org",
        "write",
        method="POST",
        data=lambda p: {"member_id": p.pk, "post": "member"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/members/committees/{id}/seats/{id}/end/",
        "election_org",
        "write",
        method="POST",
        data={"reason": "越界离任"},
        control_status=frozenset({302, 404}),
    ),
]

ROUTES += [
    Route(
        "api",
        "/api/v1/orgs/{id}/elections/{id}/comparison",
        "election_org",
        "detail",
        control=False,
        note="the probe's pk as the committee: the insider's 200 is checked in "
        "tests/members/test_election_comparison.py",
    ),
    Route(
        "api",
        "/api/v1/elections/comparison?year=2026",
        "election_org",
        "list",
        control=False,
        note="figures pooled, no names: the outsider's zero is checked in "
        "tests/members/test_election_comparison.py",
    ),
]

# File uploads and the blank template, as the member import: the organizations of the file are
# looked up among those the caller manages (an outsider's rows are reported as not found and
# nothing is written: tests/members/test_committee_import.py).
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/orgs/committees/import/template"),
    ("POST", "/api/v1/orgs/committees/import"),
}
UNSCOPED_CONSOLE_ROUTES |= {"/members/committees/import/", "/members/committees/import/template/"}

_state_before_elections = state


def state() -> dict:  # extends the fingerprint with the postponements and the seats' reasons
    from dangjian.members.models.committee import CommitteeSeat, OrgCommittee

    out = _state_before_elections()
    out["members:committee_terms"] = list(
        OrgCommittee.objects.order_by("pk").values_list(
            "pk", "postponed_to", "postpone_document_no"
        )
    )
    out["members:committee_seat_rows"] = list(
        CommitteeSeat.objects.order_by("pk").values_list("pk", "post", "end_reason")
    )
    return out


# --- areas ---
# The governance tree's writes and history (issue 14): the outsider (a street of the other
# county) may neither create under, change, move, merge, close nor reopen the first county's
# areas, nor read their history. The insider's identical request is refused on its own terms
# for some probes (a grid under a county, a move or merge into itself, a close of an area that
# still has children), so its statuses are listed.
_AREAS = "/api/v1/areas"
ROUTES += [
    Route(
        "api",
        f"{_AREAS}/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"parent_id": p.pk, "name": "越界新建区域", "kind": "grid"},
        control_status=frozenset({201, 422}),
    ),
    Route(
        "api",
        f"{_AREAS}/{{id}}",
        "area",
        "write",
        method="PATCH",
        data={"name": "越界改名"},
    ),
    Route(
        "api",
        f"{_AREAS}/{{id}}/move",
        "area",
        "write",
        method="POST",
        data=lambda p: {"parent_id": p.pk},
        control_status=frozenset({422}),
    ),
    Route(
        "api",
        f"{_AREAS}/{{id}}/merge",
        "area",
        "write",
        method="POST",
        data=lambda p: {"into_id": p.pk},
        control_status=frozenset({422}),
    ),
    Route(
        "api",
        f"{_AREAS}/{{id}}/close",
        "area",
        "write",
        method="POST",
        data={"reason": "越界撤销"},
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        f"{_AREAS}/{{id}}/reopen",
        "area",
        "write",
        method="POST",
        control_status=frozenset({409}),
    ),
    Route("api", f"{_AREAS}/{{id}}/history", "area", "detail"),
    Route("api", f"{_AREAS}/?include_closed=1", "area", "list"),
    Route("api", f"{_AREAS}/?parent={{id}}&include_closed=1", "area", "children"),
]
# The console's forms of the same actions (console.area_admin_views).
ROUTES += [
    *(
        Route("console", f"/areas/{{id}}/{action}/", "area", "detail")
        for action in ("new", "edit", "move", "merge", "close")
    ),
    Route(
        "console",
        "/areas/{id}/new/",
        "area",
        "write",
        method="POST",
        data={"kind": "grid", "name": "越界新建区域", "households": 0, "population": 0},
        control_status=frozenset({302, 422}),
    ),
    Route(
        "console",
        "/areas/{id}/edit/",
        "area",
        "write",
        method="POST",
        data={"name": "越界改名", "households": 0, "population": 0},
        control_status=frozenset({302, 422}),
    ),
    Route(
        "console",
        "/areas/{id}/move/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"parent": p.pk},
        control_status=frozenset({422}),
    ),
    Route(
        "console",
        "/areas/{id}/merge/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"into": p.pk},
        control_status=frozenset({422}),
    ),
    Route(
        "console",
        "/areas/{id}/close/",
        "area",
        "write",
        method="POST",
        data={"reason": "越界撤销"},
        control_status=frozenset({302, 409}),
    ),
    Route(
        "console",
        "/areas/{id}/reopen/",
        "area",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route("console", "/areas/{id}/?include_closed=1", "area", "detail"),
    Route("console", "/areas/{id}/children/?include_closed=1", "area", "children"),
]


# --- orgs ---
# The party tree's administration (issue 14): create under a probe, change, change kind, move,
# dissolve. The outsider reads 404 for each probe and writes nothing; the insider's identical
# request answers what the probe allows (a group cannot sit under a committee: 422; a probe
# with children cannot be dissolved: 409). POST /api/v1/orgs/import takes a file and names no
# probe: tests/organizations/test_import.py checks that an outsider's file naming the first
# county's organizations writes nothing.
from dangjian.organizations import models as _org_models  # noqa: E402

ROUTES += [
    Route(
        "api",
        "/api/v1/orgs/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "parent_id": p.pk,
            "area_id": p.pk,
            "name": "越界探针党小组",
            "kind": "group",
            "domain": "community",
        },
        control_status=frozenset({201, 404, 422}),
        note="area_id is the probe's pk: an area the insider may or may not find",
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}",
        "org",
        "write",
        method="PATCH",
        data={"name": "越界改名"},
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}/change-kind",
        "org",
        "write",
        method="POST",
        data={"kind": "general_branch", "reason": "越界"},
        control_status=frozenset({200, 409, 422}),
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}/dissolve",
        "org",
        "write",
        method="POST",
        data={"reason": "越界撤销"},
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}/move",
        "org",
        "write",
        method="POST",
        data=lambda p: {"parent_id": p.pk},
        control_status=frozenset({422}),
        note="under itself: the insider's 422",
    ),
]
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/orgs/import/template"),  # the blank template
    ("POST", "/api/v1/orgs/import"),  # a file upload: see the note above
}
WATCHED_COUNTS += [
    _org_models.JointUnit,
    _org_models.CoveredVillage,
    _org_models.ResidentUnitMember,
    _org_models.KindChange,
]
# The console's pages of the same (the outsider's GET and POST read 404 for every probe).
_ORG_FORM = {"name": "越界改名", "form": "regular", "domain": "community", "kind": "group"}
ROUTES += [
    Route("console", "/orgs/{id}/new/", "org", "detail"),
    Route("console", "/orgs/{id}/edit/", "org", "detail"),
    Route("console", "/orgs/{id}/kind/", "org", "detail"),
    Route("console", "/orgs/{id}/dissolve/", "org", "detail"),
    Route(
        "console",
        "/orgs/{id}/new/",
        "org",
        "write",
        method="POST",
        data=_ORG_FORM,
        control_status=frozenset({422}),
        note="no area chosen: the insider's form answers 422",
    ),
    Route(
        "console",
        "/orgs/{id}/edit/",
        "org",
        "write",
        method="POST",
        data=_ORG_FORM,
        control_status=frozenset({422}),
    ),
    Route(
        "console",
        "/orgs/{id}/kind/",
        "org",
        "write",
        method="POST",
        data={"kind": "general_branch"},
        control_status=frozenset({302, 409, 422}),
    ),
    Route(
        "console",
        "/orgs/{id}/dissolve/",
        "org",
        "write",
        method="POST",
        data={"reason": "越界撤销"},
        control_status=frozenset({302, 409}),
    ),
]
UNSCOPED_CONSOLE_ROUTES |= {"/orgs/import/", "/orgs/import/template/"}


# --- people ---
# Users, their grants, departments, invitations and registrations of the first county (issue
# 14, "People and their reach"): the outsider lists none, reads 404 on each, and can neither
# change, deactivate, reset, grant nor revoke there.
# Not "street": its user name is part of the outsider's own (t-street3).
_PEOPLE_USERS = ("community", "grid", "member", "resident")


def people_user_probes(world) -> list[Probe]:
    return [
        Probe(world.users[k].pk, world.users[k].username, markers=(f"/users/{world.users[k].pk}/",))
        for k in _PEOPLE_USERS
    ]


def people_grant_probes(world) -> list[Probe]:
    from dangjian.accounts.models import Grant

    return [
        Probe(g.pk, f"grant-{g.pk}")
        for g in Grant.objects.filter(user__in=[world.users[k] for k in _PEOPLE_USERS])
    ]


FACTORIES["people_user"] = people_user_probes
FACTORIES["people_grant"] = people_grant_probes

_PEOPLE_OK = frozenset({200})
ROUTES += [
    Route("api", "/api/v1/users/", "people_user", "list"),
    Route("api", "/api/v1/users/?page_size=200&q=t-", "people_user", "list"),
    Route("api", "/api/v1/users/?area={id}", "area", "children"),
    Route("api", "/api/v1/users/{id}", "people_user", "detail"),
    Route("api", "/api/v1/users/{id}/grants/", "people_user", "detail"),
    Route("api", "/api/v1/users/{id}/reach", "people_user", "detail"),
    Route(
        "api",
        "/api/v1/users/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"username": f"x-probe-{p.pk}", "real_name": "越界", "area_id": p.pk},
    ),
    Route(
        "api",
        "/api/v1/users/{id}",
        "people_user",
        "write",
        method="PATCH",
        data={"real_name": "越界改名"},
    ),
    Route("api", "/api/v1/users/{id}/deactivate", "people_user", "write", method="POST"),
    Route("api", "/api/v1/users/{id}/reactivate", "people_user", "write", method="POST"),
    Route("api", "/api/v1/users/{id}/reset-password", "people_user", "write", method="POST"),
    Route(
        "api",
        "/api/v1/users/{id}/grants/",
        "people_user",
        "write",
        method="POST",
        data={"role": "resident"},
        control_status=frozenset({200, 422}),
    ),
    Route("api", "/api/v1/grants/{id}/revoke", "people_grant", "write", method="POST"),
]

_state_before_people = state


def state() -> dict:  # extends the fingerprint above with the accounts' own fields
    from dangjian.accounts.models import Grant, User

    out = _state_before_people()
    out["people:users"] = list(
        User.objects.order_by("pk").values_list("pk", "real_name", "must_change_password")
    )
    out["people:grants"] = list(Grant.objects.order_by("pk").values_list("pk", "ends_on"))
    return out


# The user import takes a file (its rows name areas by code or name, checked against the
# uploader's scope in tests/accounts/test_import.py); the template is blank.
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/users/import/template"),
    ("POST", "/api/v1/users/import"),
}


def people_department_probes(world) -> list[Probe]:
    from dangjian.accounts.models import Department

    out = []
    for key, name in (("street", "越界探针城管中队"), ("street2", "越界探针市政所")):
        node = world.nodes[key]
        d = Department.objects.create(name=name, area=node, area_path=node.path)
        d.served_areas.set([node])
        out.append(Probe(d.pk, name))
    return out


FACTORIES["people_department"] = people_department_probes
ROUTES += [
    Route("api", "/api/v1/departments/", "people_department", "list"),
    Route("api", "/api/v1/departments/?q=越界探针", "people_department", "list"),
    Route("api", "/api/v1/departments/?area={id}", "area", "children"),
    Route("api", "/api/v1/departments/{id}", "people_department", "detail"),
    Route(
        "api",
        "/api/v1/departments/{id}",
        "people_department",
        "write",
        method="PATCH",
        data={"name": "越界改名"},
    ),
    Route(
        "api",
        "/api/v1/departments/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"name": f"越界部门{p.pk}", "area_id": p.pk},
    ),
]

_state_before_people_departments = state


def state() -> dict:  # extends the fingerprint above with the departments' names and areas
    from dangjian.accounts.models import Department

    out = _state_before_people_departments()
    out["people:departments"] = list(
        Department.objects.order_by("pk").values_list("pk", "name", "active")
    )
    out["people:served"] = list(
        Department.served_areas.through.objects.order_by("pk").values_list(
            "department_id", "area_id"
        )
    )
    return out


def people_registration_probes(world) -> list[Probe]:
    from dangjian.accounts import services as accounts_services
    from dangjian.accounts.models import GridInvitation

    grid = world.nodes["grid"]
    inv = GridInvitation.objects.create(area=grid, area_path=grid.path, code="PROBE234")
    out = []
    for i, name in enumerate(("越界探针居民甲", "越界探针居民乙")):
        reg = accounts_services.registration_submit(
            code=inv.code, name=name, phone=f"1370000000{i}", password="Abcd-1234x"
        )
        out.append(Probe(reg.pk, name))
    return out


def people_invitation_probes(world) -> list[Probe]:
    from dangjian.accounts.models import GridInvitation

    grid = world.nodes["grid2"]
    inv = GridInvitation.objects.create(area=grid, area_path=grid.path, code="PROBE567")
    return [Probe(inv.pk, inv.code)]


FACTORIES["people_registration"] = people_registration_probes
FACTORIES["people_invitation"] = people_invitation_probes
ROUTES += [
    Route("api", "/api/v1/registrations/", "people_registration", "list"),
    Route("api", "/api/v1/registrations/?state=", "people_registration", "list"),
    Route(
        "api", "/api/v1/registrations/{id}/confirm", "people_registration", "write", method="POST"
    ),
    Route(
        "api",
        "/api/v1/registrations/{id}/reject",
        "people_registration",
        "write",
        method="POST",
        data={"reason": "越界退回"},
    ),
    Route("api", "/api/v1/invitations/", "people_invitation", "list"),
    Route("api", "/api/v1/invitations/{id}/qr", "people_invitation", "detail"),
    Route(
        "api",
        "/api/v1/invitations/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area_id": p.pk},
        control_status=frozenset({200, 422}),
        note="only grids take a code: the insider's request on other levels is a 422",
    ),
    Route("console", "/m/registrations/", "people_registration", "list"),
    Route(
        "console",
        "/m/registrations/{id}/",
        "people_registration",
        "write",
        method="POST",
        data={"op": "confirm"},
        control_status=frozenset({302}),
    ),
]
# The sign-up page is open to everyone and shows no scoped row but the grid a valid code names.
UNSCOPED_CONSOLE_ROUTES |= {"/m/register/"}

_state_before_people_registrations = state


def state() -> dict:  # extends the fingerprint above with registrations and invitations
    from dangjian.accounts.models import GridInvitation, Registration

    out = _state_before_people_registrations()
    out["people:registrations"] = list(
        Registration.objects.order_by("pk").values_list("pk", "state", "user_id")
    )
    out["people:invitations"] = list(
        GridInvitation.objects.order_by("pk").values_list("pk", "code", "active")
    )
    return out


ROUTES += [
    Route("api", "/api/v1/users/{id}/member", "people_user", "detail"),
    Route(
        "api",
        "/api/v1/users/{id}/link-member",
        "people_user",
        "write",
        method="POST",
        data={"member_id": 999999},
        control_status=frozenset({404}),
        note="no such file: the insider's control reads 404 too",
    ),
    Route(
        "api",
        "/api/v1/users/{id}/unlink-member",
        "people_user",
        "write",
        method="POST",
        control_status=frozenset({422}),
    ),
]

# The console pages of users, departments, registrations and invitations.
ROUTES += [
    Route("console", "/users/", "people_user", "list"),
    Route("console", "/users/?q=t-", "people_user", "list"),
    Route("console", "/users/?area={id}", "area", "children"),
    Route("console", "/users/new/", "area", "list", control=False),
    Route(
        "console",
        "/users/new/",
        "area",
        "write",
        method="POST",
        data=lambda p: {
            "username": f"x-c-{p.pk}",
            "real_name": "越界",
            "kind": "staff",
            "area": p.pk,
        },
        control_status=frozenset({200}),
        note="the outsider's form refuses an area it does not offer (200 with the error)",
    ),
    Route("console", "/users/{id}/", "people_user", "detail"),
    Route("console", "/users/{id}/edit/", "people_user", "detail"),
    Route(
        "console",
        "/users/{id}/edit/",
        "people_user",
        "write",
        method="POST",
        data={"real_name": "越界改名", "kind": "staff"},
        control_status=frozenset({200, 302}),
    ),
    Route(
        "console",
        "/users/{id}/reset-password/",
        "people_user",
        "write",
        method="POST",
        control_status=frozenset({200}),
    ),
    Route(
        "console",
        "/users/{id}/active/",
        "people_user",
        "write",
        method="POST",
        data={"op": "deactivate"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/users/{id}/grants/",
        "people_user",
        "write",
        method="POST",
        data={"g-role": "resident"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/users/grants/{id}/revoke/",
        "people_grant",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route("console", "/users/departments/", "people_department", "list"),
    Route("console", "/users/departments/{id}/", "people_department", "detail"),
    Route(
        "console",
        "/users/departments/{id}/",
        "people_department",
        "write",
        method="POST",
        data={"name": "越界改名", "active": "on"},
        control_status=frozenset({200, 302}),
    ),
    Route("console", "/users/registrations/", "people_registration", "list"),
    Route("console", "/users/registrations/?state=", "people_registration", "list"),
    Route(
        "console",
        "/users/registrations/{id}/",
        "people_registration",
        "write",
        method="POST",
        data={"op": "confirm"},
        control_status=frozenset({302}),
    ),
    Route("console", "/users/invitations/", "people_invitation", "list"),
    Route(
        "console",
        "/users/invitations/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area": p.pk},
        control_status=frozenset({302}),
    ),
]
UNSCOPED_CONSOLE_ROUTES |= {"/users/import/", "/users/import/template/"}

# issue 19: the session's check-in code, renewed every minute, and its projector screen;
# issue 18: everyone unmarked marked present in one step; the browser's icon.
UNSCOPED_CONSOLE_ROUTES |= {"/favicon.ico"}
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


# --- to-dos and notifications (issue 18) ---------------------------------------------------------
# One's inbox and notifications are one's own. The to-do lists must show none of the first
# county's events to t-street3 (whose street is in the other county); the notification probes
# are a first-county secretary's notifications, which nobody else reads or marks, the insider
# included (no control: no grant reaches another person's notifications or inbox).
def notification_probes(world) -> list[Probe]:
    from dangjian.core import notify as _notify
    from dangjian.core.models import Notification

    owner = world.users["community"]
    out = []
    for i in range(2):
        title = f"越界探针通知{i}"
        _notify.notify(recipients=[owner], kind="probe", title=title, key=f"probe:{i}")
        n = Notification.objects.get(recipient=owner, key=f"probe:{i}")
        out.append(Probe(n.pk, title))
    return out


FACTORIES["notification"] = notification_probes
_state_before_notifications = state


def state() -> dict:  # extends the fingerprint: no outsider marks anyone's notification read
    from dangjian.core.models import Notification

    out = _state_before_notifications()
    out["core.Notification:unread"] = Notification.objects.filter(read_at__isnull=True).count()
    return out


ROUTES += [
    Route("api", "/api/v1/todos/", "event", "list", control=False),
    Route("api", "/api/v1/todos/?page_size=200", "event", "list", control=False),
    Route("api", "/api/v1/notifications/", "notification", "list", control=False),
    Route("api", "/api/v1/notifications/?unread=true", "notification", "list", control=False),
    Route(
        "api",
        "/api/v1/notifications/read",
        "notification",
        "write",
        method="POST",
        data=lambda p: {"ids": [p.pk]},
        control_status=frozenset({404}),
    ),
    Route("console", "/todos/", "event", "list", control=False),
    Route("console", "/todos/counts/", "event", "self"),
    Route("console", "/notifications/", "notification", "list", control=False),
    Route("console", "/notifications/?unread=1", "notification", "list", control=False),
    Route("console", "/notifications/menu/", "notification", "list", control=False),
    Route(
        "console",
        "/notifications/{id}/open/",
        "notification",
        "write",
        method="POST",
        control_status=frozenset({404}),
    ),
    Route("console", "/m/todos/", "event", "list", control=False),
    Route("console", "/m/todos/?page=1", "orglife_session", "self", control=False),
    Route("console", "/m/orglife/sessions/{id}/rate/", "orglife_session", "detail", control=False),
    Route(
        "console",
        "/m/orglife/sessions/{id}/rate/",
        "orglife_session",
        "write",
        method="POST",
        data={"score": "5"},
        control_status=frozenset({404}),
    ),
    # A session's phone page (its agenda, materials and the leave request, issue 18): the
    # insider sees it (not on its roster: the leave is refused by name, 400).
    Route("console", "/m/orglife/sessions/{id}/", "orglife_session", "detail"),
    Route(
        "console",
        "/m/orglife/sessions/{id}/",
        "orglife_session",
        "write",
        method="POST",
        data={"reason": "越界请假"},
        control_status=frozenset({400}),
    ),
    Route("console", "/m/notifications/", "notification", "list", control=False),
    Route(
        "console",
        "/m/notifications/{id}/open/",
        "notification",
        "write",
        method="POST",
        control_status=frozenset({404}),
    ),
]
# Preferences and "mark all read" touch one's own rows only.
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/notifications/preferences"),
    ("POST", "/api/v1/notifications/preferences"),
}
UNSCOPED_CONSOLE_ROUTES |= {
    "/notifications/read/",
    "/notifications/preferences/",
    "/m/notifications/read/",
}


# --- points (issue 16) ---
# A residents' scheme of the first county's community with a rule, an item, an award to a
# resident of its unit, a claim waiting for review, a used redemption and a star.
def _points_objects(world) -> dict:
    from dangjian.accounts.models import UserKind
    from dangjian.points import services as points
    from dangjian.points.models import Award, Rule
    from dangjian.points.sources import SourceEvent
    from tests import world as world_mod

    staff = world.users["community"]
    s = points.scheme_create(
        actor=staff,
        data={
            "name": "越界探针积分方案",
            "audience": "residents",
            "area_id": world.nodes["community"].pk,
        },
    )
    rule = points.rule_create(
        actor=staff,
        scheme_id=s.pk,
        data={
            "name": "越界探针规则",
            "category": "探针",
            "points": "30",
            "source": "cases.visit",
        },
    )
    manual = points.rule_create(
        actor=staff,
        scheme_id=s.pk,
        data={"name": "越界探针申报规则", "category": "探针", "points": "5"},
    )
    item = points.item_create(
        actor=staff, scheme_id=s.pk, data={"name": "越界探针兑换品", "price": "10", "stock": 5}
    )
    u = world_mod.user(
        "t-points-probe", role="resident", kind=UserKind.RESIDENT, home=world.nodes["unit"]
    )
    u.real_name = "越界探针居民"
    u.save(update_fields=["real_name"])
    points.award_events(
        [
            SourceEvent(
                "cases.visit", "probe", u.pk, u.real_name, u.area_path, "", timezone.localdate()
            )
        ]
    )
    claim = points.award_submit(actor=u, rule_id=manual.pk, data={"evidence": "越界探针佐证"})
    r = points.redemption_create(actor=u, item_id=item.pk)
    points.receipt_use(actor=staff, code=r.code)
    points.stars_award(actor=staff, scheme_id=s.pk, year=timezone.localdate().year)
    award = Award.objects.get(rule=rule)
    assert Rule.objects.filter(scheme=s).count() == 2
    return {
        "scheme": s,
        "rule": rule,
        "item": item,
        "award": award,
        "claim": claim,
        "redemption": r,
        "user": u,
    }


def points_scheme_probes(world) -> list[Probe]:
    s = _points_objects(world)["scheme"]
    return [Probe(s.pk, s.name)]


def points_rule_probes(world) -> list[Probe]:
    r = _points_objects(world)["rule"]
    return [Probe(r.pk, r.name)]


def points_item_probes(world) -> list[Probe]:
    i = _points_objects(world)["item"]
    return [Probe(i.pk, i.name)]


def points_award_probes(world) -> list[Probe]:
    a = _points_objects(world)["award"]
    return [Probe(a.pk, a.subject_name)]


def points_claim_probes(world) -> list[Probe]:
    a = _points_objects(world)["claim"]
    return [Probe(a.pk, "越界探针佐证")]


def points_redemption_probes(world) -> list[Probe]:
    r = _points_objects(world)["redemption"]
    return [Probe(r.pk, r.item_name)]


def points_receipt_probes(world) -> list[Probe]:
    """The probe's ``pk`` is the receipt code: the receipt routes take the code."""
    r = _points_objects(world)["redemption"]
    return [Probe(r.code, r.item_name)]  # type: ignore[arg-type]


def points_star_probes(world) -> list[Probe]:
    o = _points_objects(world)
    return [Probe(o["user"].pk, o["user"].real_name)]


FACTORIES.update(
    {
        "points_scheme": points_scheme_probes,
        "points_rule": points_rule_probes,
        "points_item": points_item_probes,
        "points_award": points_award_probes,
        "points_claim": points_claim_probes,
        "points_redemption": points_redemption_probes,
        "points_receipt": points_receipt_probes,
        "points_star": points_star_probes,
    }
)

_PT = "/api/v1/points"

ROUTES += [
    Route("api", f"{_PT}/schemes/", "points_scheme", "list"),
    Route("api", f"{_PT}/schemes/{{id}}", "points_scheme", "detail"),
    Route(
        "api",
        f"{_PT}/schemes/{{id}}",
        "points_scheme",
        "write",
        method="PATCH",
        data={"name": "越界改名"},
    ),
    Route(
        "api",
        f"{_PT}/schemes/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"name": "越界方案", "audience": "residents", "area_id": p.pk},
        control_status=frozenset({201, 422}),
    ),
    Route(
        "api",
        f"{_PT}/schemes/{{id}}/stars",
        "points_scheme",
        "write",
        method="POST",
        data={"year": 2026},
    ),
    Route("api", f"{_PT}/rules/", "points_rule", "list"),
    Route(
        "api",
        f"{_PT}/rules/",
        "points_scheme",
        "write",
        method="POST",
        data=lambda p: {"scheme_id": p.pk, "name": "越界规则", "category": "越界", "points": "1"},
        control_status=frozenset({201}),
    ),
    Route(
        "api",
        f"{_PT}/rules/{{id}}",
        "points_rule",
        "write",
        method="PATCH",
        data={"points": "99"},
    ),
    Route("api", f"{_PT}/awards/", "points_award", "list"),
    Route("api", f"{_PT}/awards/{{id}}", "points_award", "detail"),
    Route(
        "api",
        f"{_PT}/awards/",
        "points_rule",
        "write",
        method="POST",
        data=lambda p: {"rule_id": p.pk, "evidence": "越界申报"},
        control_status=frozenset({201, 422}),
    ),
    Route(
        "api",
        f"{_PT}/awards/{{id}}/transitions",
        "points_claim",
        "write",
        method="POST",
        data={"action": "approve"},
    ),
    Route(
        "api",
        f"{_PT}/awards/{{id}}/reverse",
        "points_award",
        "write",
        method="POST",
        data={"note": "越界冲正"},
        control_status=frozenset({200, 409}),
    ),
    Route("api", f"{_PT}/reviews/", "points_claim", "list"),
    Route("api", f"{_PT}/catalogue/", "points_item", "list"),
    Route("api", f"{_PT}/catalogue/{{id}}", "points_item", "detail"),
    Route(
        "api",
        f"{_PT}/catalogue/",
        "points_scheme",
        "write",
        method="POST",
        data=lambda p: {"scheme_id": p.pk, "name": "越界物品", "price": "1"},
        control_status=frozenset({201}),
    ),
    Route(
        "api",
        f"{_PT}/catalogue/{{id}}",
        "points_item",
        "write",
        method="PATCH",
        data={"stock": 0},
    ),
    Route("api", f"{_PT}/redemptions/", "points_redemption", "list"),
    Route("api", f"{_PT}/redemptions/{{id}}", "points_redemption", "detail"),
    Route(
        "api",
        f"{_PT}/redemptions/",
        "points_item",
        "write",
        method="POST",
        data=lambda p: {"item_id": p.pk},
        control_status=frozenset({404}),
        note="only the scheme's own residents redeem: the administrator is not one (404 too)",
    ),
    Route("api", f"{_PT}/receipts/{{id}}", "points_receipt", "detail"),
    Route(
        "api",
        f"{_PT}/receipts/{{id}}/use",
        "points_receipt",
        "write",
        method="POST",
        control_status=frozenset({409}),
        note="the probe's receipt is already used: the control answers 409",
    ),
    Route("api", f"{_PT}/rankings/", "points_award", "list"),
    Route("api", f"{_PT}/stars/", "points_star", "list"),
    Route("api", f"{_PT}/me", "points_award", "self"),
    Route("console", "/points/", "points_scheme", "list"),
    Route("console", "/points/schemes/{id}/", "points_scheme", "detail"),
    Route(
        "console",
        "/points/schemes/{id}/",
        "points_scheme",
        "write",
        method="POST",
        data={"form": "item", "name": "越界物品", "price": "1", "stock": "1"},
        control_status=frozenset({302}),
    ),
    Route("console", "/points/review/", "points_claim", "list"),
    Route("console", "/points/awards/", "points_award", "list"),
    Route("console", "/points/awards/?state=posted", "points_award", "list"),
    Route("console", "/points/redemptions/", "points_redemption", "list"),
    Route(
        "console",
        "/points/awards/{id}/transition/",
        "points_claim",
        "write",
        method="POST",
        data={"action": "approve"},
        control_status=frozenset({302}),
    ),
    Route("console", "/points/counter/", "points_receipt", "list"),
    Route("console", "/m/points/", "points_award", "self"),
    Route("console", "/m/points/catalogue/", "points_item", "self"),
    Route(
        "console",
        "/m/points/catalogue/{id}/redeem/",
        "points_item",
        "write",
        method="POST",
        data={"quantity": "1"},
        control_status=frozenset({404}),
        note="only the scheme's own residents redeem: the administrator is not one (404 too)",
    ),
    Route("console", "/m/points/receipts/{id}/", "points_redemption", "detail"),
    Route("console", "/m/points/boards/", "points_award", "self"),
]

from dangjian.points import models as _points_models  # noqa: E402

WATCHED_COUNTS += [
    _points_models.Scheme,
    _points_models.Rule,
    _points_models.Item,
    _points_models.Award,
    _points_models.Redemption,
    _points_models.Star,
]
_state_before_points = state


def state() -> dict:  # extends the fingerprint with the points rows an outsider might change
    out = _state_before_points()
    m = _points_models
    out["points:rows"] = [
        list(m.Scheme.objects.order_by("pk").values_list("pk", "name", "active")),
        list(m.Rule.objects.order_by("pk").values_list("pk", "name", "points", "active")),
        list(m.Item.objects.order_by("pk").values_list("pk", "name", "stock", "price")),
        list(m.Award.objects.order_by("pk").values_list("pk", "state", "points")),
        list(m.Redemption.objects.order_by("pk").values_list("pk", "state")),
    ]
    return out


# --- assessment: weak organizations, rankings, rectifications, member warnings (issue 15) ------
def _assessment_built(world):
    """The first county's flags, its ranking confirmed (one rectification) and a member's
    warning, computed through the services once per test."""
    import datetime as dt

    from dangjian.assessment.models import Flag, Ranking
    from dangjian.assessment.services import warnings as assess_warnings
    from dangjian.assessment.services import weak as assess_weak
    from dangjian.members.models.mobile import MobileRegistration
    from tests.orglife.helpers import people

    if Flag.objects.exists():
        return
    year = timezone.localdate().year
    assess_weak.flags_recompute(year=year)
    assess_weak.rankings_recompute(year=year)
    ranking = Ranking.objects.get(county=world.nodes["county"], year=year)
    assess_weak.ranking_confirm(actor=world.users["county"], ranking=ranking)
    m = people(world.orgs["grid_branch"], 1, prefix="越界预警党员")[0]
    MobileRegistration.objects.create(
        member=m,
        destination="外省",
        left_on=dt.date(2020, 1, 1),
        last_contact_on=dt.date(2020, 1, 1),
    )
    assess_warnings.warnings_recompute()


def assess_flag_probes(world) -> list[Probe]:
    from dangjian.assessment.models import Flag

    _assessment_built(world)
    return [Probe(f.pk, f.summary) for f in Flag.objects.order_by("pk")]


def assess_ranking_probes(world) -> list[Probe]:
    from dangjian.assessment.models import Ranking

    _assessment_built(world)
    return [
        Probe(r.pk, str(r), markers=(f"/assessment/rankings/{r.pk}/",))
        for r in Ranking.objects.select_related("county")
    ]


def assess_rectification_probes(world) -> list[Probe]:
    from dangjian.assessment.models import Rectification

    _assessment_built(world)
    return [
        Probe(r.pk, str(r), markers=(f"/assessment/rectifications/{r.pk}/",))
        for r in Rectification.objects.all()
    ]


def assess_warning_probes(world) -> list[Probe]:
    from dangjian.assessment.models import MemberWarning

    _assessment_built(world)
    return [Probe(w.pk, w.member_name) for w in MemberWarning.objects.all()]


def assess_warning_org_probes(world) -> list[Probe]:
    from dangjian.assessment.models import MemberWarning

    _assessment_built(world)
    orgs = {w.org_id: w.org.name for w in MemberWarning.objects.select_related("org")}
    return [Probe(pk, name) for pk, name in orgs.items()]


FACTORIES["assess_flag"] = assess_flag_probes
FACTORIES["assess_ranking"] = assess_ranking_probes
FACTORIES["assess_rectification"] = assess_rectification_probes
FACTORIES["assess_warning"] = assess_warning_probes
FACTORIES["assess_warning_org"] = assess_warning_org_probes
_ASSESS_PLAN = {"action": "plan", "measures": "越界整顿措施", "leader": "越界"}
ROUTES += [
    Route("api", "/api/v1/assessment/flags/", "assess_flag", "list"),
    Route(
        "api",
        "/api/v1/assessment/flags/?page_size=200&rule=committee_incomplete",
        "assess_flag",
        "list",
    ),
    Route("api", "/api/v1/assessment/flags/{id}", "assess_flag", "detail"),
    Route(
        "api",
        "/api/v1/assessment/flags/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org_id": p.pk, "year": 2026, "summary": "越界情形", "evidence": "越界"},
        control_status=frozenset({200, 422}),
    ),
    Route("api", "/api/v1/assessment/rankings/", "assess_ranking", "list"),
    Route("api", "/api/v1/assessment/rankings/{id}", "assess_ranking", "detail"),
    Route(
        "api",
        "/api/v1/assessment/rankings/{id}/confirm",
        "assess_ranking",
        "write",
        method="POST",
        control_status=frozenset({409}),
    ),
    Route("api", "/api/v1/assessment/rectifications/", "assess_rectification", "list"),
    Route("api", "/api/v1/assessment/rectifications/{id}", "assess_rectification", "detail"),
    Route(
        "api",
        "/api/v1/assessment/rectifications/{id}/transitions",
        "assess_rectification",
        "write",
        method="POST",
        data=_ASSESS_PLAN,
        control_status=frozenset({403}),
        note="the administrator is above the organization: only its own side files the plan",
    ),
    Route("api", "/api/v1/assessment/warnings/", "assess_warning", "list"),
    Route("api", "/api/v1/assessment/warnings/?history=true", "assess_warning", "list"),
    Route("api", "/api/v1/assessment/warnings/counts", "assess_warning_org", "list"),
    Route("api", "/api/v1/assessment/warnings/{id}", "assess_warning", "detail"),
    Route("console", "/assessment/flags/", "assess_flag", "list"),
    Route(
        "console",
        "/assessment/flags/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org": p.pk, "year": 2026, "summary": "越界情形", "evidence": "越界"},
        control_status=frozenset({302}),
    ),
    Route("console", "/assessment/rankings/", "assess_ranking", "list"),
    Route("console", "/assessment/rankings/{id}/", "assess_ranking", "detail"),
    Route(
        "console",
        "/assessment/rankings/{id}/confirm/",
        "assess_ranking",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route("console", "/assessment/rectifications/", "assess_rectification", "list"),
    Route("console", "/assessment/rectifications/{id}/", "assess_rectification", "detail"),
    Route(
        "console",
        "/assessment/rectifications/{id}/",
        "assess_rectification",
        "write",
        method="POST",
        data=_ASSESS_PLAN,
        control_status=frozenset({403}),
    ),
    Route("console", "/assessment/orgs/{id}/", "org", "detail"),
    Route("console", "/assessment/warnings/", "assess_warning", "list"),
    Route("console", "/assessment/warnings/?history=1", "assess_warning", "list"),
    Route("console", "/m/assessment/warnings/", "assess_warning", "self", control=False),
    Route("console", "/m/assessment/warnings/branch/", "assess_warning", "list"),
]
# The thresholds hold for the whole deployment; the recomputation runs for the whole city.
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/assessment/settings/"),
    ("POST", "/api/v1/assessment/settings/"),
    ("POST", "/api/v1/assessment/recompute"),
}
UNSCOPED_CONSOLE_ROUTES |= {"/assessment/settings/", "/assessment/recompute/"}


# --- time bank (issue 16) ---
# Orders, participations, teams, the talent roster, stations and riders of the first county
# (龙桥社区); t-street3 reaches none of them.
from dangjian.timebank import models as _tb_models  # noqa: E402


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

_state_before_timebank = state


def state() -> dict:  # extends the fingerprint above with the time-bank rows
    out = _state_before_timebank()
    out["tb_orders:rows"] = list(
        _tb_models.Order.objects.order_by("pk").values_list("pk", "state", "accepted_count")
    )
    out["tb_participations:rows"] = list(
        _tb_models.Participation.objects.order_by("pk").values_list("pk", "state", "hours")
    )
    out["tb_riders:rows"] = list(
        _tb_models.Rider.objects.order_by("pk").values_list("pk", "assistant_grid_worker")
    )
    return out


# --- assessment: star rating and secretary projects (issue 15) -----------------------------------
# Ratings of the first county's organizations (grid branch, community 党委, village branch),
# an objection to a published one, a secretary project and its 督评考 items. The schemes are
# the deployment's rules (like the event taxonomy), read by all staff and changed at the root.

from dangjian.assessment import models as _assess_models  # noqa: E402

_ASSESS_YEAR = 2026
_ASSESS_ORGS = ("grid_branch", "community_committee", "village_branch")


def _assess_rated(world):
    from dangjian.assessment.models import IndicatorKind, Sector
    from dangjian.assessment.services import rating as rating_services

    admin = world.users[INSIDER]
    for sector in (Sector.COMMUNITY, Sector.VILLAGE):
        if not _assess_models.Scheme.objects.filter(sector=sector, year=_ASSESS_YEAR).exists():
            s = rating_services.scheme_create(actor=admin, sector=sector, year=_ASSESS_YEAR)
            rating_services.indicator_set(
                actor=admin,
                scheme=s,
                code="orglife",
                name="组织生活",
                weight=60,
                kind=IndicatorKind.COMPUTED,
                computation="orglife_compliance",
            )
            rating_services.indicator_set(
                actor=admin,
                scheme=s,
                code="service",
                name="服务群众",
                weight=40,
                kind=IndicatorKind.MANUAL,
            )
    rating_services.ratings_compute(year=_ASSESS_YEAR, actor=admin)
    return [
        _assess_models.Rating.objects.get(org=world.orgs[k], year=_ASSESS_YEAR)
        for k in _ASSESS_ORGS
    ]


def assess_rating_probes(world) -> list[Probe]:
    return [
        Probe(r.pk, r.org_name, markers=(f"/assessment/ratings/{r.pk}/",))
        for r in _assess_rated(world)
    ]


def assess_objection_probes(world) -> list[Probe]:
    from dangjian.assessment.services import rating as rating_services

    admin = world.users[INSIDER]
    ratings = _assess_rated(world)
    rating_services.ratings_publish(actor=admin, county=world.nodes["county"], year=_ASSESS_YEAR)
    out = []
    for r in ratings:
        o = rating_services.objection_file(actor=admin, rating=r, reason=f"越界探针异议{r.pk}")
        out.append(Probe(o.pk, o.reason))
    return out


def assess_score_probes(world) -> list[Probe]:
    from dangjian.assessment.services import rating as rating_services

    _assess_rated(world)
    ind = _assess_models.Indicator.objects.filter(kind="manual").first()
    out = []
    for k in _ASSESS_ORGS:
        row = rating_services.manual_score_set(
            actor=world.users[INSIDER],
            indicator=ind,
            org=world.orgs[k],
            year=_ASSESS_YEAR,
            points=10,
            evidence=f"越界探针佐证{k}",
        )
        out.append(Probe(row.pk, row.evidence))
    return out


def _assess_projects(world):
    from dangjian.assessment.services import projects as project_services

    out = []
    for k in _ASSESS_ORGS:
        p = _assess_models.SecretaryProject.objects.filter(org=world.orgs[k]).first()
        p = p or project_services.project_create(
            actor=world.users[INSIDER],
            org=world.orgs[k],
            year=_ASSESS_YEAR,
            title=f"越界探针项目{k}",
            secretary_name="探针书记",
            team=["探针甲"],
            plan="探针计划",
        )
        out.append(p)
    return out


def assess_project_probes(world) -> list[Probe]:
    return [
        Probe(p.pk, p.title, markers=(f"/assessment/projects/{p.pk}/",))
        for p in _assess_projects(world)
    ]


def assess_review_probes(world) -> list[Probe]:
    return [Probe(p.reviews.order_by("id").first().pk, p.title) for p in _assess_projects(world)]


FACTORIES.update(
    {
        "assess_rating": assess_rating_probes,
        "assess_objection": assess_objection_probes,
        "assess_score": assess_score_probes,
        "assess_project": assess_project_probes,
        "assess_review": assess_review_probes,
    }
)

_AY = f"year={_ASSESS_YEAR}"
ROUTES += [
    Route("api", "/api/v1/assessment/ratings/", "assess_rating", "list"),
    Route("api", f"/api/v1/assessment/ratings/?{_AY}&page_size=200", "assess_rating", "list"),
    Route("api", "/api/v1/assessment/ratings/?org={id}", "org", "children"),
    Route("api", "/api/v1/assessment/ratings/?area={id}", "area", "children"),
    Route("api", "/api/v1/assessment/ratings/{id}", "assess_rating", "detail"),
    Route("api", "/api/v1/assessment/ratings/{id}/objections/", "assess_rating", "detail"),
    Route(
        "api",
        "/api/v1/assessment/ratings/{id}/objections/",
        "assess_rating",
        "write",
        method="POST",
        data={"reason": "越界异议"},
        control_status=frozenset({200, 409}),
        note="the insider's rating is not published yet (409)",
    ),
    Route(
        "api",
        "/api/v1/assessment/objections/{id}/handle",
        "assess_objection",
        "write",
        method="POST",
        data={"decision": "rejected", "response": "越界处理"},
    ),
    Route(
        "api",
        "/api/v1/assessment/publications/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area_id": p.pk, "year": _ASSESS_YEAR},
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        "/api/v1/assessment/scores/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org_id": p.pk,
            "indicator_id": _assess_models.Indicator.objects.filter(kind="manual")
            .values_list("pk", flat=True)
            .first()
            or 1,
            "year": _ASSESS_YEAR,
            "points": 1,
            "evidence": "越界评分",
        },
        control_status=frozenset({200, 422}),
        note="without a manual indicator the insider's body names none (422)",
    ),
    Route("api", "/api/v1/assessment/projects/", "assess_project", "list"),
    Route("api", "/api/v1/assessment/projects/?org={id}", "org", "children"),
    Route("api", "/api/v1/assessment/projects/{id}", "assess_project", "detail"),
    Route(
        "api",
        "/api/v1/assessment/projects/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org_id": p.pk,
            "year": _ASSESS_YEAR + 1,
            "title": "越界项目",
            "secretary_name": "越界",
            "team": ["越界"],
            "plan": "越界",
        },
        control_status=frozenset({200, 422}),
    ),
    Route(
        "api",
        "/api/v1/assessment/projects/{id}/evaluate",
        "assess_project",
        "write",
        method="POST",
        data={"score": 60, "note": "越界评价"},
    ),
    Route(
        "api",
        "/api/v1/assessment/projects/{id}/milestones/{id}/done",
        "assess_project",
        "write",
        method="POST",
        data={"evidence": "越界"},
        control_status=frozenset({404}),
        note="the path names the project's id as a milestone too: no such milestone (404)",
    ),
    Route("api", "/api/v1/assessment/reviews/", "assess_review", "list"),
    Route("api", "/api/v1/assessment/reviews/?org={id}", "org", "children"),
    Route(
        "api",
        "/api/v1/assessment/reviews/{id}",
        "assess_review",
        "write",
        method="POST",
        data={"evidence": "越界", "result_score": 1},
    ),
    Route("console", "/assessment/", "assess_rating", "list"),
    Route("console", f"/assessment/?{_AY}", "assess_rating", "list"),
    Route("console", f"/assessment/?{_AY}&area={{id}}", "area", "children"),
    Route("console", "/assessment/ratings/{id}/", "assess_rating", "detail"),
    Route(
        "console",
        "/assessment/ratings/{id}/objections/",
        "assess_rating",
        "write",
        method="POST",
        data={"reason": "越界异议"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/assessment/objections/{id}/handle/",
        "assess_objection",
        "write",
        method="POST",
        data={"decision": "rejected", "response": "越界处理"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/assessment/publish/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area": p.pk, "year": _ASSESS_YEAR},
        control_status=frozenset({302}),
    ),
    Route("console", "/assessment/scores/", "assess_score", "list"),
    Route("console", f"/assessment/scores/?{_AY}", "assess_score", "list"),
    Route("console", f"/assessment/scores/?{_AY}&org={{id}}", "org", "children"),
    Route("console", "/assessment/projects/", "assess_project", "list"),
    Route("console", f"/assessment/projects/?{_AY}", "assess_project", "list"),
    Route("console", "/assessment/projects/{id}/", "assess_project", "detail"),
    Route(
        "console",
        "/assessment/reviews/{id}/",
        "assess_review",
        "write",
        method="POST",
        data={"evidence": "越界", "result_score": "1"},
        control_status=frozenset({302}),
    ),
]
UNSCOPED_API_ROUTES |= {
    # The schemes are the deployment's rules: every staff user reads them; only the root
    # changes them (403 below it).
    ("GET", "/api/v1/assessment/schemes/"),
    ("GET", "/api/v1/assessment/schemes/{scheme_id}"),
    ("POST", "/api/v1/assessment/schemes/"),
    ("PATCH", "/api/v1/assessment/schemes/{scheme_id}"),
    ("POST", "/api/v1/assessment/schemes/{scheme_id}/indicators/"),
    # Enqueues the whole year's recomputation (names no row).
    ("POST", "/api/v1/assessment/recompute"),
}
UNSCOPED_CONSOLE_ROUTES |= {
    "/assessment/schemes/",
    "/assessment/schemes/{}/",
    "/assessment/recompute/",
}

WATCHED_COUNTS += [
    _assess_models.Rating,
    _assess_models.RatingLine,
    _assess_models.Objection,
    _assess_models.ManualScore,
    _assess_models.SecretaryProject,
    _assess_models.Review,
]

_state_before_assessment = state


def state() -> dict:  # extends the fingerprint above with the assessment rows
    out = _state_before_assessment()
    out["assessment:ratings"] = list(
        _assess_models.Rating.objects.order_by("pk").values_list("pk", "state", "score")
    )
    out["assessment:objections"] = list(
        _assess_models.Objection.objects.order_by("pk").values_list("pk", "state")
    )
    out["assessment:scores"] = list(
        _assess_models.ManualScore.objects.order_by("pk").values_list("pk", "points")
    )
    out["assessment:projects"] = list(
        _assess_models.SecretaryProject.objects.order_by("pk").values_list(
            "pk", "state", "evaluation_score"
        )
    )
    out["assessment:reviews"] = list(
        _assess_models.Review.objects.order_by("pk").values_list("pk", "result_score")
    )
    return out


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
# --- assessment (issue 15, a15): evidence files, the project form, the rating on the phone ----
ROUTES += [
    Route("api", "/api/v1/assessment/scores/{id}/files/", "assess_score", "detail"),
    Route(
        "api",
        "/api/v1/assessment/scores/{id}/files/",
        "assess_score",
        "write",
        method="POST",
        data={},
        control_status=frozenset({422}),
        note="a JSON body carries no file: the insider is told to choose one (422)",
    ),
    Route(
        "api",
        "/api/v1/assessment/scores/{id}/files/{id}",
        "assess_score",
        "detail",
        control=False,
        note="the path names the score's id as a file too: no such file for anyone (404)",
    ),
    Route("api", "/api/v1/assessment/flags/{id}/files/", "assess_flag", "detail"),
    Route(
        "api",
        "/api/v1/assessment/flags/{id}/files/",
        "assess_flag",
        "write",
        method="POST",
        data={},
        control_status=frozenset({409, 422}),
        note="a rule's flag takes no file (409); a manual one asks for the file (422)",
    ),
    Route(
        "api",
        "/api/v1/assessment/flags/{id}/files/{id}",
        "assess_flag",
        "detail",
        control=False,
        note="the path names the flag's id as a file too: no such file for anyone (404)",
    ),
    # The console's evidence forms (a15b): the same services as the API above.
    Route(
        "console",
        "/assessment/scores/{id}/files/",
        "assess_score",
        "write",
        method="POST",
        data={},
        control_status=frozenset({302}),
        note="the insider is sent back to the list with '佐证附件：请选择要上传的文件'",
    ),
    Route(
        "console",
        "/assessment/scores/{id}/files/{id}/",
        "assess_score",
        "detail",
        control=False,
        note="the path names the score's id as a file too: no such file for anyone (404)",
    ),
    Route(
        "console",
        "/assessment/flags/{id}/files/",
        "assess_flag",
        "write",
        method="POST",
        data={},
        control_status=frozenset({302}),
        note="the insider is sent back to the list: a rule's flag takes no file, a manual one "
        "asks for the file",
    ),
    Route(
        "console",
        "/assessment/flags/{id}/files/{id}/",
        "assess_flag",
        "detail",
        control=False,
        note="the path names the flag's id as a file too: no such file for anyone (404)",
    ),
    Route("console", "/assessment/projects/new/", "org", "list", control=False),
    Route(
        "console",
        "/assessment/projects/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org": p.pk,
            "year": _ASSESS_YEAR + 2,
            "title": "越界项目",
            "secretary_name": "越界",
            "team": "越界",
            "plan": "越界",
        },
        control_status=frozenset({200, 302}),
        note="the insider creates it (302) or is shown the form's message (200)",
    ),
    Route("console", "/m/assessment/ratings/", "assess_rating", "list"),
    Route("console", "/m/assessment/ratings/{id}/", "assess_rating", "detail"),
    Route(
        "console",
        "/m/assessment/ratings/{id}/objections/",
        "assess_rating",
        "write",
        method="POST",
        data={"reason": "越界异议"},
        control_status=frozenset({302}),
    ),
]


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


# Issue 18 (l18): the console lists' exports, a POST of each list's export form (web.listing),
# the filters in the query string; and the events' batch dispatch (an event out of scope among
# the ticked ones: 404, nothing dispatched).
EXPORT = {"export": "xlsx"}


def assess_ranking_row_probes(world) -> list[Probe]:
    """The rankings as their export names them: by county (the outsider's county is the other
    one)."""
    from dangjian.assessment.models import Ranking

    assess_ranking_probes(world)
    return [Probe(r.pk, r.county.name) for r in Ranking.objects.select_related("county")]


def assess_rectification_row_probes(world) -> list[Probe]:
    """The rectifications as their export names them: by organization."""
    from dangjian.assessment.models import Rectification

    assess_rectification_probes(world)
    return [Probe(r.pk, r.org_name) for r in Rectification.objects.all()]


FACTORIES["assess_ranking_row"] = assess_ranking_row_probes
FACTORIES["assess_rectification_row"] = assess_rectification_row_probes
ROUTES += [
    Route("console", path, factory, "export", method="POST", data=EXPORT)
    for path, factory in (
        ("/development/", "applicant"),
        ("/development/?stage=1&sort=-name", "applicant"),
        ("/members/transfers/", "transfer"),
        ("/members/checkins/", "checkin"),
        ("/cases/", "event"),
        ("/cases/?sort=-reported", "event"),
        ("/audit/", "audit"),
        ("/orglife/", "orglife_session"),
        ("/orglife/plans/", "orglife_plan"),
        ("/points/review/", "points_claim"),
        ("/points/awards/", "points_award"),
        ("/points/awards/?q=越界&sort=-points", "points_award"),
        ("/points/redemptions/", "points_redemption"),
        ("/points/redemptions/?sort=-created", "points_redemption"),
        ("/timebank/", "tb_order"),
        ("/dues/", "dues_member"),
        ("/dues/remittances/", "dues_remittance"),
        ("/members/cadres/", "cadre"),
        ("/users/", "people_user"),
        ("/members/cadres/reserves/?sort=-name", "reserve"),
        ("/members/cadres/mentorships/?sort=mentee", "mentorship"),
        ("/timebank/teams/?sort=-name", "tb_team"),
        ("/timebank/stations/?sort=-name", "tb_station"),
        ("/timebank/talents/?sort=-bookings", "tb_talent"),
        ("/timebank/riders/", "tb_rider"),
        ("/timebank/riders/?sort=-name", "tb_rider"),
        ("/timebank/hours/?by=member", "tb_participation"),
        ("/timebank/hours/?by=member&sort=-hours", "tb_participation"),
        ("/orglife/compliance/", "orglife_branch"),
        ("/orglife/compliance/?period=2026&sort=-missed", "orglife_branch"),
        ("/points/", "points_scheme"),
        ("/users/departments/", "people_department"),
        ("/users/registrations/", "people_registration"),
        ("/cases/visits/", "visit_record"),
        ("/orgs/", "org"),
        ("/orgs/?q=龙桥&sort=-name", "org"),
        ("/areas/", "area"),
        ("/areas/?q=龙桥&sort=-name", "area"),
        ("/assessment/flags/", "assess_flag"),
        (f"/assessment/?{_AY}&sort=-score", "assess_rating"),
        (f"/assessment/projects/?{_AY}&sort=title", "assess_project"),
        ("/assessment/warnings/?history=1&sort=-member", "assess_warning"),
        ("/members/elections/", "election_org"),
        ("/members/elections/?status=all&sort=-secretary", "election_org"),
        # (a bare POST to the list issues a code: that route is registered as a write above)
        ("/users/invitations/?sort=created", "people_invitation"),
        ("/users/invitations/?sort=-code", "people_invitation"),
        (f"/assessment/scores/?{_AY}", "assess_score"),
        (f"/assessment/scores/?{_AY}&sort=-points", "assess_score"),
        ("/assessment/rankings/", "assess_ranking_row"),
        ("/assessment/rankings/?sort=-share", "assess_ranking_row"),
        ("/assessment/rectifications/", "assess_rectification_row"),
        ("/assessment/rectifications/?sort=-deadline", "assess_rectification_row"),
        ("/dashboard/compliance/", "dashboard_compliance"),
        ("/dashboard/compliance/?sort=-missed", "dashboard_compliance"),
        ("/dashboard/arrears/", "dashboard_arrears"),
        ("/dashboard/arrears/?sort=-streak", "dashboard_arrears"),
    )
] + [
    # A department's inbox (the outsider and the admin have no department: nothing to see).
    Route("console", "/cases/inbox/", "event", "export", "POST", EXPORT, control=False),
    Route(
        "console",
        "/cases/inbox/?box=done&sort=-id",
        "event",
        "export",
        "POST",
        EXPORT,
        control=False,
    ),
    Route(
        "console", "/dues/?level=warning", "dues_member", "export", "POST", EXPORT, control=False
    ),
    # A user's own background jobs: the export names a job by its kind, state and progress,
    # never the probe's name; tests/web/test_list_sort_export.py exports the insider's jobs.
    Route("console", "/members/jobs/", "export_job", "export", "POST", EXPORT, control=False),
    Route(
        "console",
        "/members/jobs/?sort=-created",
        "import_job",
        "export",
        "POST",
        EXPORT,
        control=False,
    ),
    Route(
        "console",
        "/dues/pay-batch/",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {"member_ids": [p.pk]},
        control_status=frozenset({302}),
        note="the insider's batch records the probe's month, or names why not: 302",
    ),
    Route(
        "console",
        "/cases/batch/dispatch/",
        "event",
        "write",
        method="POST",
        data=lambda p: {"event_ids": [p.pk], "department_id": 1},
        control_status=frozenset({302}),
        note="the insider's batch is refused by name (the probe's state, the department): 302",
    ),
    # The same two batches through the API (the same services): an id out of reach among
    # them is 404 and nothing is written; the insider's is done (200) or refused by name (422).
    Route(
        "api",
        "/api/v1/cases/batch/dispatch",
        "event",
        "write",
        method="POST",
        data=lambda p: {"event_ids": [p.pk], "department_id": 1},
        control_status=frozenset({200, 422}),
        note="the insider's batch is refused by name (the probe's state, the department): 422",
    ),
    Route(
        "api",
        "/api/v1/dues/payments/batch",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {"member_ids": [p.pk]},
        control_status=frozenset({200, 422}),
        note="the insider's batch records the probe's month (200), or names why not (422)",
    ),
]
