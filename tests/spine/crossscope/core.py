"""The audit trail (core): its console page and API, and the reveal of a sealed actor."""

from __future__ import annotations

from dangjian.core import audit
from dangjian.core.models import AuditEntry
from tests.spine.crossscope.registry import (
    FACTORIES,
    ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
)

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


FACTORIES.update({"audit": audit_probes, "audit_sealed": sealed_audit_probes})

ROUTES += [
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

WATCHED_COUNTS += [AuditEntry]

# The browser's icon (issue 18).
UNSCOPED_CONSOLE_ROUTES |= {"/favicon.ico"}
