"""The rows behind two figures, stored with the roll-ups so that their lists are reads: each
branch's compliance for the month (the city's board took 5 s on PostgreSQL and 22 s on SQLite
computed live) and the members in arrears (3.9 s live). Written by ``engine.recompute`` from
what the sources computed for the month (nothing is evaluated twice)."""

from __future__ import annotations

from django.utils import timezone

from dangjian.dashboard.models import ArrearsRow, BranchCompliance
from dangjian.dashboard.rollups.registry import MonthCtx
from dangjian.dues import calc
from dangjian.members.models import Member
from dangjian.organizations.models import PartyOrg

CHUNK = 5000


def _months(values) -> list[str]:
    return [calc.month_text(m) for m in values]


def store_compliance(ctx: MonthCtx) -> int:
    rows = ctx.cache.get(("orglife_rows", ctx.month))
    if rows is None:
        return 0
    paths = {
        pk: (org_path, area_path)
        for pk, org_path, area_path in PartyOrg.objects.filter(
            pk__in=[r["org_id"] for r in rows]
        ).values_list("pk", "path", "area_path")
    }
    now = timezone.now()
    BranchCompliance.objects.filter(month=ctx.month).delete()
    BranchCompliance.objects.bulk_create(
        [
            BranchCompliance(
                org_id=r["org_id"],
                org_path=paths[r["org_id"]][0],
                area_path=paths[r["org_id"]][1],
                month=ctx.month,
                colour=r["colour"],
                missed=r["missed"],
                row=r,
                computed_at=now,
            )
            for r in rows
            if r["org_id"] in paths
        ],
        batch_size=2000,
    )
    return len(rows)


def store_arrears(ctx: MonthCtx) -> int:
    behind = ctx.cache.get("arrears_rows")
    if behind is None or not ctx.current:
        return 0
    ids = list(behind)
    info = {}
    for start in range(0, len(ids), CHUNK):
        for pk, name, org_id, org_name, org_path, area_path in Member.objects.filter(
            pk__in=ids[start : start + CHUNK]
        ).values_list("pk", "name", "org_id", "org__name", "org_path", "org__area_path"):
            info[pk] = (name, org_id, org_name, org_path, area_path)
    now = timezone.now()
    ArrearsRow.objects.all().delete()
    ArrearsRow.objects.bulk_create(
        [
            ArrearsRow(
                member_id=pk,
                name=info[pk][0],
                org_id=info[pk][1],
                org_name=info[pk][2],
                org_path=info[pk][3],
                area_path=info[pk][4],
                streak=len(st.streak),
                level=st.level,
                streak_months=_months(st.streak),
                arrears_months=_months(st.arrears),
                computed_at=now,
            )
            for pk, st in behind.items()
            if pk in info
        ],
        batch_size=2000,
    )
    return len(behind)


def store(ctx: MonthCtx) -> None:
    store_compliance(ctx)
    store_arrears(ctx)
