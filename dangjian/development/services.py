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
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import User, UserKind
from dangjian.core import audit, crypto, scope, tree, workflow
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors
from dangjian.core.validation import clean_text as _text
from dangjian.core.validators import (
    BIRTH_FLOOR,
    PARTY_FOUNDED,
    date_range_message,
    id_number_birth_date,
    id_number_gender,
    validate_id_number,
    validate_mobile,
)
from dangjian.development import steps as S
from dangjian.development.approvers import (
    approver_candidates,
    approver_refusal,
    approvers_for,  # noqa: F401 (the views read it here)
)
from dangjian.development.models import (
    Applicant,
    ApplicantStatus,
    ApplicantStep,
    DevelopmentTarget,
    PersonRole,
    ResponsiblePerson,
    StepAction,
)
from dangjian.members import sanctions
from dangjian.members import services as member_services
from dangjian.members.models import Ethnicity, Gender, Member, Status
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.territory.models import Area

MANAGE = "development.manage"
VIEW = "development.view"
MAX_NOTE = 500
# The public notice starts within a few weeks of the branch committee's review (step 12).
NOTICE_START_DAYS = 30
HANDLING_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE)

FIELD_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "ethnicity": "民族",
    "birth_date": "出生日期",
    "id_number": "身份证号码",
    "phone": "手机号码",
    "work_unit": "工作单位",
    "org": "所在党组织",
    "user": "关联账号",
    "date": "日期",
    "note": "说明",
    "document_title": "材料名称",
    "talker": "谈话人",
    "method": "推荐方式",
    "filed_with": "备案党组织",
    "contacts": "培养联系人",
    "thought_reports": "思想汇报次数",
    "sponsors": "入党介绍人",
    "review_items": "政治审查内容",
    "review_passed": "政治审查结论",
    "review_conclusion": "政治审查结论性材料",
    "training_days": "培训天数",
    "training_hours": "培训学时",
    "certificate_number": "培训结业证书编号",
    "notice_start": "公示开始日期",
    "volunteer_book_number": "入党志愿书编号",
    "entitled": "有表决权的正式党员人数",
    "present": "到会有表决权的正式党员人数",
    "yes": "赞成票",
    "no": "反对票",
    "abstain": "弃权票",
    "approving_org_id": "审批党组织",
    "group_name": "编入的党小组",
    "months": "延长月数",
    "year": "年度",
}


def _date(errors: Errors, field: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, f"{FIELD_LABELS.get(field, field)}格式应为YYYY-MM-DD")
        return None


def _fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def can_manage_in(actor, org_path: str, action: str = MANAGE) -> bool:
    """Applicants are scoped by the party tree: only org-tree grants count."""
    reach = scope.reach_of(actor, action)
    return any(tree.is_within(org_path, p) for p in reach.org_paths)


# --- the applicant's own fields --------------------------------------------------------------


def _clean_person(values: dict, errors: Errors, today: dt.date) -> dict:
    out: dict = {}
    name = _text(values.get("name"))
    if not name:
        errors.add("name", "请填写姓名")
    elif len(name) > 50:
        errors.add("name", "姓名不能超过50个字")
    out["name"] = name

    id_number = crypto.normalize("id_number", _text(values.get("id_number")))
    out["id_number"] = id_number
    derived_birth = derived_gender = None
    if id_number:
        try:
            validate_id_number(id_number)
        except ValidationError as exc:
            errors.add("id_number", exc.messages[0])
        else:
            derived_birth = id_number_birth_date(id_number)
            derived_gender = id_number_gender(id_number)

    gender = _text(values.get("gender"))
    if gender and gender not in Gender.values:
        errors.add("gender", "性别应为male（男）或female（女）")
    elif derived_gender:
        if gender and gender != derived_gender:
            errors.add(
                "gender", f"性别与身份证号码不符（身份证号码显示为{Gender(derived_gender).label}）"
            )
        gender = derived_gender
    elif not gender and not id_number:
        errors.add("gender", "请填写性别（或填写身份证号码）")
    out["gender"] = gender

    birth = _date(errors, "birth_date", values.get("birth_date"))
    if derived_birth:
        if birth and birth != derived_birth:
            errors.add(
                "birth_date",
                f"出生日期与身份证号码不符（身份证号码显示为{derived_birth.isoformat()}）",
            )
        birth = derived_birth
    if birth is None:
        if "birth_date" not in errors and not id_number:
            errors.add("birth_date", "请填写出生日期（或填写身份证号码）")
    elif message := date_range_message(birth, earliest=BIRTH_FLOOR, latest=today, label="出生日期"):
        errors.add("birth_date", message)
    out["birth_date"] = birth

    ethnicity = _text(values.get("ethnicity"))
    if not ethnicity:
        errors.add("ethnicity", "请填写民族")
    elif ethnicity not in Ethnicity.values:
        errors.add("ethnicity", "民族代码无效，应为国家标准（GB/T 3304）代码，如汉族为01")
    out["ethnicity"] = ethnicity

    phone = crypto.normalize("phone", _text(values.get("phone")))
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            errors.add("phone", exc.messages[0])
    out["phone"] = phone

    work_unit = _text(values.get("work_unit"))
    if len(work_unit) > 100:
        errors.add("work_unit", "工作单位不能超过100个字")
    out["work_unit"] = work_unit
    return out


def _handling_org(actor, org) -> PartyOrg:
    if org is None:
        raise ValidationError({"org": ["请选择所在党组织"]})
    pk = org.pk if isinstance(org, PartyOrg) else org
    found = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=pk
    )
    if not can_manage_in(actor, found.path):
        raise scope.Forbidden("您没有管理该党组织发展党员工作的权限")
    if found.kind not in HANDLING_KINDS:
        raise ValidationError(
            {"org": ["发展党员须由党支部、党总支或党委负责，党小组不能作为所在党组织"]}
        )
    return found


def _account(errors: Errors, actor, user, exclude_pk: int | None = None) -> User | None:
    if user is None:
        return None
    pk = user.pk if isinstance(user, User) else user
    found = scope.get_visible(User, actor, "accounts.view", pk=pk)
    if found.kind not in (UserKind.RESIDENT, UserKind.MEMBER):
        errors.add("user", "只能关联群众或党员类型的账号")
    elif (
        Applicant.objects.filter(user_id=found.pk, status=ApplicantStatus.ACTIVE)
        .exclude(pk=exclude_pk)
        .exists()
    ):
        errors.add("user", "该账号已关联其他正在培养考察的入党申请人")
    return found


def _check_duplicate(errors: Errors, id_number: str, exclude_pk: int | None = None) -> None:
    if not id_number or "id_number" in errors:
        return
    index = crypto.blind_index("id_number", id_number)
    if (
        Applicant.objects.filter(id_number_index=index, status=ApplicantStatus.ACTIVE)
        .exclude(pk=exclude_pk)
        .exists()
    ):
        errors.add("id_number", "该身份证号码已有正在培养考察的入党申请人记录")
    elif Member.objects.filter(id_number_index=index).exists():
        errors.add("id_number", "该身份证号码已在党员名册中登记，不能作为入党申请人")


@transaction.atomic
def applicant_create(
    *,
    actor,
    org,
    name: str = "",
    gender: str = "",
    ethnicity: str = "",
    birth_date=None,
    id_number: str = "",
    phone: str = "",
    work_unit: str = "",
    user=None,
) -> Applicant:
    """A new applicant handled by ``org`` (a branch, general branch or committee), at step 0:
    the first step is taking the application (``applicant_transition(action="1")``)."""
    org = _handling_org(actor, org)
    errors = Errors()
    today = timezone.localdate()
    clean = _clean_person(
        {
            "name": name,
            "gender": gender,
            "ethnicity": ethnicity,
            "birth_date": birth_date,
            "id_number": id_number,
            "phone": phone,
            "work_unit": work_unit,
        },
        errors,
        today,
    )
    account = _account(errors, actor, user)
    _check_duplicate(errors, clean["id_number"])
    errors.check()
    applicant = Applicant(
        org=org, org_path=org.path, area_path=org.area_path, user=account, **clean
    )
    applicant.id_number_index = (
        crypto.blind_index("id_number", clean["id_number"]) if clean["id_number"] else ""
    )
    applicant.phone_index = crypto.blind_index("phone", clean["phone"]) if clean["phone"] else ""
    _plan_next(applicant)
    applicant.save()
    audit.record(
        actor=actor, action="applicant.create", obj=applicant, after=audit.snapshot(applicant)
    )
    scope.assert_visible(applicant, actor, MANAGE)
    return applicant


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
    a.next_earliest, _ = S.earliest(nxt, facts, a.last_step_on)
    a.next_due, a.next_due_rule = S.due(nxt, facts)


def earliest_explained(a: Applicant) -> tuple[dt.date | None, list[str]]:
    nxt = a.next_step
    if nxt is None:
        return None, []
    return S.earliest(nxt, facts_of(a), a.last_step_on)


# --- the step's own fields -------------------------------------------------------------------


def _short_text(errors, field, value, limit=100) -> str:
    text = _text(value)
    if len(text) > limit:
        errors.add(field, f"{FIELD_LABELS[field]}不能超过{limit}个字")
    return text


def _count(errors, field, value, *, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            errors.add(field, f"请填写{FIELD_LABELS[field]}")
        return None
    try:
        n = int(value)
        if isinstance(value, float) and value != n:
            raise ValueError
    except (TypeError, ValueError):
        errors.add(field, f"{FIELD_LABELS[field]}必须是整数")
        return None
    if n < 0:
        errors.add(field, f"{FIELD_LABELS[field]}不能为负数")
        return None
    return n


def _ids(errors, field, value) -> list[int]:
    if value in (None, "", []):
        return []
    raw = value if isinstance(value, list | tuple) else [value]
    out = []
    for v in raw:
        try:
            pk = int(v)
        except (TypeError, ValueError):
            errors.add(field, f"{FIELD_LABELS[field]}应为党员编号")
            return []
        if pk not in out:
            out.append(pk)
    return out


def _members(errors, actor, field, ids: list[int]) -> list[Member]:
    if not ids:
        return []
    found = {
        m.pk: m
        for m in Member.objects.visible_to(actor, "members.view")
        .filter(pk__in=[i for i in ids if 0 < i < 2**62])
        .only("pk", "name", "status", "left_on", "org_path", "user_id")
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        errors.add(field, f"未找到党员（编号{'、'.join(missing)}），请从党员名册中选择")
        return []
    return [found[i] for i in ids]


def _check_contacts(errors, actor, value) -> list[Member]:
    ids = _ids(errors, "contacts", value)
    low, high = S.CONTACTS
    if "contacts" in errors:
        return []
    if not low <= len(ids) <= high:
        errors.add("contacts", f"应指定{low}至{high}名培养联系人（现为{len(ids)}名）")
        return []
    people = _members(errors, actor, "contacts", ids)
    for m in people:
        if m.status != Status.FULL or m.left_on:
            errors.add(
                "contacts",
                f"{m.name}为{Status(m.status).label if m.status in Status.values else m.status}，"
                "培养联系人须为正式党员",
            )
    return people


def _check_sponsors(errors, actor, value, day=None) -> list[Member]:
    ids = _ids(errors, "sponsors", value)
    if "sponsors" in errors:
        return []
    if len(ids) != S.SPONSORS:
        errors.add("sponsors", f"入党介绍人须为{S.SPONSORS}名正式党员（现为{len(ids)}名）")
        return []
    people = _members(errors, actor, "sponsors", ids)
    barred = sanctions.member_ids_on_probation([m.pk for m in people], day)
    for m in people:
        if m.pk in barred:
            errors.add(
                "sponsors",
                f"{m.name}正在留党察看期间，不符合“受留党察看处分的党员在察看期间"
                "不能作入党介绍人”的规定",
            )
        elif m.status != Status.FULL or m.left_on:
            label = Status(m.status).label if m.status in Status.values else m.status
            errors.add("sponsors", f"{m.name}为{label}，入党介绍人须为正式党员")
    return people


def _check_review(errors, data, fields) -> None:
    items = fields.get("review_items")
    if not isinstance(items, dict):
        errors.add("review_items", "请逐项填写政治审查的4项内容")
    else:
        clean = {}
        for key, label in S.REVIEW_ITEMS.items():
            text = _text(items.get(key))
            if not text:
                errors.add("review_items", f"请填写政治审查内容“{label}”（{key}）")
            elif len(text) > 500:
                errors.add("review_items", f"“{label}”不能超过500个字")
            clean[key] = text
        extra = sorted(set(items) - set(S.REVIEW_ITEMS))
        if extra:
            errors.add("review_items", f"不认识的政治审查项目：{'、'.join(map(str, extra))}")
        data["review_items"] = clean
    conclusion = _short_text(errors, "review_conclusion", fields.get("review_conclusion"), 500)
    if not conclusion and "review_conclusion" not in errors:
        errors.add("review_conclusion", "政治审查须形成结论性材料，请填写审查结论")
    data["review_conclusion"] = conclusion
    passed = fields.get("review_passed")
    if isinstance(passed, str):
        passed = {"true": True, "1": True, "false": False, "0": False}.get(passed.lower())
    if passed is None:
        errors.add("review_passed", "请选择政治审查结论：合格或不合格")
    elif passed is not True:
        errors.add(
            "review_passed", "政治审查结论为不合格，按规定不能发展入党（可终止该申请人的培养考察）"
        )
    data["review_passed"] = passed is True


def _check_training(errors, data, fields) -> None:
    days_raw, hours = fields.get("training_days"), fields.get("training_hours")
    days = None
    if days_raw not in (None, ""):
        try:
            days = Decimal(str(days_raw))
            if not days.is_finite() or days < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.add("training_days", "培训天数必须是非负数")
            days = None
    hours = _count(errors, "training_hours", hours, required=False)
    if "training_days" in errors or "training_hours" in errors:
        return
    if days is None and hours is None:
        errors.add("training_days", "请填写集中培训的天数或学时")
        return
    if (days or 0) < S.TRAINING_MIN_DAYS and (hours or 0) < S.TRAINING_MIN_HOURS:
        errors.add(
            "training_days",
            f"不符合“集中培训时间一般不少于{S.TRAINING_MIN_DAYS}天（不少于"
            f"{S.TRAINING_MIN_HOURS}学时）”的规定：现为{days or 0}天、{hours or 0}学时",
        )
    data["training_days"] = str(days) if days is not None else None
    data["training_hours"] = hours
    data["certificate_number"] = _short_text(
        errors, "certificate_number", fields.get("certificate_number"), 50
    )


def registry_full_members(org_path: str, on=None) -> int:
    """Full members with a vote: under 留党察看 on ``on`` (the meeting) a member has none."""
    return (
        sanctions.without_probation(Member.objects, on)
        .filter(
            org_path__gte=org_path,
            org_path__lt=tree.path_end(org_path),
            status=Status.FULL,
            left_on__isnull=True,
        )
        .only("pk")
        .count()
    )


def _check_vote(errors, data, fields, a: Applicant, warnings: list[str], day=None) -> None:
    nums = {
        f: _count(errors, f, fields.get(f), required=True)
        for f in ("entitled", "present", "yes", "no", "abstain")
    }
    if any(v is None for v in nums.values()):
        return
    entitled, present = nums["entitled"], nums["present"]
    yes, no, abstain = nums["yes"], nums["no"], nums["abstain"]
    if entitled < 1:
        errors.add("entitled", "有表决权的正式党员人数至少为1")
        return
    if present > entitled:
        errors.add("present", f"到会人数（{present}）不能超过有表决权的正式党员人数（{entitled}）")
        return
    if yes + no + abstain > present:
        errors.add(
            "yes",
            f"赞成、反对、弃权票合计（{yes + no + abstain}）不能超过到会人数（{present}）",
        )
        return
    need = entitled // 2 + 1
    if present < need:
        errors.add(
            "present",
            f"不符合“到会有表决权的正式党员超过应到会人数的半数”的规定：应到{entitled}人，"
            f"至少须{need}人到会，实到{present}人",
        )
        return
    if yes < need:
        errors.add(
            "yes",
            f"不符合“赞成人数超过应到会有表决权的正式党员的半数”的规定：应到{entitled}人，"
            f"至少须{need}票赞成，实得{yes}票，决议未通过",
        )
        return
    data.update(nums)
    registry = registry_full_members(a.org_path, day)
    if registry != entitled:
        warnings.append(
            f"有表决权的正式党员人数（{entitled}）与党员名册中本组织有表决权的正式党员人数"
            f"（{registry}，不含留党察看期间的党员）"
            "不一致，请核实"
        )


def _check_approver(errors, data, fields, a: Applicant) -> PartyOrg | None:
    raw = fields.get("approving_org_id")
    if raw in (None, ""):
        errors.add("approving_org_id", "请选择审批的上级党委")
        return None
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        errors.add("approving_org_id", "审批党组织应为党组织编号")
        return None
    org = approver_candidates(tree.ancestors_of(a.org_path)).filter(pk=pk).first()
    if org is None:
        errors.add("approving_org_id", "审批党组织须为申请人所在党组织的上级党委")
        return None
    refusal = approver_refusal(org)
    if refusal:
        errors.add("approving_org_id", f"不符合“只有党委有权审批”的规定：{refusal}")
        return None
    data["approving_org_name"] = org.name
    return org


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
    note = ctx.note = _text(ctx.note)
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
        actor_name=(actor.get_username() if getattr(actor, "is_authenticated", False) else "")[
            :150
        ],
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
        a.probation_end = S.add_months(a.probation_end, data["months"])
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
        a.probation_end = S.add_months(day, S.PROBATION_MONTHS)
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


# --- yearly targets --------------------------------------------------------------------------

TARGET_FIELDS = ("activists", "candidates", "new_members")
TARGET_LABELS = {"activists": "入党积极分子", "candidates": "发展对象", "new_members": "发展党员"}


@transaction.atomic
def target_set(*, actor, year, area=None, org=None, **values) -> DevelopmentTarget:
    """Set a node's targets for ``year`` (a node of either tree; unset counts are 0)."""
    errors = Errors()
    y = _count(errors, "year", year, required=True) if year not in (None, "") else None
    if year in (None, ""):
        errors.add("year", "请填写年度")
    elif y is not None and not 2000 <= y <= 2100:
        errors.add("year", "年度应在2000至2100之间")
    if (area is None) == (org is None):
        errors.add("node", "请选择一个区域或一个党组织（二选一）")
    counts = {}
    for key in TARGET_FIELDS:
        raw = values.get(key, 0)
        if raw in (None, ""):
            raw = 0
        try:
            n = int(raw)
            if n < 0 or n > 10_000_000:
                raise ValueError
        except (TypeError, ValueError):
            errors.add(key, f"{TARGET_LABELS[key]}目标应为非负整数")
            continue
        counts[key] = n
    unknown = sorted(set(values) - set(TARGET_FIELDS))
    for key in unknown:
        errors.add(key, "不认识的字段")
    errors.check()
    if org is not None:
        pk = org.pk if isinstance(org, PartyOrg) else org
        node = scope.get_visible(
            PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=pk
        )
        if not can_manage_in(actor, node.path):
            raise scope.Forbidden("您没有为该党组织设定发展党员目标的权限")
        lookup = {"year": y, "org": node}
        paths = {"org_path": node.path, "area_path": ""}
    else:
        pk = area.pk if isinstance(area, Area) else area
        node = scope.get_visible(Area.objects.defer("boundary"), actor, "territory.view", pk=pk)
        reach = scope.reach_of(actor, MANAGE)
        if not any(tree.is_within(node.path, p) for p in reach.area_paths):
            raise scope.Forbidden("您没有为该区域设定发展党员目标的权限")
        lookup = {"year": y, "area": node}
        paths = {"area_path": node.path, "org_path": ""}
    target = DevelopmentTarget.objects.select_for_update().filter(**lookup).first()
    before = audit.snapshot(target) if target else None
    if target is None:
        target = DevelopmentTarget(**lookup, **paths)
    for key, n in counts.items():
        setattr(target, key, n)
    target.save()
    b, after = audit.diff(before, audit.snapshot(target))
    audit.record(
        actor=actor,
        action="development_target.set",
        obj=target,
        before=b,
        after=after,
        object_repr=f"{node.name}{y}年发展党员目标",
    )
    return target
