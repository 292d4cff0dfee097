"""The member registry's Excel export."""

from __future__ import annotations

from django.db import models

from dangjian.core import audit, scope
from dangjian.members.models import (
    Member,
)
from dangjian.members.services import bulk_reveal
from dangjian.members.services.fields import _actor_name
from dangjian.organizations.models import PartyOrg


def check_export(*, actor, filters: dict, reveal: bool = False):
    """The queryset an export would write, after checking the filters and the right to
    reveal (the same checks whether the export runs now or in the background)."""
    from dangjian.members import selectors

    if not (actor.can("members.view") and actor.can("members.export")):
        raise scope.Forbidden("您没有导出党员名册的权限")
    qs = selectors.member_list(actor, **filters)
    if reveal and not actor.can("members.reveal_pii"):
        raise scope.Forbidden("您没有导出完整个人信息的权限")
    if reveal:
        bulk_reveal.check_bulk_reveal(actor=actor, rows=qs.count())
    return qs


def export_org_path(actor, filters: dict) -> str:
    """The scope of an export's audit row: the organization filtered on, else the smallest
    subtree holding all the export covered (``core.audit.covered_paths``)."""
    if filters.get("org"):
        found = PartyOrg.objects.filter(pk=filters["org"]).values_list("path", flat=True).first()
        if found:
            return found
    return audit.covered_paths(Member, actor, "members.view")["org_path"]


def members_export(
    *, actor, filters: dict, reveal: bool = False, progress=None
) -> tuple[bytes, int]:
    """The filtered list as .xlsx: scoped, masked unless ``reveal`` and the actor may reveal
    that member's data, with the exporter's name in the file; audited (an export of nothing
    discloses nothing and writes no audit row). ``progress(rows_done)``: see
    ``excel.export_members``."""
    from dangjian.members import excel

    qs = check_export(actor=actor, filters=filters, reveal=reveal)
    reveal_q = None
    if reveal:
        reveal_q = Member.objects.visible_to(actor, "members.reveal_pii").filter(
            pk=models.OuterRef("pk")
        )
    content, count, revealed = excel.export_members(
        qs, exporter=_actor_name(actor), reveal_q=reveal_q, progress=progress
    )
    if count:
        note = f"导出党员名册{count}条" + (
            f"，其中{revealed}条含完整身份证号码和手机号码" if revealed else "（个人信息已脱敏）"
        )
        audit.record(
            actor=actor,
            action="members.export",
            object_type="members.member",
            object_repr="党员名册",
            org_path=export_org_path(actor, filters),
            note=note,
            after={
                "count": count,
                "revealed": revealed,
                "filters": {k: v for k, v in filters.items() if v not in (None, "")},
            },
        )
        bulk_reveal.alert_level_above(actor=actor, revealed=revealed)
    return content, count


# --- village and community cadres (两委干部) --------------------------------------------------
