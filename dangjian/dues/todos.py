"""Dues' to-dos (``core.todo``): hardship requests (减免申请) waiting on a decision.

A request waits on the member's branch and the committee just above it (``dues.manage``:
支部决定); one the branch agreed waits on the higher organization (``dues.approve`` over an
organization one or two levels above the member's, not the one who decided for the branch:
上级审批), as the
hardship flow's sides (``services.HARDSHIP``) read. Read through ``selectors.hardships``.

Dues payments are recorded by the staff who take them (no confirmation step in the flow), so
they wait on nobody.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.urls import reverse

from dangjian.core import scope, todo, tree
from dangjian.dues import selectors
from dangjian.dues.models import HardshipState, HardshipStep

MODULE = "党费"


def _to_decide(user):
    q = Q(pk__in=[])
    for p in scope.reach_of(user, "dues.manage").org_paths:
        q |= tree.subtree_q("member__org_path", p) & Q(org_len__lte=len(p) + tree.STEP_WIDTH)
    return (
        selectors.hardships(user, state=HardshipState.REQUESTED)
        .annotate(org_len=Length("member__org_path"))
        .filter(q)
    )


def _to_approve(user):
    q = Q(pk__in=[])
    for p in scope.reach_of(user, "dues.approve").org_paths:
        q |= tree.subtree_q("member__org_path", p) & Q(
            org_len__gt=len(p), org_len__lte=len(p) + 2 * tree.STEP_WIDTH
        )
    return (
        selectors.hardships(user, state=HardshipState.BRANCH_AGREED)
        .annotate(org_len=Length("member__org_path"))
        .filter(q)
        .exclude(
            Exists(
                HardshipStep.objects.filter(
                    hardship=OuterRef("pk"), action="agree", actor_id=user.pk
                )
            )
        )
    )


def _source(key, title, query):
    def items(user):
        rows = query(user).order_by("created_at", "id")[:200]
        return [
            todo.Todo(
                source=key,
                title=title,
                subject=f"{h.member.name} · {h.get_kind_display()}党费",
                url=reverse("console:dues:member", args=[h.member_id]),
                object_id=h.pk,
                due=None,
            )
            for h in rows
        ]

    def count(user):
        return query(user).count()

    return items, count


def declare() -> None:
    items, count = _source("dues.hardship_decide", "支部决定减免申请", _to_decide)
    todo.declare(
        "dues.hardship_decide", label="待支部决定的减免", items=items, count=count, module=MODULE
    )
    items, count = _source("dues.hardship_approve", "审批减免申请", _to_approve)
    todo.declare(
        "dues.hardship_approve", label="待上级审批的减免", items=items, count=count, module=MODULE
    )
