"""The party tree (organizations): organizations over the API and in the console, the
county's authorization of a street 党工委, and the tree's administration."""

from __future__ import annotations

from dangjian.organizations import models as _org_models
from dangjian.organizations.models import PartyOrg
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
from tests.spine.crossscope.territory import _TREE_FIELDS


def org_probes(world) -> list[Probe]:
    return [
        Probe(p.pk, p.name, p.ancestor, (f"/orgs/{p.pk}/",))
        for p in _tree_probes(
            PartyOrg, world, world.orgs["county_committee"], [world.orgs["city_committee"]]
        )
    ]


FACTORIES["org"] = org_probes

ROUTES += [
    Route("api", "/api/v1/orgs/", "org", "list"),
    Route("api", "/api/v1/orgs/?page_size=200", "org", "list"),
    Route("api", "/api/v1/orgs/?q=龙桥", "org", "list"),
    Route("api", "/api/v1/orgs/{id}", "org", "detail"),
    Route("api", "/api/v1/orgs/?parent={id}", "org", "children"),
    Route("console", "/orgs/", "org", "list"),
    Route("console", "/orgs/{id}/", "org", "detail"),
    Route("console", "/orgs/{id}/children/", "org", "children"),
]

WATCHED_COUNTS += [PartyOrg]


@fingerprint
def _org_rows(out: dict) -> None:
    out[f"{PartyOrg._meta.label}:rows"] = list(
        PartyOrg.objects.order_by("pk").values_list(*_TREE_FIELDS)
    )


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


# --- orgs ---
# The party tree's administration (issue 14): create under a probe, change, change kind, move,
# dissolve. The outsider reads 404 for each probe and writes nothing; the insider's identical
# request answers what the probe allows (a group cannot sit under a committee: 422; a probe
# with children cannot be dissolved: 409). POST /api/v1/orgs/import takes a file and names no
# probe: tests/organizations/test_import.py checks that an outsider's file naming the first
# county's organizations writes nothing.

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
