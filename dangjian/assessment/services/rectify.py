"""The rectification project (整顿) as a workflow on the kernel's engine (``core.workflow``):
the organization sets its measures and responsible leader, reports progress, asks for
acceptance; the level above signs it off (销号) or sends it back. The deadline was set in
working days when the list was confirmed (``services.weak.ranking_confirm``)."""

from __future__ import annotations

from django.utils import timezone

from dangjian.assessment.models import Rectification, RectificationState, RectificationStep
from dangjian.core import notify, scope, tree, workflow
from dangjian.core.validation import clean_text
from dangjian.core.workflow import Action, Refusal
from dangjian.organizations.models import PartyOrg

RS = RectificationState
REPORT = "assessment.report"
MANAGE = "assessment.manage"
VIEW = "assessment.view"
NOTE_MAX, MEASURES_MAX, LEADER_MAX = 1000, 2000, 50


def _covers(reach: scope.Reach, org_path: str, area_path: str) -> bool:
    return any(tree.is_within(org_path, p) for p in reach.org_paths) or any(
        tree.is_within(area_path, p) for p in reach.area_paths
    )


def _parent(r: Rectification) -> PartyOrg | None:
    cached = getattr(r, "_parent_org", False)
    if cached is False:
        org = PartyOrg.objects.only("parent_id").get(pk=r.org_id)
        cached = (
            PartyOrg.objects.only("pk", "path", "area_path", "name")
            .filter(pk=org.parent_id)
            .first()
        )
        r._parent_org = cached
    return cached


def _side_org(actor, r: Rectification, move) -> str | None:
    """The organization itself: reach over it, not over the level above (that is the
    reviewer's side)."""
    reach = scope.reach_of(actor, move.permission)
    parent = _parent(r)
    if not _covers(reach, r.org_path, r.area_path) or (
        parent is not None and _covers(reach, parent.path, parent.area_path)
    ):
        return f"“{move.label}”须由{r.org_name}（书记）办理"
    return None


def _side_above(actor, r: Rectification, move) -> str | None:
    parent = _parent(r)
    reach = scope.reach_of(actor, move.permission)
    if parent is None or not _covers(reach, parent.path, parent.area_path):
        return "“{}”须由上级党组织{}办理".format(move.label, f"（{parent.name}）" if parent else "")
    return None


def _reported(ctx: workflow.Context) -> Refusal | None:
    if ctx.obj.reports < 1:
        return Refusal("rectify.report_first", "申请验收前请至少报告一次整顿进展", 1)
    return None


ACTIONS: dict[str, Action] = {
    "plan": Action(
        "制定整顿方案",
        frozenset({RS.PLANNING}),
        RS.IN_PROGRESS,
        REPORT,
        "org",
        needs=("measures", "leader"),
    ),
    "report": Action("报告整顿进展", frozenset({RS.IN_PROGRESS}), None, REPORT, "org", ("note",)),
    "submit": Action(
        "申请验收", frozenset({RS.IN_PROGRESS}), RS.REVIEW, REPORT, "org", ("note",), (_reported,)
    ),
    "sign_off": Action("验收销号", frozenset({RS.REVIEW}), RS.CLOSED, MANAGE, "above"),
    "send_back": Action(
        "退回整改", frozenset({RS.REVIEW}), RS.IN_PROGRESS, MANAGE, "above", ("note",)
    ),
}
ACTION_LABELS = {"open": "确认为软弱涣散党组织"} | {a: m.label for a, m in ACTIONS.items()}


def _clean(ctx: workflow.Context) -> None:
    ctx.note = clean_text(ctx.note)
    if len(ctx.note) > NOTE_MAX:
        ctx.errors.add("note", f"说明（note）不能超过{NOTE_MAX}个字")
    elif "note" in ctx.move.needs and not ctx.note:
        ctx.errors.add("note", "请填写说明（note）")
    if ctx.action == "plan":
        measures = clean_text(ctx.fields.get("measures"))
        leader = clean_text(ctx.fields.get("leader"))
        if not measures:
            ctx.errors.add("measures", "请填写整顿措施（measures）")
        elif len(measures) > MEASURES_MAX:
            ctx.errors.add("measures", f"整顿措施（measures）不能超过{MEASURES_MAX}个字")
        if not leader:
            ctx.errors.add("leader", "请填写责任领导（leader）")
        elif len(leader) > LEADER_MAX or "\n" in leader:
            ctx.errors.add("leader", f"责任领导（leader）应为一行，不超过{LEADER_MAX}个字")
        ctx.values = {"measures": measures, "leader": leader}
        ctx.data = dict(ctx.values)


def _effect_plan(ctx: workflow.Context) -> None:
    ctx.obj.measures = ctx.values["measures"]
    ctx.obj.leader = ctx.values["leader"]


def _effect_report(ctx: workflow.Context) -> None:
    ctx.obj.reports += 1
    ctx.obj.last_report_on = timezone.localdate(ctx.now)
    if ctx.obj.last_report_on > ctx.obj.deadline:
        ctx.warnings.append("已超过整顿期限")


def _effect_sign_off(ctx: workflow.Context) -> None:
    ctx.obj.closed_on = timezone.localdate(ctx.now)


def _history(ctx: workflow.Context) -> None:
    RectificationStep.objects.create(
        rectification=ctx.obj,
        action=ctx.action,
        from_state=ctx.from_state,
        to_state=ctx.obj.state,
        actor=ctx.actor,
        actor_name=ctx.actor.get_username(),
        note=ctx.note,
        data=ctx.data,
    )


def _snapshot(r: Rectification) -> dict:
    return {
        "state": r.state,
        "measures": r.measures,
        "leader": r.leader,
        "reports": r.reports,
        "closed_on": r.closed_on.isoformat() if r.closed_on else None,
    }


RECTIFY = workflow.Flow(
    name="assessment.rectification",
    states=RectificationState,
    actions=ACTIONS,
    sides={"org": _side_org, "above": _side_above},
    queryset=lambda: Rectification.objects.all(),
    view_permission=VIEW,
    clean=_clean,
    effects={
        "plan": _effect_plan,
        "report": _effect_report,
        "submit": _effect_report,
        "sign_off": _effect_sign_off,
    },
    history=_history,
    snapshot=_snapshot,
)


def rectification_transition(*, actor, rectification, action: str, note: str = "", **fields):
    """The one transition service of a rectification (``RECTIFY``, run by the kernel)."""
    ctx = workflow.run(
        RECTIFY,
        actor=actor,
        pk=getattr(rectification, "pk", rectification),
        action=action,
        note=note,
        **fields,
    )
    r = ctx.obj
    if ctx.action == "submit":
        _notify_above(r)
    elif ctx.action in ("sign_off", "send_back"):
        _notify_org(r, "已验收销号" if ctx.action == "sign_off" else "被退回整改")
    return r


# --- notifications ------------------------------------------------------------------------------


def _users_over(org_path: str, area_path: str, action: str, *, exact: bool):
    """Active users whose grant allowing ``action`` is on this organization (``exact``) or
    anywhere over it."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from dangjian.accounts.models import Grant
    from dangjian.accounts.roles import allows

    User = get_user_model()
    orgs = [org_path] if exact else [*tree.ancestors_of(org_path), org_path]
    areas = [area_path] if exact else [*tree.ancestors_of(area_path), area_path]
    ids = {
        user_id
        for user_id, actions in Grant.objects.filter(user__is_active=True)
        .filter(Q(org__path__in=orgs) | Q(area__path__in=areas))
        .values_list("user_id", "role__actions")
        if allows(actions, action)
    }
    return User.objects.filter(pk__in=ids)


def _url(r: Rectification) -> str:
    from django.urls import reverse

    return reverse("console:assessment:rectification", args=[r.pk])


def notify_opened(r: Rectification) -> None:
    notify.notify(
        recipients=_users_over(r.org_path, r.area_path, REPORT, exact=True),
        kind="assessment.rectification",
        title=f"{r.org_name}被确认为{r.year}年软弱涣散党组织，请制定整顿方案",
        url=_url(r),
        key=f"assessment.rectification.open:{r.pk}",
    )


def _notify_above(r: Rectification) -> None:
    parent = _parent(r)
    if parent is None:
        return
    notify.notify(
        recipients=_users_over(parent.path, parent.area_path, MANAGE, exact=False),
        kind="assessment.rectification",
        title=f"{r.org_name}申请整顿验收",
        url=_url(r),
        key=f"assessment.rectification.submit:{r.pk}:{r.reports}",
    )


def _notify_org(r: Rectification, what: str) -> None:
    notify.notify(
        recipients=_users_over(r.org_path, r.area_path, REPORT, exact=True),
        kind="assessment.rectification",
        title=f"{r.org_name}的整顿{what}",
        url=_url(r),
        key=f"assessment.rectification.{what}:{r.pk}:{r.updated_at.isoformat()}",
    )
