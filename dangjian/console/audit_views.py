"""The audit trail, scoped: what the user's reach covers, plus their own actions."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.console.audit_labels import action_choices, action_label
from dangjian.console.forms import (
    AuditFilterForm,
    AuditRevealForm,
    object_type_label,
)
from dangjian.core import audit
from dangjian.core.errors import Conflict
from dangjian.core.logging import mask_text
from dangjian.core.models import AuditEntry
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import add_service_errors, messages_of
from dangjian.web.paging import paginate

PAGE_SIZE = 50


def masked_json(value) -> str:
    """Before/after values as readable JSON; ID and mobile numbers masked once more in case a
    writer forgot (the audit writer masks fields that declare personal data)."""
    if value in (None, "", {}, []):
        return ""
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return mask_text(text)


def _day_start(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def _real_name(e: AuditEntry) -> str:
    return (e.actor.real_name if e.actor_id and e.actor is not None else "") or ""


# The audit log's columns, declared once (web.listing): the page's, masked as it masks them.
TABLE = L.Table(
    title="审计日志",
    object_type="core.auditentry",
    columns=(
        L.Column("at", "时间", "e.at", ("at",)),
        L.Column("actor", "操作人", "actor", ("actor_name",)),
        L.Column("action", "操作", "action_label", ("action",)),
        L.Column("object_type", "对象类型", "object_type_label", ("object_type", "object_id")),
        L.Column("object", "对象", "object_repr"),
        L.Column("note", "说明", "note"),
        L.Column("address", "地址", "e.remote_addr", ("remote_addr",)),
        L.Column("before", "变更前", "before"),
        L.Column("after", "变更后", "after"),
    ),
    default=("-at", "-id"),
)


def _entry_row(e: AuditEntry) -> dict:
    return {
        "e": e,
        "action_label": action_label(e.action),
        "object_type_label": object_type_label(e.object_type),
        "before": masked_json(e.before),
        "after": masked_json(e.after),
        "note": mask_text(e.note),
        "object_repr": mask_text(e.object_repr),
        # the real name people know, the account name beside it in the title
        "actor": e.actor_label if e.sealed else (_real_name(e) or e.actor_name or "—"),
        "actor_account": "" if e.sealed else e.actor_name,
    }


@console_view
@L.exportable
def audit_list(request):
    user = request.user
    form = AuditFilterForm(request.GET or None)
    qs = AuditEntry.objects.visible_to(user, "audit.view")
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            qs = qs.filter(action=data["action"].strip())
        if data["actor"]:
            name = data["actor"].strip()
            # A sealed row has no actor in clear: a name search never finds it.
            qs = qs.filter(Q(actor_name__icontains=name) | Q(actor__real_name__icontains=name))
        if data["object_type"]:
            qs = qs.filter(object_type=data["object_type"])
        if data["date_from"]:
            qs = qs.filter(at__gte=_day_start(data["date_from"]))
        if data["date_to"]:
            qs = qs.filter(at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    elif form.is_bound:
        qs = qs.none()
    listed = L.listing_of(request, TABLE)
    qs = listed.order(qs.select_related("actor"))
    if listed.exporting:
        return listed.export(qs, prepare=lambda chunk: [_entry_row(e) for e in chunk])
    page = paginate(request, qs, PAGE_SIZE)
    entries = [_entry_row(e) for e in page.object_list]
    return render(
        request,
        "console/audit_list.html",
        {
            "form": form,
            "page": page,
            "entries": entries,
            "action_labels": action_choices(),
            "can_reveal": user.can(audit.REVEAL_ACTION),
            "listing": listed,
        },
    )


@console_view
@require_POST
def audit_reveal(request, entry_id: int):
    """The sealed actor of one row, for a reason (``audit.reveal_actor``, audited); the answer
    is not kept by any cache."""
    form = AuditRevealForm(request.POST)
    form.is_valid()  # text only: the service checks the reason
    error, kept, status = "", None, 200
    try:
        kept = audit.actor_reveal(
            actor=request.user, entry_id=entry_id, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        error, status = messages_of(form), 422
    except Conflict as exc:
        error, status = exc.message, 409
    response = render(
        request,
        "console/audit_reveal.html",
        {
            "entry_id": entry_id,
            "kept": kept,
            "error": error,
            "before": masked_json((kept or {}).get("before")),
            "after": masked_json((kept or {}).get("after")),
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response
