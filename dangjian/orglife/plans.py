"""Writes of organizational-life plans (年度/季度计划) and their items.

An item may be changed or removed only while no session uses it. Atomic, validated in full
(messages naming the field), scoped and audited.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, scope
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors
from dangjian.orglife.models import Base, Plan, PlanItem, Session, SessionType
from dangjian.orglife.services import (
    MANAGE,
    VIEW,
    _free_text,
    _org_for_manage,
    _text,
    can_manage_in,
)


@transaction.atomic
def plan_create(
    *,
    actor,
    org,
    year: int,
    quarter: int | None = None,
    title: str = "",
    note: str = "",
    items: list[dict] | None = None,
) -> Plan:
    errors = Errors()
    org = _org_for_manage(actor, org)
    today = timezone.localdate()
    if not (today.year - 1 <= year <= today.year + 1):
        errors.add("year", f"年度应在{today.year - 1}至{today.year + 1}之间")
    if quarter is not None and not 1 <= quarter <= 4:
        errors.add("quarter", "季度应为1至4")
    months = plan_months(quarter if quarter is None or 1 <= quarter <= 4 else None)
    clean = [_clean_item(errors, f"items.{i}.", item, months) for i, item in enumerate(items or [])]
    if quarter is None:
        clash = Plan.objects.filter(org=org, year=year, quarter__isnull=True).exists()
    else:
        clash = Plan.objects.filter(org=org, year=year, quarter=quarter).exists()
    if clash:
        errors.add("year", "该组织本期计划已存在")
    errors.check()
    period = f"{year}年" + (f"第{quarter}季度" if quarter else "度")
    plan = Plan.objects.create(
        org=org,
        org_path=org.path,
        year=year,
        quarter=quarter,
        title=_text(title, 100) or f"{org.name}{period}组织生活计划",
        note=_free_text(note),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    PlanItem.objects.bulk_create(
        [PlanItem(plan=plan, session_type=st, month=m, topic=t, base=b) for st, m, t, b in clean]
    )
    audit.record(
        actor=actor,
        action="orglife.plan.create",
        obj=plan,
        after={**audit.snapshot(plan), "items": len(clean)},
    )
    scope.assert_visible(plan, actor, MANAGE)
    return plan


def plan_months(quarter: int | None) -> range:
    """The months a plan's items may fall in: the whole year, or the quarter's three."""
    return range(1, 13) if quarter is None else range(3 * quarter - 2, 3 * quarter + 1)


def _clean_item(errors: Errors, prefix: str, item: dict, months: range) -> tuple:
    """One plan item checked (messages keyed ``<prefix><field>``): (type, month, topic, base)."""
    st = item.get("session_type")
    month = item.get("month")
    topic = _text(item.get("topic"), 200)
    if st not in SessionType.values:
        errors.add(f"{prefix}session_type", "组织生活类型取值无效")
    if not isinstance(month, int) or month not in months:
        errors.add(f"{prefix}month", f"计划月份应在{months[0]}至{months[-1]}月之间")
    if not topic:
        errors.add(f"{prefix}topic", "请填写主题")
    base = None
    if item.get("base_id"):
        base = Base.objects.filter(pk=item["base_id"], is_open=True).first()
        if base is None:
            errors.add(f"{prefix}base_id", "组织生活基地不存在或未开放")
    return st, month, topic, base


def _plan_for_manage(actor, plan: Plan) -> Plan:
    """The plan locked for writing; out of scope reads as absent, in scope but not managed is
    refused."""
    found = scope.get_visible(
        Plan.objects.select_for_update(of=("self",)), actor, MANAGE, view_action=VIEW, pk=plan.pk
    )
    if not can_manage_in(actor, found.org_path):
        raise scope.Forbidden("您没有管理该党组织组织生活的权限")
    return found


def _item_snapshot(item: PlanItem) -> dict:
    return audit.snapshot(item, ["session_type", "month", "topic", "base"])


def _item_locked(item: PlanItem) -> PlanItem:
    found = PlanItem.objects.select_for_update().filter(pk=item.pk).first()
    if found is None:
        raise Http404("未找到")
    return found


def _item_unused(item: PlanItem) -> None:
    if Session.objects.filter(plan_item=item).exists():
        raise Conflict("该计划事项已安排组织生活，不能再修改或删除")


@transaction.atomic
def plan_item_add(
    *, actor, plan: Plan, session_type: str, month, topic: str, base_id: int | None = None
) -> PlanItem:
    """Add one item to a plan (its month inside the plan's year or quarter)."""
    plan = _plan_for_manage(actor, plan)
    errors = Errors()
    st, month, topic, base = _clean_item(
        errors,
        "",
        {"session_type": session_type, "month": month, "topic": topic, "base_id": base_id},
        plan_months(plan.quarter),
    )
    errors.check()
    item = PlanItem.objects.create(plan=plan, session_type=st, month=month, topic=topic, base=base)
    audit.record(
        actor=actor,
        action="orglife.plan_item.add",
        obj=item,
        after=_item_snapshot(item),
        org_path=plan.org_path,
    )
    return item


@transaction.atomic
def plan_item_update(
    *, actor, item: PlanItem, session_type: str, month, topic: str, base_id: int | None = None
) -> PlanItem:
    """Change an item that no session uses yet."""
    item = _item_locked(item)
    plan = _plan_for_manage(actor, Plan(pk=item.plan_id))
    _item_unused(item)
    errors = Errors()
    st, month, topic, base = _clean_item(
        errors,
        "",
        {"session_type": session_type, "month": month, "topic": topic, "base_id": base_id},
        plan_months(plan.quarter),
    )
    errors.check()
    before = _item_snapshot(item)
    item.session_type, item.month, item.topic, item.base = st, month, topic, base
    item.save()
    b, a = audit.diff(before, _item_snapshot(item))
    audit.record(
        actor=actor,
        action="orglife.plan_item.update",
        obj=item,
        before=b,
        after=a,
        org_path=plan.org_path,
    )
    return item


@transaction.atomic
def plan_item_delete(*, actor, item: PlanItem) -> None:
    """Remove an item that no session uses yet."""
    item = _item_locked(item)
    plan = _plan_for_manage(actor, Plan(pk=item.plan_id))
    _item_unused(item)
    before = _item_snapshot(item)
    audit.record(
        actor=actor,
        action="orglife.plan_item.delete",
        obj=item,
        before=before,
        org_path=plan.org_path,
    )
    item.delete()
