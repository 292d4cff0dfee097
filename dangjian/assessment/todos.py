"""What waits on a person in 考核, declared to the one to-do inbox (``core.todo``), and the
kinds of notification the module raises (``core.notify``)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core import notify, todo, workflow

WAITING = {
    "assessment.rectification_plan": ("plan",),
    "assessment.rectification_report": ("report", "submit"),
    "assessment.rectification_signoff": ("sign_off",),
}


def _rectifications(user, actions: tuple[str, ...], key: str, title: str):
    from dangjian.assessment.models import Rectification
    from dangjian.assessment.services.rectify import RECTIFY

    states = {s for a in actions for s in RECTIFY.actions[a].sources}
    rows = Rectification.objects.visible_to(user, "assessment.view").filter(state__in=states)
    out = []
    for r in rows.order_by("deadline", "id")[:200]:
        if any(workflow.may(RECTIFY, user, r, a) for a in actions):
            out.append(
                todo.Todo(
                    source=key,
                    title=title,
                    subject=f"{r.year}年 · {r.org_name}",
                    url=reverse("console:assessment:rectification", args=[r.pk]),
                    object_id=r.pk,
                    due=r.deadline,
                )
            )
    return out


def plans_due(user):
    return _rectifications(
        user,
        WAITING["assessment.rectification_plan"],
        "assessment.rectification_plan",
        "制定整顿方案",
    )


def reports_due(user):
    return _rectifications(
        user,
        WAITING["assessment.rectification_report"],
        "assessment.rectification_report",
        "报告整顿进展",
    )


def signoffs_waiting(user):
    return _rectifications(
        user,
        WAITING["assessment.rectification_signoff"],
        "assessment.rectification_signoff",
        "验收整顿",
    )


def confirmations_waiting(user):
    from dangjian.assessment.models import Ranking, RankingState

    if not user.can("assessment.manage"):
        return []
    rows = (
        Ranking.objects.visible_to(user, "assessment.manage")
        .filter(state=RankingState.DRAFT, entries__isnull=False)
        .select_related("county")
        .distinct()
        .order_by("-year", "area_path")
    )
    return [
        todo.Todo(
            source="assessment.ranking_confirm",
            title="确认软弱涣散党组织名单",
            subject=f"{r.year}年 · {r.county.name}",
            url=reverse("console:assessment:ranking", args=[r.pk]),
            object_id=r.pk,
        )
        for r in rows[:50]
    ]


def objections_waiting(user):
    """Objections to published ratings that county staff (``assessment.manage`` over the
    rating) have to decide; the rating stays out of 已确定 while one is pending."""
    from dangjian.assessment.models import Objection, ObjectionState

    if not user.can("assessment.manage"):
        return []
    rows = (
        Objection.objects.visible_to(user, "assessment.manage")
        .filter(state=ObjectionState.FILED)
        .select_related("rating")
        .order_by("rating__window_ends_on", "filed_at", "id")
    )
    return [
        todo.Todo(
            source="assessment.objection_handle",
            title="处理评星异议",
            subject=f"{o.rating.year}年 · {o.rating.org_name}",
            url=reverse("console:assessment:rating", args=[o.rating_id]),
            object_id=o.pk,
            due=o.rating.window_ends_on,
        )
        for o in rows[:200]
    ]


# 督评考 items show in the inbox of the level above from this many days before they are due.
REVIEW_LEAD_DAYS = 14


def reviews_due(user, today: dt.date | None = None):
    """The 督评考 items (quarterly research, half-yearly evaluation, yearly assessment) of
    secretary projects below the user that are due within ``REVIEW_LEAD_DAYS`` or overdue and
    have no result yet: the level above records them (``assessment.evaluate``), never the
    organization itself."""
    from dangjian.assessment.models import Review
    from dangjian.assessment.services.projects import EVALUATE, is_above

    if not user.can(EVALUATE):
        return []
    today = today or timezone.localdate()
    rows = (
        Review.objects.visible_to(user, EVALUATE)
        .filter(result_score__isnull=True, due_on__lte=today + dt.timedelta(REVIEW_LEAD_DAYS))
        .select_related("project")
        .order_by("due_on", "org_path", "id")
    )
    out = []
    for r in rows[:400]:
        if not is_above(user, r):
            continue
        out.append(
            todo.Todo(
                source="assessment.review_due",
                title=f"督评考：{r.get_kind_display()}",
                subject=f"{r.period} · {r.project.title}",
                url=reverse("console:assessment:project", args=[r.project_id]),
                object_id=r.pk,
                due=r.due_on,
            )
        )
        if len(out) >= 200:
            break
    return out


# Each kind of to-do of the module: its source, its label, who has it and what.
TODOS = (
    ("assessment.rectification_plan", _("待制定整顿方案"), plans_due),
    ("assessment.rectification_report", _("待报告整顿进展"), reports_due),
    ("assessment.rectification_signoff", _("待验收的整顿"), signoffs_waiting),
    ("assessment.ranking_confirm", _("待确认的软弱涣散名单"), confirmations_waiting),
    ("assessment.objection_handle", _("待处理的评星异议"), objections_waiting),
    ("assessment.review_due", _("待评定的督评考事项"), reviews_due),
)


def declare() -> None:
    for source, label, items in TODOS:
        todo.declare(source, label=label, items=items, module="考核")
    notify.declare_kind("assessment.warning", _("党员双色预警"))
    notify.declare_kind("assessment.rectification", _("软弱涣散整顿"))
