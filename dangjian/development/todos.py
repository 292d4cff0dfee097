"""Member development's to-dos (``core.todo``) and deadline notifications (``core.notify``):
applicants whose next step is due within a week or overdue wait on those who manage their
file (``development.manage`` over the applicant's organization or one up to two levels above); the deadline sweep tells the
nearest organization's managers once per step and date when it comes near and when it passes.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone

from dangjian.core import notify, scope, todo, tree
from dangjian.development import steps as S
from dangjian.development.models import Applicant
from dangjian.development.selectors import OPEN_STATUSES
from dangjian.development.services import MANAGE

KEY = "development.step"
KIND_DEADLINE = "development.deadline"
DUE_SOON_DAYS = 7


def _due(user, today: dt.date | None = None):
    """Due soon or overdue, in the files of the user's organizations down to two levels below
    (the branch, its committee, the 党工委 or 党委 that approves): not a whole county's."""
    today = today or timezone.localdate()
    q = Q(pk__in=[])
    for p in scope.reach_of(user, MANAGE).org_paths:
        q |= tree.subtree_q("org_path", p) & Q(org_len__lte=len(p) + 2 * tree.STEP_WIDTH)
    return (
        Applicant.objects.visible_to(user, MANAGE)
        .filter(
            status__in=OPEN_STATUSES,
            next_due__isnull=False,
            next_due__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
        )
        .annotate(org_len=Length("org_path"))
        .filter(q)
    )


def _step_label(a: Applicant) -> str:
    n = a.next_step
    return S.STEPS[n].label if n in S.STEPS else ""


def items(user):
    rows = _due(user).only("pk", "name", "step", "status", "next_due").order_by("next_due", "id")
    return [
        todo.Todo(
            source=KEY,
            title=_step_label(a) or "办理下一步",
            subject=f"{a.name} · 第{a.next_step}步",
            url=reverse("console:development:detail", args=[a.pk]),
            object_id=a.pk,
            due=a.next_due,
        )
        for a in rows[:200]
    ]


def count(user) -> int:
    return _due(user).count()


def declare() -> None:
    todo.declare(KEY, label="到期的发展党员步骤", items=items, count=count, module="党员")
    notify.declare_kind(KIND_DEADLINE, "发展党员步骤期限提醒")
    notify.declare_sweep("development", deadline_sweep)


def deadline_sweep(*, now=None) -> int:
    from dangjian.accounts.recipients import nearest_holders

    today = timezone.localdate(now) if now else timezone.localdate()
    qs = Applicant.objects.filter(
        status__in=OPEN_STATUSES,
        next_due__isnull=False,
        next_due__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
    ).only("pk", "name", "step", "status", "next_due", "org_path")
    made = 0
    for a in qs.order_by("next_due", "id")[:2000]:
        late = a.next_due < today
        made += notify.notify(
            recipients=nearest_holders(MANAGE, path=a.org_path, tree_name="org"),
            kind=KIND_DEADLINE,
            title="发展党员步骤已超期" if late else "发展党员步骤期限临近",
            body=f"{a.name}：第{a.next_step}步“{_step_label(a)}”期限为{a.next_due:%Y-%m-%d}。",
            url=reverse("console:development:detail", args=[a.pk]),
            key=f"development.deadline:{a.pk}:{a.next_step}:{a.next_due:%Y%m%d}:"
            + ("late" if late else "near"),
        )
    return made
