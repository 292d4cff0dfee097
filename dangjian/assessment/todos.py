"""What waits on a person in 考核, declared to the one to-do inbox (``core.todo``), and the
kinds of notification the module raises (``core.notify``)."""

from __future__ import annotations

from django.urls import reverse
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


def declare() -> None:
    todo.declare(
        "assessment.rectification_plan", label=_("待制定整顿方案"), items=plans_due, module="考核"
    )
    todo.declare(
        "assessment.rectification_report",
        label=_("待报告整顿进展"),
        items=reports_due,
        module="考核",
    )
    todo.declare(
        "assessment.rectification_signoff",
        label=_("待验收的整顿"),
        items=signoffs_waiting,
        module="考核",
    )
    todo.declare(
        "assessment.ranking_confirm",
        label=_("待确认的软弱涣散名单"),
        items=confirmations_waiting,
        module="考核",
    )
    notify.declare_kind("assessment.warning", _("党员双色预警"))
    notify.declare_kind("assessment.rectification", _("软弱涣散整顿"))
