"""Writes of organizational-life bases (阵地): a base with its menu of activities.

Atomic, validated in full, scoped to the managing organization and audited, like the session
services it shares its permission helpers with.
"""

from __future__ import annotations

from django.db import transaction

from dangjian.core import audit, scope
from dangjian.core.validation import Errors
from dangjian.orglife.models import ActivityKind, Base, BaseActivity
from dangjian.orglife.services import MANAGE, _org_for_manage, _text
from dangjian.territory.models import Area


@transaction.atomic
def base_create(
    *,
    actor,
    org,
    area,
    name: str,
    address: str = "",
    capacity: int = 0,
    is_open: bool = True,
    description: str = "",
    activities: list[dict] | None = None,
) -> Base:
    errors = Errors()
    org = _org_for_manage(actor, org)
    name = _text(name, 100)
    if not name:
        errors.add("name", "请填写基地名称")
    if area is None:
        errors.add("area", "请选择基地所在区域")
    else:
        area = scope.get_visible(
            Area.objects.defer("boundary"), actor, "territory.view", pk=area.pk
        )
    if capacity is not None and capacity < 0:
        errors.add("capacity", "可容纳人数不能为负数")
    clean_acts = []
    for i, act in enumerate(activities or []):
        title = _text(act.get("title"), 100)
        kind = act.get("kind") or ActivityKind.PARTY_SPIRIT
        if not title:
            errors.add(f"activities.{i}.title", "请填写活动名称")
        if kind not in ActivityKind.values:
            errors.add(f"activities.{i}.kind", "活动类别取值无效")
        clean_acts.append((title, kind, _text(act.get("description"), 300)))
    errors.check()
    base = Base.objects.create(
        name=name,
        org=org,
        org_path=org.path,
        area=area,
        area_path=area.path,
        address=_text(address, 200),
        capacity=capacity or 0,
        is_open=is_open,
        description=_text(description),
    )
    BaseActivity.objects.bulk_create(
        [BaseActivity(base=base, title=t, kind=k, description=d) for t, k, d in clean_acts]
    )
    audit.record(actor=actor, action="orglife.base.create", obj=base, after=audit.snapshot(base))
    scope.assert_visible(base, actor, MANAGE)
    return base
