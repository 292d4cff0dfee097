"""Member development (发展党员): applicants and yearly targets."""

from __future__ import annotations

from dangjian.development import models as _dev_models
from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)

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


WATCHED_COUNTS += [
    _dev_models.Applicant,
    _dev_models.ApplicantStep,
    _dev_models.ResponsiblePerson,
    _dev_models.DevelopmentTarget,
]


@fingerprint
def _development_rows(out: dict) -> None:
    """Adds the applicant and target rows to the fingerprint."""
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
