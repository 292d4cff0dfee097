"""Reads of the governance tree, scoped: pickers of open areas, an area's history and people."""

from __future__ import annotations

from django.db.models import QuerySet

from dangjian.core import scope
from dangjian.core.models import AuditEntry
from dangjian.territory.models import Area

ACTION_LABELS = {
    "area.create": "新建区域",
    "area.update": "修改区域",
    "area.move": "调整区域隶属",
    "area.merge": "并入其他区域",
    "area.merge_in": "接收并入的区域",
    "area.close": "撤销区域",
    "area.reopen": "恢复区域",
}


def open_areas(user, action: str = "territory.view") -> QuerySet:
    """The areas a picker offers: visible to ``user`` for ``action`` and not closed."""
    return Area.objects.visible_to(user, action).filter(closed_on__isnull=True)


def area_history(user, area_id: int) -> QuerySet:
    """The audit rows about the area (``territory.view`` on it, else 404) that ``user`` may
    read (``audit.view``), newest first. Rows keep the paths of the moment they were written:
    after a move, those written before it are read through the old place's reach."""
    area = scope.get_visible(Area.objects.only("pk", "path"), user, "territory.view", pk=area_id)
    return (
        AuditEntry.objects.visible_to(user, "audit.view")
        .filter(object_type="territory.area", object_id=str(area.pk))
        .order_by("-at", "-id")
    )
