"""The audit trail over the API: ``GET /api/v1/audit/`` (scoped like the console page) and
``POST /api/v1/audit/{id}/reveal`` (a sealed actor, for a reason; audited; not cached)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja import Router

from dangjian.console.audit_labels import action_label
from dangjian.core import audit
from dangjian.core.api import ErrorOut, Schema, paginate
from dangjian.core.ids import pk_or_404
from dangjian.core.logging import mask_text
from dangjian.core.models import AuditEntry
from dangjian.core.validation import one_line

router = Router(tags=["审计"])


class AuditEntryOut(Schema):
    id: int
    at: str
    actor_id: int | None
    actor_name: str
    sealed: bool
    action: str
    action_label: str = ""
    object_type: str
    object_id: str
    object_repr: str
    note: str
    remote_addr: str
    before: Any = None
    after: Any = None


class AuditPageOut(Schema):
    items: list[AuditEntryOut]
    count: int


class AuditRevealIn(Schema):
    reason: str = ""


class AuditRevealOut(Schema):
    id: int
    actor_id: int | None = None
    actor_name: str = ""
    real_name: str = ""
    remote_addr: str = ""
    before: Any = None
    after: Any = None


def entry_out(e: AuditEntry) -> dict:
    """One row as reviewers read it: a sealed actor is "（已密封）", with no id or address."""
    return {
        "id": e.pk,
        "at": e.at.isoformat(),
        "actor_id": None if e.sealed else e.actor_id,
        "actor_name": e.actor_label if e.sealed else e.actor_name,
        "sealed": e.sealed,
        "action": e.action,
        "action_label": action_label(e.action),
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_repr": mask_text(e.object_repr),
        "note": mask_text(e.note),
        "remote_addr": "" if e.sealed else e.remote_addr,
        "before": e.before,
        "after": e.after,
    }


@router.get("/", response={200: AuditPageOut, 401: ErrorOut, 422: ErrorOut})
def audit_list(request, action: str = "", object_type: str = "", object_id: str = ""):
    """Rows the caller's ``audit.view`` reach covers, and the caller's own, newest first."""
    qs = AuditEntry.objects.visible_to(request.user, "audit.view")
    # Control characters match nothing stored, and PostgreSQL refuses a NUL in a string (a 500).
    action, object_type, object_id = (one_line(v)[:64] for v in (action, object_type, object_id))
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return paginate(request, qs.order_by("-at", "-id"), entry_out)


@router.post(
    "/{entry_id}/reveal",
    response={
        200: AuditRevealOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def audit_reveal(request, response: HttpResponse, entry_id: int, data: AuditRevealIn):
    """The sealed actor of one row: needs ``audit.reveal_actor`` over it and a reason."""
    response["Cache-Control"] = "no-store"
    kept = audit.actor_reveal(actor=request.user, entry_id=pk_or_404(entry_id), reason=data.reason)
    return {"id": entry_id, **kept}
