"""Writes of the roles of members on units (党员中心户, 楼栋长)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core import audit, scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors
from dangjian.members.models import (
    Member,
    UnitRole,
    UnitRoleCode,
)
from dangjian.members.services.fields import RESIDENCE_MIN_LEVEL, _as_date
from dangjian.members.services.registry import _linked_member, _managed_area
from dangjian.territory.models import Area, AreaKind

UNIT_ROLE_MAX_HOUSEHOLDS = 200


@transaction.atomic
def unit_role_assign(
    *,
    actor,
    member: Member | None,
    unit: Area | None,
    role: str = "",
    since=None,
    households: int | None = None,
) -> UnitRole:
    """Make a member the 党员中心户 of a unit (they live in it) or its 楼栋长 (one per unit;
    they live in the same village or community)."""
    unit = _managed_area(actor, unit, kinds=(AreaKind.UNIT,), what="单元")
    errors = Errors()
    if member is None:
        raise ValidationError({"member": ["请选择党员"]})
    found = _linked_member(errors, actor, member)
    if role not in UnitRoleCode.values:
        errors.add("role", f"角色取值无效，可选：{'、'.join(str(c.label) for c in UnitRoleCode)}")
    elif role == UnitRoleCode.CENTER_HOUSEHOLD:
        if not found.area_path:
            errors.add("member", "请先登记该党员的居住网格单元")
        elif not tree.is_within(found.area_path, unit.path):
            errors.add("member", "党员中心户应居住在该单元")
    else:
        village_path = unit.path[: tree.STEP_WIDTH * RESIDENCE_MIN_LEVEL]
        if not found.area_path:
            errors.add("member", "请先登记该党员的居住网格单元")
        elif not tree.is_within(found.area_path, village_path):
            errors.add("member", "楼栋长应居住在本村(社区)")
        other = UnitRole.objects.filter(unit=unit, role=role, ended_on__isnull=True).first()
        if other is not None:
            errors.add("role", f"{unit.name}已有楼栋长{other.member_name}")
    day = _as_date(errors, "since", since) or timezone.localdate()
    if day > timezone.localdate():
        errors.add("since", "任职日期不能晚于今天")
    count = 0 if households in (None, "") else households
    if (
        not isinstance(count, int)
        or isinstance(count, bool)
        or not 0 <= count <= UNIT_ROLE_MAX_HOUSEHOLDS
    ):
        errors.add("households", f"联系户数应为0至{UNIT_ROLE_MAX_HOUSEHOLDS}的整数")
    if (
        role in UnitRoleCode.values
        and UnitRole.objects.filter(
            member=found, unit=unit, role=role, ended_on__isnull=True
        ).exists()
    ):
        errors.add("role", f"该党员已是{unit.name}的{UnitRoleCode(role).label}")
    errors.check()
    try:
        with transaction.atomic():
            assigned = UnitRole.objects.create(
                member=found,
                member_name=found.name,
                unit=unit,
                area_path=unit.path,
                role=role,
                since=day,
                households=count,
            )
    except IntegrityError as exc:
        raise ValidationError({"role": ["该单元的这一角色已有人担任，请刷新后重试"]}) from exc
    audit.record(
        actor=actor,
        action="unit_role.assign",
        obj=assigned,
        org_path=found.org_path,
        after=audit.snapshot(assigned),
    )
    scope.assert_visible(assigned, actor, "members.view")
    return assigned


@transaction.atomic
def unit_role_end(*, actor, role: UnitRole, ended_on=None) -> UnitRole:
    """The member no longer holds the role (stepped down, moved away)."""
    role = scope.get_visible(
        UnitRole.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=role.pk,
    )
    if role.ended_on:
        raise Conflict("该任职已结束")
    errors = Errors()
    today = timezone.localdate()
    day = _as_date(errors, "ended_on", ended_on) or today
    if day > today:
        errors.add("ended_on", "卸任日期不能晚于今天")
    elif day < role.since:
        errors.add("ended_on", "卸任日期不能早于任职日期")
    errors.check()
    role.ended_on = day
    role.save(update_fields=["ended_on"])
    audit.record(
        actor=actor,
        action="unit_role.end",
        obj=role,
        before={"ended_on": None},
        after={"ended_on": day.isoformat()},
    )
    scope.assert_visible(role, actor, "members.view")
    return role
