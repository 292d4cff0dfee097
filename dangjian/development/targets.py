"""Yearly development targets (发展党员目标) of a node of either tree, read by the board."""

from __future__ import annotations

from django.db import transaction

from dangjian.core import audit, scope, tree
from dangjian.core.validation import Errors
from dangjian.development.models import DevelopmentTarget
from dangjian.development.services import MANAGE, can_manage_in
from dangjian.development.step_fields import _count
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

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
