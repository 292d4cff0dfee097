"""The 5 stages and 25 steps of member development (发展党员工作细则, 2014), declared as data.

``STEPS`` lists each step with its stage, its label and the fields it takes; ``RULES`` lists
the periods checked when a step is taken: a ``min`` rule refuses a step dated before its
anchor plus the period (and names the first date that satisfies it), a ``max`` rule refuses
one dated after it, ``warn_min``/``warn_max`` only warn. ``services.applicant_transition`` is
the one service that applies them; ``earliest``/``due`` answer the board's "when can it move
next" and "is it overdue" from the same rules.

Date convention: a period of N months or years from an anchor date is satisfied on the same
day of the month N months later (the anniversary); when that day does not exist the last day
of that month counts (2024-02-29 + 1 year → 2025-02-28). The day before is refused, the
anniversary is accepted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dangjian.core import workdays
from dangjian.core.conf import setting
from dangjian.core.months import add_months

STAGES = {
    1: "申请入党",
    2: "入党积极分子的确定和培养教育",
    3: "发展对象的确定和考察",
    4: "预备党员的接收",
    5: "预备党员的教育考察和转正",
}


@dataclass(frozen=True)
class StepDef:
    number: int
    stage: int
    label: str
    # The step's own fields (beside ``date`` and ``note``) and which of them are required.
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    # What the step does beyond recording itself (the service reads these).
    vote: bool = False  # a branch meeting vote (quorum and majority checked)
    approval: bool = False  # an approval by a 党委 with the right to approve
    hint: str = ""


STEPS: dict[int, StepDef] = {
    s.number: s
    for s in (
        StepDef(1, 1, "递交入党申请书", ("document_title",), hint="申请人年满18周岁"),
        StepDef(2, 1, "党组织派人谈话", ("talker",), ("talker",), hint="收到申请书后一个月内"),
        StepDef(3, 2, "推荐和确定入党积极分子", ("method",)),
        StepDef(4, 2, "上级党委备案", ("filed_with",)),
        StepDef(5, 2, "指定培养联系人", ("contacts",), ("contacts",), hint="1至2名正式党员"),
        StepDef(6, 2, "培养教育考察", ("thought_reports",)),
        StepDef(7, 3, "确定发展对象", (), hint="经过一年以上培养教育和考察"),
        StepDef(8, 3, "报上级党委备案", ("filed_with",)),
        StepDef(9, 3, "确定入党介绍人", ("sponsors",), ("sponsors",), hint="2名正式党员"),
        StepDef(
            10,
            3,
            "政治审查",
            ("review_items", "review_passed", "review_conclusion"),
            ("review_items", "review_passed", "review_conclusion"),
            hint="4项内容，形成结论性材料",
        ),
        StepDef(
            11,
            3,
            "集中培训",
            ("training_days", "training_hours", "certificate_number"),
            hint="不少于3天或24学时",
        ),
        StepDef(12, 4, "支部委员会审查", ("notice_start",), hint="审查后公示"),
        StepDef(13, 4, "上级党委预审", ("filed_with",)),
        StepDef(14, 4, "填写入党志愿书", ("volunteer_book_number",), ("volunteer_book_number",)),
        StepDef(
            15,
            4,
            "支部大会讨论",
            ("entitled", "present", "yes", "no", "abstain"),
            ("entitled", "present", "yes", "no", "abstain"),
            vote=True,
            hint="公示期满后；预备期自表决通过之日起计算",
        ),
        StepDef(16, 4, "上级党委派人谈话", ("talker",), ("talker",)),
        StepDef(
            17,
            4,
            "上级党委审批",
            ("approving_org_id",),
            ("approving_org_id",),
            approval=True,
            hint="3个月内审批，最长不超过6个月",
        ),
        StepDef(18, 4, "再上一级党委组织部门备案", ("filed_with",)),
        StepDef(19, 5, "编入党支部和党小组", ("group_name",)),
        StepDef(20, 5, "入党宣誓"),
        StepDef(21, 5, "继续教育考察", ("thought_reports",)),
        StepDef(22, 5, "提出转正申请", ("document_title",)),
        StepDef(
            23,
            5,
            "支部大会讨论",
            ("entitled", "present", "yes", "no", "abstain"),
            ("entitled", "present", "yes", "no", "abstain"),
            vote=True,
            hint="预备期满后",
        ),
        StepDef(
            24,
            5,
            "上级党委审批",
            ("approving_org_id",),
            ("approving_org_id",),
            approval=True,
            hint="转正日期为预备期满之日",
        ),
        StepDef(25, 5, "材料归档"),
    )
}
LAST_STEP = 25
MEMBER_STEP = 17  # approval: the applicant becomes a probationary member
CONFIRM_STEP = 24  # approval of the confirmation: a full member
EXTEND_FROM, EXTEND_UNTIL = 17, 22  # the current steps an extension may be decided at
EXTENSION_MONTHS = (6, 12)
PROBATION_MONTHS = 12
CONTACTS = (1, 2)
SPONSORS = 2
MIN_AGE_YEARS = 18
TRAINING_MIN_DAYS = 3
TRAINING_MIN_HOURS = 24
REVIEW_ITEMS = {
    "attitude": "对党的理论和路线方针政策的态度",
    "history": "政治历史和在重大政治斗争中的表现",
    "conduct": "遵纪守法和遵守社会公德情况",
    "relations": "直系亲属和与本人关系密切的主要社会关系人的政治情况",
}


def stage_of(step: int) -> int:
    return STEPS[step].stage if step in STEPS else 1


def notice_workdays() -> int:
    """Public notice before the branch meeting (local; default 5 working days)."""
    return int(setting("DEVELOPMENT_NOTICE_WORKDAYS", 5))


def activist_months() -> int:
    """Application to activist (local; default 6 months): a warning."""
    return int(setting("DEVELOPMENT_ACTIVIST_MONTHS", 6))


# --- the period rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    code: str
    label: str  # the rule's name, quoted in every refusal and warning
    step: int  # checked when this step is taken
    anchor: str  # "birth", "step:N", "notice_start", "probation_end"
    anchor_label: str
    kind: str  # "min", "max", "warn_min", "warn_max"
    months: int = 0
    workdays: str = ""  # the name of a setting function giving working days

    def limit(self, anchor: dt.date) -> dt.date:
        """The boundary date: for ``min`` the first allowed day, for ``max`` the last."""
        if self.workdays:
            n = globals()[self.workdays]()
            # N working days of notice counted from the day it starts (that day included when
            # it is a working day): the meeting may sit on the day after the last one.
            last = workdays.add_workdays(anchor - dt.timedelta(days=1), n)
            return last + dt.timedelta(days=1)
        return add_months(anchor, self.months)

    @property
    def blocks(self) -> bool:
        return self.kind in ("min", "max")


RULES: tuple[Rule, ...] = (
    Rule("min_age", "申请入党须年满18周岁", 1, "birth", "出生", "min", months=12 * MIN_AGE_YEARS),
    Rule("talk_within_month", "收到入党申请书后一个月内派人谈话", 2, "step:1", "递交申请书", "warn_max", 1),
    Rule(
        "activist_after_application",
        "递交入党申请书满一定期限后确定为入党积极分子",
        3,
        "step:1",
        "递交申请书",
        "warn_min",
        months=-1,  # from the setting: see ``months_of``
    ),
    Rule("activist_one_year", "入党积极分子经过一年以上培养教育和考察", 7, "step:3", "确定为入党积极分子", "min", 12),
    Rule("public_notice", "支部大会讨论前须进行公示", 15, "notice_start", "公示开始", "min", workdays="notice_workdays"),
    Rule("approval_three_months", "上级党委应在三个月内审批", 17, "step:15", "支部大会通过", "warn_max", 3),
    Rule("approval_six_months", "上级党委审批最长不超过六个月", 17, "step:15", "支部大会通过", "max", 6),
    Rule("probation_complete", "预备期满后方可讨论转正", 23, "probation_end", "预备期满", "min", 0),
    Rule("confirm_three_months", "预备期满后三个月内完成转正审批", 24, "probation_end", "预备期满", "warn_max", 3),
    Rule("confirm_approval_three_months", "上级党委应在三个月内审批转正", 24, "step:23", "支部大会通过转正", "warn_max", 3),
    Rule("confirm_approval_six_months", "上级党委审批转正最长不超过六个月", 24, "step:23", "支部大会通过转正", "max", 6),
)  # fmt: skip


def months_of(rule: Rule) -> int:
    return activist_months() if rule.months < 0 else rule.months


def rule_limit(rule: Rule, anchor: dt.date) -> dt.date:
    if rule.months < 0:
        return add_months(anchor, months_of(rule))
    return rule.limit(anchor)


def anchor_date(rule: Rule, facts: dict) -> dt.date | None:
    """``facts``: {"birth": date, "steps": {n: date}, "notice_start": date, "probation_end": date}."""
    if rule.anchor.startswith("step:"):
        return facts.get("steps", {}).get(int(rule.anchor[5:]))
    return facts.get(rule.anchor)


def rules_at(step: int) -> list[Rule]:
    return [r for r in RULES if r.step == step]


def earliest(step: int, facts: dict, after: dt.date | None) -> tuple[dt.date | None, list[str]]:
    """The first date ``step`` may be taken on, and the rules that set it."""
    best, why = after, []
    for rule in rules_at(step):
        if rule.kind != "min":
            continue
        anchor = anchor_date(rule, facts)
        if anchor is None:
            continue
        limit = rule_limit(rule, anchor)
        if best is None or limit > best:
            best, why = limit, [rule.label]
    return best, why


def due(next_step: int, facts: dict) -> tuple[dt.date | None, str]:
    """The soonest deadline (warn_max or max) still ahead for ``next_step`` or a later step
    whose anchor is known: the board calls an applicant overdue after it."""
    best, label = None, ""
    for rule in RULES:
        if rule.step < next_step or rule.kind not in ("warn_max", "max"):
            continue
        anchor = anchor_date(rule, facts)
        if anchor is None:
            continue
        limit = rule_limit(rule, anchor)
        if best is None or limit < best:
            best, label = limit, rule.label
    return best, label
