"""Writes of secretary projects (书记项目) and their 督评考 items.

The secretary (``assessment.project`` over the organization) sets up the project — title,
team, plan, milestones — and records evidence; the level above (``assessment.evaluate``,
held by township staff and up, over an organization above the project's) records review
results and the year's evaluation. Creating a project schedules its cadence: four quarterly
research visits, two half-yearly evaluations and the yearly assessment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from dangjian.assessment.models import (
    ProjectMilestone,
    ProjectState,
    Review,
    ReviewKind,
    SecretaryProject,
)
from dangjian.core import audit, scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_text
from dangjian.organizations.models import PartyOrg

VIEW = "assessment.view"
PROJECT = "assessment.project"
EVALUATE = "assessment.evaluate"


def cadence(year: int) -> list[tuple[str, str, dt.date]]:
    """The 督评考 items of a year: (kind, period, due date)."""
    out = [(ReviewKind.RESEARCH, f"{year}Q{q}", dt.date(year, 3 * q, 28)) for q in range(1, 5)]
    out += [
        (ReviewKind.EVALUATION, f"{year}H1", dt.date(year, 7, 15)),
        (ReviewKind.EVALUATION, f"{year}H2", dt.date(year, 12, 31)),
        (ReviewKind.ASSESSMENT, f"{year}", dt.date(year + 1, 1, 31)),
    ]
    return out


def _team(errors: Errors, team) -> list[str]:
    if isinstance(team, str):
        team = [p for p in team.replace("，", ",").replace("、", ",").split(",")]
    if not isinstance(team, list):
        errors.add("team", "项目团队应为姓名列表")
        return []
    names = [clean_text(str(n), 50) for n in team]
    names = [n for n in names if n]
    if not names:
        errors.add("team", "请填写项目团队成员")
    if len(names) > 50:
        errors.add("team", "项目团队最多50人")
    return names


def _date(errors: Errors, field: str, label: str, value, *, required=True) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors.add(field, f"请填写{label}")
        return None
    if isinstance(value, dt.date):
        d = value
    else:
        try:
            d = dt.date.fromisoformat(str(value))
        except ValueError:
            errors.add(field, f"{label}格式应为YYYY-MM-DD")
            return None
    if not 2000 <= d.year <= 2100:
        errors.add(field, f"{label}应在2000至2100年之间")
        return None
    return d


@transaction.atomic
def project_create(
    *, actor, org, year, title, secretary_name, team, plan, milestones=()
) -> SecretaryProject:
    pk = org.pk if isinstance(org, PartyOrg) else org
    node = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"), actor, PROJECT, view_action=VIEW, pk=pk
    )
    errors = Errors()
    try:
        y = int(year)
        if not 2000 <= y <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("year", "年度应在2000至2100之间")
        y = 0
    title = clean_text(title, 100)
    if not title:
        errors.add("title", "请填写项目名称")
    secretary_name = clean_text(secretary_name, 50)
    if not secretary_name:
        errors.add("secretary_name", "请填写书记姓名")
    names = _team(errors, team)
    plan = clean_text(plan, 5000)
    if not plan:
        errors.add("plan", "请填写实施计划")
    stones = []
    for i, m in enumerate(milestones or ()):
        m = m if isinstance(m, dict) else {}
        label = clean_text(m.get("title", ""), 100)
        if not label:
            errors.add(f"milestones.{i}.title", "请填写节点名称")
        due = _date(errors, f"milestones.{i}.due_on", "计划完成日期", m.get("due_on"))
        stones.append((label, due))
    if y and not errors and SecretaryProject.objects.filter(org=node, year=y).exists():
        errors.add("year", "该党组织本年度已有书记项目")
    errors.check()
    p = SecretaryProject.objects.create(
        org=node,
        org_path=node.path,
        area_path=node.area_path,
        year=y,
        title=title,
        secretary_name=secretary_name,
        team=names,
        plan=plan,
        created_by=actor,
    )
    ProjectMilestone.objects.bulk_create(
        [ProjectMilestone(project=p, title=t, due_on=d) for t, d in stones]
    )
    Review.objects.bulk_create(
        [
            Review(
                project=p,
                org_path=p.org_path,
                area_path=p.area_path,
                kind=k,
                period=per,
                due_on=due,
            )
            for k, per, due in cadence(y)
        ]
    )
    audit.record(
        actor=actor,
        action="assessment.project_create",
        obj=p,
        after=audit.snapshot(p, ["title", "year", "secretary_name", "team"]),
    )
    return p


@transaction.atomic
def milestone_done(*, actor, milestone: ProjectMilestone, done_on, evidence) -> ProjectMilestone:
    scope.get_visible(SecretaryProject, actor, PROJECT, view_action=VIEW, pk=milestone.project_id)
    errors = Errors()
    d = _date(errors, "done_on", "完成日期", done_on)
    evidence = clean_text(evidence, 2000)
    if not evidence:
        errors.add("evidence", "请填写佐证材料")
    errors.check()
    milestone.done_on, milestone.evidence = d, evidence
    milestone.save(update_fields=["done_on", "evidence"])
    audit.record(
        actor=actor,
        action="assessment.milestone_done",
        obj=milestone,
        org_path=milestone.project.org_path,
        area_path=milestone.project.area_path,
        after={"done_on": d.isoformat() if d else None, "evidence": evidence},
    )
    return milestone


def is_above(actor, row) -> bool:
    """Whether the actor's evaluate reach covers a node above the project's organization (the
    level above evaluates, not the branch itself)."""
    reach = scope.reach_of(actor, EVALUATE)
    return any(
        tree.is_within(row.org_path, p) and p != row.org_path for p in reach.org_paths
    ) or any(tree.is_within(row.area_path, p) and p != row.area_path for p in reach.area_paths)


def _score(errors: Errors, value) -> Decimal | None:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors.add("result_score", "得分应为数字")
        return None
    if not d.is_finite() or not 0 <= d <= 100:
        errors.add("result_score", "得分应在0至100之间")
        return None
    return d


@transaction.atomic
def review_record(
    *, actor, review: Review, evidence, result_score, result_note="", done_on=None
) -> Review:
    """The level above records a 督评考 item: evidence, result score (0–100), note."""
    review = scope.get_visible(Review, actor, EVALUATE, view_action=VIEW, pk=review.pk)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not is_above(actor, review):
        raise scope.Forbidden("督评考结果由上级党组织评定")
    errors = Errors()
    evidence = clean_text(evidence, 2000)
    if not evidence:
        errors.add("evidence", "请填写佐证材料")
    s = _score(errors, result_score)
    d = _date(errors, "done_on", "完成日期", done_on, required=False)
    errors.check()
    before = audit.snapshot(review, ["evidence", "result_score", "result_note", "done_on"])
    review.evidence, review.result_score = evidence, s
    review.result_note = clean_text(result_note, 2000)
    review.done_on = d or timezone.localdate()
    review.reviewer = actor
    review.save()
    audit.record(
        actor=actor,
        action="assessment.review_record",
        obj=review,
        before=before,
        after=audit.snapshot(review, ["evidence", "result_score", "result_note", "done_on"]),
    )
    return review


@transaction.atomic
def project_evaluate(*, actor, project: SecretaryProject, score, note) -> SecretaryProject:
    project = scope.get_visible(SecretaryProject, actor, EVALUATE, view_action=VIEW, pk=project.pk)
    project = SecretaryProject.objects.select_for_update().get(pk=project.pk)
    if not is_above(actor, project):
        raise scope.Forbidden("书记项目由上级党组织评价")
    if project.state == ProjectState.EVALUATED:
        raise Conflict("该书记项目已评价")
    errors = Errors()
    s = _score(errors, score)
    if errors.get("result_score"):
        errors["score"] = errors.pop("result_score")
    note = clean_text(note, 2000)
    if not note:
        errors.add("note", "请填写评价意见")
    errors.check()
    project.evaluation_score, project.evaluation_note = s, note
    project.evaluated_by, project.evaluated_at = actor, timezone.now()
    project.state = ProjectState.EVALUATED
    project.save()
    audit.record(
        actor=actor,
        action="assessment.project_evaluate",
        obj=project,
        after={"score": str(s), "note": note},
    )
    return project
