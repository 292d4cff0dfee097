"""Console: the sanctions section of a member's file (record one, revoke one)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.errors import Conflict
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.members import sanctions
from dangjian.members.models import Member
from dangjian.members.models.sanctions import Sanction, SanctionKind
from dangjian.members.services import sanctions as sanction_services
from dangjian.web.decorators import console_view

FIELDS = ("kind", "decided_on", "starts_on", "ends_on", "document_number", "decided_by", "reason")


def section_context(user, member, can_manage: bool) -> dict:
    """What the file page's 党纪处分 section shows."""
    today = timezone.localdate()
    rows = list(sanctions.sanction_list(user, member))
    for s in rows:
        s.in_force = not (s.revoked_on and s.revoked_on <= today) and (
            s.kind != SanctionKind.PROBATION or s.starts_on <= today <= s.ends_on
        )
    return {
        "sanctions": rows,
        "on_probation": any(s.in_force and s.kind == SanctionKind.PROBATION for s in rows),
        "sanction_kinds": SanctionKind.choices,
        "can_sanction": can_manage,
    }


@console_view
@require_POST
def sanction_new(request, member_id: int):
    values = {f: request.POST.get(f, "") for f in FIELDS}
    try:
        s = sanction_services.sanction_record(
            actor=request.user,
            member=Member(pk=_pk(member_id)),
            **{k: (v or None) if k.endswith("_on") else v for k, v in values.items()},
        )
    except ValidationError as exc:
        messages.error(request, "处分未登记：" + "；".join(exc.messages))
    except Conflict as exc:
        messages.error(request, "处分未登记：" + exc.message)
    else:
        messages.success(request, f"已登记处分：{s.get_kind_display()}")
    return redirect(reverse("console:members:detail", args=[_pk(member_id)]) + "#sanctions")


@console_view
@require_POST
def sanction_revoke(request, member_id: int, sanction_id: int):
    sid = _pk(sanction_id)
    if not Sanction.objects.filter(pk=sid, member_id=_pk(member_id)).exists():
        sid = 0
    try:
        sanction_services.sanction_revoke(
            actor=request.user,
            sanction=Sanction(pk=sid),
            revoked_on=request.POST.get("revoked_on") or None,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, "处分未撤销：" + "；".join(exc.messages))
    except Conflict as exc:
        messages.error(request, "处分未撤销：" + exc.message)
    else:
        messages.success(request, "处分已撤销")
    return redirect(reverse("console:members:detail", args=[_pk(member_id)]) + "#sanctions")
