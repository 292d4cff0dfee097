"""The registry's counts for the size rules of the party tree (``organizations.headcount``),
registered in ``MembersConfig.ready``."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import Substr

from dangjian.core import tree
from dangjian.members.models import Member, Status
from dangjian.organizations.headcount import Headcount

ON_ROLL = (Status.PROBATIONARY, Status.FULL)


def subtree_counts(paths: list[str]) -> dict[str, Headcount]:
    """Members on the roll under each path: paths of one depth are counted together, grouped
    by their prefix of that length (one query per depth, one range scan of ``org_path``)."""
    by_length: dict[int, list[str]] = defaultdict(list)
    for path in paths:
        by_length[len(path)].append(path)
    out: dict[str, Headcount] = {}
    for length, group in by_length.items():
        wanted = set(group)
        rows = (
            Member.objects.filter(
                org_path__gte=min(group),
                org_path__lt=tree.path_end(max(group)),
                status__in=ON_ROLL,
                left_on__isnull=True,
            )
            .annotate(prefix=Substr("org_path", 1, length))
            .values("prefix")
            .annotate(n=Count("pk"), full=Count("pk", filter=Q(status=Status.FULL)))
            .order_by()
        )
        for row in rows:
            if row["prefix"] in wanted:
                out[row["prefix"]] = Headcount(row["n"], row["full"])
    return out


def attached(org_id: int) -> int:
    """Member files whose organization is ``org_id`` and that are still on its books:
    probationary, full or suspended, not transferred out of the system."""
    return (
        Member.objects.filter(org_id=org_id, left_on__isnull=True)
        .exclude(status__in=(Status.REMOVED, Status.DECEASED))
        .count()
    )
