from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.accounts.models import (
    Department,
    Grant,
    Role,
    User,
    grants_bump,
)
from dangjian.accounts.roles import ROLE_BY_CODE
from dangjian.core import audit, scope
from dangjian.core.errors import field_error
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


@transaction.atomic
def grant_add(
    *,
    actor,
    user: User,
    role_code: str,
    area: Area | None = None,
    org: PartyOrg | None = None,
    department: Department | None = None,
) -> Grant:
    role_def = ROLE_BY_CODE.get(role_code)
    if role_def is None:
        raise field_error("role", _("角色不存在"))
    role = Role.objects.get(code=role_code)
    nodes = [n for n in (area, org, department) if n is not None]
    if len(nodes) > 1:
        raise field_error("node", _("一条授权只能对应一个节点"))
    if role_def.reach == "subtree" and (not nodes or department is not None):
        raise field_error("node", _("该角色须授予在区域或党组织节点上"))
    if role_def.reach == "department" and department is None:
        raise field_error("department", _("该角色须授予在职能部门上"))
    if role_def.reach == "self" and nodes:
        raise field_error("node", _("党员和群众角色只能看到本人数据，不授予节点"))
    if actor is not None:
        # One may hand out only what one holds, and only within one's own reach.
        user = scope.get_visible(
            User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
        )
        for action in role_def.actions:
            if not actor.can(action):
                raise scope.Forbidden(_("不能授予超出本人权限的角色"))
        if area is not None:
            area = scope.get_visible(
                Area, actor, "accounts.manage", view_action="territory.view", pk=area.pk
            )
        if org is not None:
            org = scope.get_visible(
                PartyOrg, actor, "accounts.manage", view_action="organizations.view", pk=org.pk
            )
        if department is not None:
            department = scope.get_visible(Department, actor, "accounts.manage", pk=department.pk)
    grant = Grant.objects.create(user=user, role=role, area=area, org=org, department=department)
    grants_bump(user)
    audit.record(
        actor=actor,
        action="grant.add",
        obj=user,
        area_path=user.area_path,
        after={
            "role": role_code,
            "area_id": area and area.pk,
            "org_id": org and org.pk,
            "department_id": department and department.pk,
        },
    )
    return grant


@transaction.atomic
def grant_revoke(*, actor, grant: Grant) -> None:
    """Take a grant back; its holder reads their grants afresh on the next request."""
    grant = Grant.objects.select_related("user", "role").get(pk=grant.pk)
    user = grant.user
    if actor is not None:
        user = scope.get_visible(
            User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
        )
    before = {
        "role": grant.role.code,
        "area_id": grant.area_id,
        "org_id": grant.org_id,
        "department_id": grant.department_id,
    }
    grant.delete()
    grants_bump(user)
    audit.record(actor=actor, action="grant.revoke", obj=user, before=before)


@transaction.atomic
def grants_bulk_add(*, grants: list[Grant]) -> list[Grant]:
    """Many grants at once, unchecked, for the operator's own writes (the demo, a data
    load): one insert, and every holder's version bumped in the same transaction."""
    made = Grant.objects.bulk_create(grants)
    grants_bump({g.user_id for g in made})
    for g in made:
        g.user.__dict__.pop("_grants_cached", None)
    return made
