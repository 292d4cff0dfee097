"""Bulk reveals (an export with full ID and phone numbers): a volume limit per person and day,
and an alert to the level above each time one is made (issue 19)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.accounts.models import Grant
from dangjian.core import notify
from dangjian.core.conf import setting
from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.core.tree import ancestors_of

ALERT_KIND = "members.bulk_reveal"
notify.declare_kind(ALERT_KIND, "批量导出完整个人信息提醒")


def daily_limit() -> int:
    """Rows with full numbers one person may export per day (``MEMBERS_BULK_REVEAL_DAILY``)."""
    return int(setting("MEMBERS_BULK_REVEAL_DAILY", 500))


def revealed_today(actor) -> int:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = AuditEntry.objects.filter(
        actor_id=actor.pk, action="members.export", at__gte=start, at__lt=start + dt.timedelta(1)
    ).values_list("after", flat=True)
    return sum(int((after or {}).get("revealed") or 0) for after in rows)


def check_bulk_reveal(*, actor, rows: int) -> None:
    """Refuse an export with full numbers that would take the actor past today's limit."""
    limit = daily_limit()
    done = revealed_today(actor)
    if done + rows > limit:
        raise Conflict(
            f"每人每天导出含完整号码的党员信息不超过{limit}条（今日已导出{done}条，本次{rows}条）；"
            "请缩小筛选范围，或导出脱敏名册"
        )


def _level_above(actor) -> set[int]:
    """The people holding a grant on the node right above each node the actor may reveal on."""
    nodes = Grant.objects.filter(user_id=actor.pk).values_list("area__path", "org__path")
    area_parents, org_parents = set(), set()
    for area_path, org_path in nodes:
        if area_path and ancestors_of(area_path):
            area_parents.add(ancestors_of(area_path)[-1])
        if org_path and ancestors_of(org_path):
            org_parents.add(ancestors_of(org_path)[-1])
    above = Grant.objects.exclude(user_id=actor.pk).filter(user__is_active=True)
    rows = [
        *above.filter(area__path__in=area_parents).values_list("user_id", "role__actions"),
        *above.filter(org__path__in=org_parents).values_list("user_id", "role__actions"),
    ]
    return {
        user_id
        for user_id, actions in rows
        if "*" in (actions or []) or "members.view" in (actions or [])
    }


def alert_level_above(*, actor, revealed: int) -> int:
    """Tell the level above that ``actor`` exported ``revealed`` rows with full numbers."""
    if revealed <= 0:
        return 0
    name = getattr(actor, "real_name", "") or actor.get_username()
    at = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return notify.notify(
        recipients=_level_above(actor),
        kind=ALERT_KIND,
        title=f"{name}导出了{revealed}条含完整号码的党员信息",
        body=f"{at}，{name}导出党员名册，其中{revealed}条含完整身份证号码和手机号码。"
        "如非工作需要，请及时核实。",
        url="/audit/?action=members.export",
    )
