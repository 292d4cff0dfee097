"""Writes of member development: each atomic, validated in full before saving (Chinese
messages naming the field), scoped, audited with masked values.

``applicant_transition`` is the one service that moves an applicant through the 25 steps of
``steps.STEPS`` (or extends the probation, or ends the record). Its answers:

- an action that is not the next step, or a move the record's state does not allow, and a
  step taken before a period of ``steps.RULES`` has passed (or after it has expired) →
  ``Conflict`` (409), naming the rule and the date that would satisfy it;
- bad or missing fields (dates, people, documents, votes, the approving organization) →
  ``ValidationError`` (422) naming the field;
- nothing is written unless everything passes.

The member registry is written only through ``members.services``: the approval of step 17
files the applicant as a probationary member (``member_create``), the approval of the
confirmation at step 24 makes the file a full member dated the day the probation ended
(``member_update``), and a cancelled probation marks the file removed.

Registering an applicant is in ``registration``, the yearly targets in ``targets``, the checks
of each step's own fields in ``step_fields``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.accounts.models import User, UserKind
from dangjian.core import audit, scope, tree, workflow
from dangjian.core.errors import Conflict
from dangjian.core.months import add_months
from dangjian.core.validation import clean_free_text
from dangjian.core.validation import clean_text as _text
from dangjian.core.validators import (
    PARTY_FOUNDED,
    date_range_message,
)
from dangjian.development import steps as S
from dangjian.development.approvers import (
    approvers_for,  # noqa: F401 (the views read it here)
)
from dangjian.development.models import (
    Applicant,
    ApplicantStatus,
    ApplicantStep,
    PersonRole,
    ResponsiblePerson,
    StepAction,
)
from dangjian.development.step_fields import (
    FIELD_LABELS,
    _check_approver,
    _check_contacts,
    _check_review,
    _check_sponsors,
    _check_training,
    _check_vote,
    _count,
    _date,
    _short_text,
)
from dangjian.members import services as member_services
from dangjian.members.models import Member, Status

MANAGE = "development.manage"
VIEW = "development.view"
MAX_NOTE = 500
# The public notice starts within a few weeks of the branch committee's review (step 12).
NOTICE_START_DAYS = 30


def _fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def can_manage_in(actor, org_path: str, action: str = MANAGE) -> bool:
    """Applicants are scoped by the party tree: only org-tree grants count."""
    reach = scope.reach_of(actor, action)
    return any(tree.is_within(org_path, p) for p in reach.org_paths)


# --- rules -----------------------------------------------------------------------------------


def facts_of(a: Applicant) -> dict:
    return {
        "birth": a.birth_date,
        "steps": {
            n: d
            for n, d in (
                (1, a.applied_on),
                (3, a.activist_on),
                (7, a.candidate_on),
                (15, a.admitted_on),
                (17, a.approved_on),
                (23, a.confirmation_vote_on),
            )
            if d
        },
        "notice_start": a.notice_start,
        "probation_end": a.probation_end,
    }


def _plan_next(a: Applicant) -> None:
    """Store the next step's earliest date and deadline (the board reads them)."""
    nxt = a.next_step
    if nxt is None:
        a.next_earliest = a.next_due = None
        a.next_due_rule = ""
        return
    facts = facts_of(a)
    a.next_earliest, _ = earliest_explained(a)
    a.next_due, a.next_due_rule = S.due(nxt, facts)


def earliest_explained(
    a: Applicant, today: dt.date | None = None
) -> tuple[dt.date | None, list[str]]:
    """The first date the next step may be taken on, and the rules that set it. Before any
    step is recorded a date already past (the 18th birthday, years ago) is no date at all: the
    application may be taken any time, and "eligible since 2001" would read as a wait."""
    nxt = a.next_step
    if nxt is None:
        return None, []
    earliest, why = S.earliest(nxt, facts_of(a), a.last_step_on)
    today = today or timezone.localdate()
    if a.last_step_on is None and earliest is not None and earliest <= today:
        return None, []
    return earliest, why


# --- the one transition service --------------------------------------------------------------


def _step_name(n: int) -> str:
    return f"第{n}步“{S.STEPS[n].label}”"


def _state_refusal(a: Applicant, kind: str, number: int | None) -> str | None:
    status = ApplicantStatus(a.status)
    if kind == StepAction.STEP:
        if number == S.LAST_STEP and status == ApplicantStatus.CONFIRMED:
            pass
        elif status != ApplicantStatus.ACTIVE:
            return f"该申请人{status.label}，不能再办理{_step_name(number)}"
        if number != a.step + 1:
            done = f"已完成{_step_name(a.step)}" if a.step else "尚未办理任何步骤"
            nxt = _step_name(a.step + 1) if a.step < S.LAST_STEP else "无"
            return f"发展党员须按步骤依次办理：{done}，下一步为{nxt}，不能办理{_step_name(number)}"
        return None
    if kind == StepAction.EXTEND:
        if status != ApplicantStatus.ACTIVE:
            return f"该申请人{status.label}，不能延长预备期"
        if not S.EXTEND_FROM <= a.step <= S.EXTEND_UNTIL:
            return (
                "只有预备党员（上级党委审批后、支部大会讨论转正前）才能延长预备期，"
                f"当前为{_step_name(a.step) if a.step else '尚未办理任何步骤'}"
            )
        if a.extension_months:
            return f"预备期只能延长一次，已延长{a.extension_months}个月"
        return None
    if status != ApplicantStatus.ACTIVE:
        return f"该申请人{status.label}，不能再终止"
    return None


def _snapshot(a: Applicant) -> dict:
    return audit.snapshot(a)


# --- the 25 steps on the kernel's engine (``core.workflow``) ------------------------------------
# One action per step ("1".."25"), "extend" and "cancel"; the state is the record's status and
# its last step (``_state_refusal``), the periods of ``steps.RULES`` are the steps' guards.

_UNKNOWN = "可用操作：1至25（步骤序号）、extend（延长预备期）、cancel（终止）"


def _kind_number(action: str) -> tuple[str, int | None]:
    return (StepAction.STEP, int(action)) if action.isdigit() else (action, None)


def _rule_guard(rule):
    """A period of ``steps.RULES`` as a guard: a hard one refuses (naming the rule and the
    first or last date that satisfies it); a soft one only warns."""

    def guard(ctx: workflow.Context) -> workflow.Refusal | None:
        step, when = rule.step, ctx.values["day"]
        anchor = S.anchor_date(rule, facts_of(ctx.obj))
        if anchor is None:
            return None
        limit = S.rule_limit(rule, anchor)
        said = f"不符合“{rule.label}”的规定：{rule.anchor_label}日期为{_fmt(anchor)}，"
        if rule.kind == "min" and when < limit:
            message = f"{said}最早可于{_fmt(limit)}办理第{step}步“{S.STEPS[step].label}”"
            return workflow.Refusal(rule.code, message, satisfy=limit)
        if rule.kind == "max" and when > limit:
            message = (
                f"{said}最迟应于{_fmt(limit)}办理第{step}步“{S.STEPS[step].label}”，已超过期限"
            )
            return workflow.Refusal(rule.code, message, satisfy=limit)
        if rule.kind == "warn_max" and when > limit:
            ctx.warnings.append(f"超过“{rule.label}”的期限：应于{_fmt(limit)}前完成")
        if rule.kind == "warn_min" and when < limit:
            ctx.warnings.append(
                f"未满“{rule.label}”的期限（{S.months_of(rule)}个月）：{rule.anchor_label}日期为"
                f"{_fmt(anchor)}，一般应在{_fmt(limit)}以后"
            )
        return None

    return guard


_ACTIVE = frozenset({ApplicantStatus.ACTIVE})
STEP_FLOW: dict[str, workflow.Action] = {
    **{
        str(n): workflow.Action(
            step.label,
            _ACTIVE | {ApplicantStatus.CONFIRMED} if n == S.LAST_STEP else _ACTIVE,
            None,
            MANAGE,
            "org",
            step.fields,
            tuple(_rule_guard(r) for r in S.rules_at(n)),
        )
        for n, step in S.STEPS.items()
    },
    "extend": workflow.Action("延长预备期", _ACTIVE, None, MANAGE, "org", ("months",)),
    "cancel": workflow.Action("终止", _ACTIVE, None, MANAGE, "org", ("note",)),
}


def _clean(ctx: workflow.Context) -> None:
    a, actor, errors = ctx.obj, ctx.actor, ctx.errors
    kind, number = _kind_number(ctx.action)
    when = ctx.fields.get("when")
    fields = {k: v for k, v in ctx.fields.items() if k != "when"}
    warnings: list[str] = []
    today = timezone.localdate()
    day = _date(errors, "date", when) if when not in (None, "") else today
    note = ctx.note = clean_free_text(ctx.note)
    if len(note) > MAX_NOTE:
        errors.add("note", f"说明不能超过{MAX_NOTE}个字")
    if day is not None:
        if message := date_range_message(day, earliest=PARTY_FOUNDED, latest=today):
            errors.add("date", message)
        elif a.last_step_on and day < a.last_step_on:
            errors.add(
                "date",
                f"日期不能早于上一步骤的日期（{_fmt(a.last_step_on)}），"
                f"最早可为{_fmt(a.last_step_on)}",
            )
    allowed: tuple[str, ...] = ()
    if kind == StepAction.STEP:
        allowed = S.STEPS[number].fields
    elif kind == StepAction.EXTEND:
        allowed = ("months",)
    given = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
    for key in sorted(set(given) - set(allowed)):
        what = _step_name(number) if number else ("延长预备期" if kind == "extend" else "终止")
        errors.add(key, f"{what}不需要填写{FIELD_LABELS.get(key, key)}")
    if kind == StepAction.STEP:
        for key in S.STEPS[number].required:
            if key not in given and key not in errors:
                errors.add(key, f"请填写{FIELD_LABELS.get(key, key)}")
    if kind == StepAction.CANCEL and not note:
        errors.add("note", "终止培养考察须在说明中写明原因")
    if errors:
        errors.check()

    warnings: list[str] = []
    data: dict = {}
    people: list[tuple[str, Member]] = []
    approver = None
    if kind == StepAction.STEP:
        step = S.STEPS[number]
        if number == 1:
            data["document_title"] = (
                _short_text(errors, "document_title", given.get("document_title")) or "入党申请书"
            )
        else:
            for key in ("document_title", "talker", "method", "filed_with", "group_name"):
                if key in step.fields:
                    data[key] = _short_text(errors, key, given.get(key))
        if "volunteer_book_number" in step.fields:
            data["volunteer_book_number"] = _short_text(
                errors, "volunteer_book_number", given.get("volunteer_book_number"), 50
            )
        if "thought_reports" in step.fields:
            data["thought_reports"] = _count(
                errors, "thought_reports", given.get("thought_reports"), required=False
            )
        if number == 5:
            people += [
                (PersonRole.CONTACT, m)
                for m in _check_contacts(errors, actor, given.get("contacts"))
            ]
        if number == 9:
            people += [
                (PersonRole.SPONSOR, m)
                for m in _check_sponsors(errors, actor, given.get("sponsors"), day)
            ]
        if number == 10:
            _check_review(errors, data, given)
        if number == 11:
            _check_training(errors, data, given)
        if number == 12:
            start = _date(errors, "notice_start", given.get("notice_start")) or day
            if start and day and start < day:
                errors.add("notice_start", "公示开始日期不能早于支部委员会审查日期")
            elif start and day and start > day + dt.timedelta(days=NOTICE_START_DAYS):
                latest = day + dt.timedelta(days=NOTICE_START_DAYS)
                errors.add(
                    "notice_start",
                    f"公示应在支部委员会审查后{NOTICE_START_DAYS}日内开始，"
                    f"公示开始日期最晚可为{_fmt(latest)}",
                )
            data["notice_start"] = start.isoformat() if start else None
        if step.vote:
            _check_vote(errors, data, given, a, warnings, day)
        if step.approval:
            approver = _check_approver(errors, data, given, a)
        errors.check()
    elif kind == StepAction.EXTEND:
        months = _count(errors, "months", given.get("months"), required=True)
        low, high = S.EXTENSION_MONTHS
        if months is not None and not low <= months <= high:
            errors.add("months", f"预备期可延长{low}至{high}个月（现为{months}个月）")
        errors.check()
        data["months"] = months
        data["probation_end_before"] = a.probation_end.isoformat() if a.probation_end else None

    ctx.values.update(
        kind=kind, number=number, day=day, data=data, people=people, approver=approver
    )
    ctx.values["vote_warnings"] = warnings


def _effect(ctx: workflow.Context) -> None:
    a, actor, v = ctx.obj, ctx.actor, ctx.values
    kind, number, day, data = v["kind"], v["number"], v["day"], v["data"]
    ctx.warnings.extend(v["vote_warnings"])  # the periods' warnings first
    row = ApplicantStep(
        applicant=a,
        action=kind,
        number=number,
        stage=S.stage_of(number) if number else a.stage,
        date=day,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=(str(actor) if getattr(actor, "is_authenticated", False) else "")[:150],
        approving_org=v["approver"],
        data=data,
        warnings=ctx.warnings,
        note=ctx.note,
    )
    _apply(actor, a, row, kind, number, day, data)
    v["row"] = row
    _plan_next(a)


def _history(ctx: workflow.Context) -> None:
    row, a = ctx.values["row"], ctx.obj
    row.save()
    if ctx.values["people"]:
        ResponsiblePerson.objects.bulk_create(
            [
                ResponsiblePerson(applicant=a, step=row, role=role, member=m, name=m.name)
                for role, m in ctx.values["people"]
            ]
        )


def _audit(ctx: workflow.Context) -> dict:
    kind, number, day = ctx.values["kind"], ctx.values["number"], ctx.values["day"]
    b, after = audit.diff(ctx.before, _snapshot(ctx.obj))
    label = _step_name(number) if number else dict(StepAction.choices)[kind]
    return {
        "action": f"applicant.{'step' if kind == StepAction.STEP else kind}",
        "before": b,
        "after": after,
        "note": f"{label}（{day.isoformat()}）",
    }


APPLICANT = workflow.Flow(
    name="applicant",
    states=ApplicantStatus,
    actions=STEP_FLOW,
    sides={
        "org": lambda actor, a, move: (
            None if can_manage_in(actor, a.org_path) else "您没有执行此操作的权限"
        )
    },
    queryset=lambda: Applicant.objects.select_related("org"),
    view_permission=VIEW,
    act_permission=MANAGE,
    state_field="status",
    state_check=lambda flow, a, action, move: _state_refusal(a, *_kind_number(action)),
    clean=_clean,
    effects=dict.fromkeys(STEP_FLOW, _effect),
    history=_history,
    audit=_audit,
    snapshot=_snapshot,
    unknown_message=lambda flow, action: f"不支持的操作“{_text(action)[:24]}”，{_UNKNOWN}",
)


def applicant_transition(
    *, actor, applicant: Applicant, action, when=None, note: str = "", **fields
) -> Applicant:
    """Take the next step (``action`` "1".."25"), extend the probation (``"extend"``, with
    ``months``) or end the record (``"cancel"``, with a ``note``), dated ``when`` (default
    today): ``APPLICANT`` run by the kernel's engine. See the module's docstring for the
    answers; ``last_warnings`` on the answer are the soft periods' warnings."""
    ctx = workflow.run(
        APPLICANT,
        actor=actor,
        pk=applicant.pk,
        action=_text(action),
        note=note,
        when=when,
        **fields,
    )
    ctx.obj.last_warnings = ctx.warnings
    return ctx.obj


def _apply(actor, a: Applicant, row: ApplicantStep, kind, number, day, data) -> None:
    """What the move does to the record (and, at 17, 24 and a cancelled probation, to the
    member registry, through its services)."""
    if kind == StepAction.CANCEL:
        a.status = ApplicantStatus.CANCELLED
        a.ended_on = day
        if a.member_id and a.step >= S.MEMBER_STEP:
            member = Member.objects.get(pk=a.member_id)
            if member.status == Status.PROBATIONARY:
                member_services.member_update(actor=actor, member=member, status=Status.REMOVED)
            data["cancelled_probation"] = True
        return
    if kind == StepAction.EXTEND:
        a.extension_months = data["months"]
        a.probation_end = add_months(a.probation_end, data["months"])
        data["probation_end"] = a.probation_end.isoformat()
        return
    a.step = number
    a.stage = S.stage_of(number)
    a.last_step_on = day
    if number == 1:
        a.applied_on = day
    elif number == 3:
        a.activist_on = day
    elif number == 7:
        a.candidate_on = day
    elif number == 12:
        a.notice_start = dt.date.fromisoformat(data["notice_start"])
    elif number == 15:
        a.admitted_on = a.probation_start = day
        a.probation_end = add_months(day, S.PROBATION_MONTHS)
        data["probation_end"] = a.probation_end.isoformat()
    elif number == S.MEMBER_STEP:
        a.approved_on = day
        a.member = _file_probationary(actor, a)
        data["member_id"] = a.member.pk
    elif number == 23:
        a.confirmation_vote_on = day
    elif number == S.CONFIRM_STEP:
        a.confirmed_on = a.probation_end
        a.status = ApplicantStatus.CONFIRMED
        _confirm_member(actor, a)
        data["confirmed_on"] = a.confirmed_on.isoformat()
    elif number == S.LAST_STEP:
        a.status = ApplicantStatus.ARCHIVED


def _file_probationary(actor, a: Applicant) -> Member:
    """The probationary member file: joined on the day of the branch meeting's vote."""
    account = None
    if a.user_id:
        user = User.objects.filter(pk=a.user_id).only("pk", "kind").first()
        if user is not None and user.kind == UserKind.MEMBER:
            account = user
    try:
        return member_services.member_create(
            actor=actor,
            org=a.org,
            name=a.name,
            status=Status.PROBATIONARY,
            joined_on=a.admitted_on,
            gender=a.gender,
            ethnicity=a.ethnicity,
            birth_date=a.birth_date,
            id_number=a.id_number,
            phone=a.phone,
            work_unit=a.work_unit,
            user=account,
        )
    except ValidationError as exc:
        messages = "；".join(
            f"{member_services.FIELD_LABELS.get(k, k)}：{'、'.join(v)}"
            for k, v in getattr(exc, "message_dict", {"__all__": exc.messages}).items()
        )
        raise ValidationError(
            {"approving_org_id": [f"无法在党员名册中登记为预备党员：{messages}"]}
        ) from exc


def _confirm_member(actor, a: Applicant) -> None:
    """A full member; 党龄 counts from the day the probation ended (the confirmation date)."""
    if not a.member_id:
        raise Conflict("该申请人没有预备党员档案，不能转正（请先完成第17步“上级党委审批”）")
    member = Member.objects.get(pk=a.member_id)
    if member.status != Status.PROBATIONARY:
        raise Conflict(
            f"党员名册中该党员的状态为“{Status(member.status).label}”，不是预备党员，不能转正"
        )
    member_services.member_update(
        actor=actor, member=member, status=Status.FULL, confirmed_on=a.probation_end
    )
