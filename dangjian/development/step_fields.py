"""The fields a development step records, checked: people (contacts, sponsors) from the
registry, counts, the political review, the training, the vote and the approving committee.

Each check adds Chinese messages keyed by the field (labels in ``FIELD_LABELS``) to the
caller's ``Errors``; the flow in ``services`` runs them before anything is written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from dangjian.core import tree
from dangjian.core.validation import Errors
from dangjian.core.validation import clean_text as _text
from dangjian.development import steps as S
from dangjian.development.approvers import approver_candidates, approver_refusal
from dangjian.development.models import Applicant
from dangjian.members import sanctions
from dangjian.members.models import Member, Status
from dangjian.organizations.models import PartyOrg

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
