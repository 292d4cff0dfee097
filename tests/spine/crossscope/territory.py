"""The governance tree (territory): areas over the API and in the console, their imports,
households, and the tree's administration."""

from __future__ import annotations

from dangjian.territory.models import Area, Household
from tests.spine.crossscope.registry import (
    FACTORIES,
    ROUTES,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    _tree_probes,
    fingerprint,
)


def area_probes(world) -> list[Probe]:
    return [
        Probe(p.pk, p.name, p.ancestor, (f"/areas/{p.pk}/",))
        for p in _tree_probes(Area, world, world.county, [world.city])
    ]


FACTORIES["area"] = area_probes

ROUTES += [
    Route("api", "/api/v1/areas/", "area", "list"),
    Route("api", "/api/v1/areas/?page_size=200", "area", "list"),
    Route(
        "api", "/api/v1/areas/?q=龙桥", "area", "list", note="search reaches every visible level"
    ),
    Route("api", "/api/v1/areas/?q=LQ", "area", "list", note="pinyin initials search"),
    Route("api", "/api/v1/areas/{id}", "area", "detail"),
    Route("api", "/api/v1/areas/?parent={id}", "area", "children"),
    Route("api", "/api/v1/areas/?parent={id}&q=网格", "area", "children"),
    Route("console", "/areas/", "area", "list"),
    Route("console", "/areas/{id}/", "area", "detail"),
    Route("console", "/areas/{id}/children/", "area", "children"),
]

WATCHED_COUNTS += [Area, Household]

_TREE_FIELDS = (
    "pk",
    "path",
    "depth",
    "parent_id",
    "child_count",
    "next_child",
    "name",
    "updated_at",
)


@fingerprint
def _area_rows(out: dict) -> None:
    out[f"{Area._meta.label}:rows"] = list(Area.objects.order_by("pk").values_list(*_TREE_FIELDS))


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
