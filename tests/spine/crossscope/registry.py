"""The framework of the cross-scope registry: what a route and a probe are, the lists every
domain module extends, and the "nothing changed" fingerprint.

A domain module (``tests/spine/crossscope/<domain>.py``) registers, at import, its routes
(``ROUTES += [Route(...)]``), the factories that make their probes (``FACTORIES``), the
routes that read no scoped rows (``UNSCOPED_API_ROUTES``, ``UNSCOPED_CONSOLE_ROUTES``), the
models whose row count must not move (``WATCHED_COUNTS``) and, where a count is not enough,
a step of the fingerprint (``@fingerprint``: a function that adds its rows to the dict).
``state()`` is the counts, then every step in the order the domains registered them.

A factory takes the ``world`` (``tests.world.World``) and returns the probes: objects of the
first county (城厢区) that ``t-street3``, whose street is in the other county, must never see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.urls import Resolver404, resolve

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


# --- factories' helpers ---------------------------------------------------------------------
def _tree_probes(model, world, root, ancestor_roots) -> list[Probe]:
    probes = [
        Probe(n.pk, n.name)
        for n in model.objects.filter(path__gte=root.path, path__lt=root.path_end)
    ]
    probes += [Probe(a.pk, a.name, ancestor=True) for a in ancestor_roots]
    return probes


# --- the registry, extended by each domain module ---------------------------------------------
ROUTES: list[Route] = []
FACTORIES: dict[str, Callable[[Any], list[Probe]]] = {}

# Routes that read no scoped rows (the health check, the login, a blank import template, the
# holiday table, one's own account page). Every other route must be in ROUTES.
UNSCOPED_API_ROUTES: set[tuple[str, str]] = {
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/token"),
}
# The mobile home (/m/) shows tiles by permission, no scoped rows.
UNSCOPED_CONSOLE_ROUTES: set[str] = {"/login/", "/logout/", "/", "/holidays/", "/account/", "/m/"}


# --- "nothing changed" ------------------------------------------------------------------------
# Models whose row count must not move when an outsider calls a route.
WATCHED_COUNTS: list[type] = []
# The fingerprint's steps: each adds the rows of its domain to the dict ``state()`` builds.
STATE_STEPS: list[Callable[[dict], None]] = []


def fingerprint(step: Callable[[dict], None]) -> Callable[[dict], None]:
    """Registers ``step`` (it adds its rows to the fingerprint) after the steps before it."""
    STATE_STEPS.append(step)
    return step


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
    """A fingerprint of what an out-of-scope request must leave alone: the watched counts,
    then each domain's rows."""
    out: dict[str, Any] = _counts(WATCHED_COUNTS)
    for step in STATE_STEPS:
        step(out)
    return out


@dataclass
class Answer:
    """A response reduced to what the checks need."""

    status: int
    text: str
    item_ids: list[int] | None = None
    location: str = ""
    json: Any = field(default=None)
