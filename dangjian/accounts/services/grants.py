"""Who reaches what: grants added and revoked, each audited.

One may hand out only a role whose every action one holds at or above the node it is given
on (``may_give``): for an area grant the area's path lies in one's reach for that action
over the area tree, for an organization grant in one's reach over the party tree, for a
department grant every area the department serves (or the department itself, through one's
own department grant), and for a role that reaches only oneself (member, resident) the
account's own area. Revoking asks the same of the grant taken back, and so does any change
to an account that holds grants (``assert_outranks``): a supervisor cannot take over an
account that reaches further than they do.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import (
    Department,
    Grant,
    Role,
    User,
    grants_bump,
)
from dangjian.accounts.roles import ROLE_BY_CODE, RoleDef
from dangjian.core import audit, scope, tree
from dangjian.core.errors import field_error
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


def _covered(path: str, paths) -> bool:
    return bool(path) and any(tree.is_within(path, p) for p in paths)


def missing_action(
    actor,
    role_def: RoleDef,
    *,
    area: Area | None = None,
    org: PartyOrg | None = None,
    department: Department | None = None,
    holder: User | None = None,
) -> str | None:
    """The first action of ``role_def`` that ``actor`` does not hold at or above the node
    (None: the actor may give the role there)."""
    from dangjian.accounts.departments import served_paths

    dept_paths = served_paths([department])[department.pk] if department is not None else []
    for action in role_def.actions:
        reach = scope.reach_of(actor, action)
        if area is not None:
            ok = _covered(area.path, reach.area_paths)
        elif org is not None:
            ok = _covered(org.path, reach.org_paths)
        elif department is not None:
            ok = department.pk in reach.department_ids or all(
                _covered(p, reach.area_paths) for p in dept_paths
            )
        else:  # a role that reaches only oneself: judged at the holder's own area
            ok = holder is not None and _covered(holder.area_path, reach.area_paths)
        if not ok:
            return action
    return None


def _refuse_missing(action: str) -> scope.Forbidden:
    return scope.Forbidden(
        _("不能授予超出本人权限的角色：您在该节点没有“%(action)s”权限") % {"action": action}
    )


def assert_outranks(actor, user: User) -> None:
    """Refuse (403) when ``user`` holds a grant in force that ``actor`` could not have given:
    resetting the password of, deactivating or editing such an account would hand its reach
    to the actor."""
    if actor is None or actor.pk == user.pk:
        return
    today = timezone.localdate()
    for g in Grant.objects.filter(user=user).select_related("role", "area", "org", "department"):
        if g.ends_on is not None and g.ends_on < today:
            continue
        role_def = ROLE_BY_CODE.get(g.role.code)
        if role_def is None:
            continue
        if missing_action(
            actor, role_def, area=g.area, org=g.org, department=g.department, holder=user
        ):
            raise scope.Forbidden(_("该用户拥有超出您权限的授权，您不能管理该账号"))


def _check_ends_on(ends_on: dt.date | None) -> None:
    if ends_on is not None and ends_on < timezone.localdate():
        raise field_error("ends_on", _("截止日期不能早于今天"))


def grant_values(grant: Grant) -> dict:
    return {
        "role": grant.role.code,
        "area_id": grant.area_id,
        "org_id": grant.org_id,
        "department_id": grant.department_id,
        "ends_on": grant.ends_on.isoformat() if grant.ends_on else None,
    }


@transaction.atomic
def grant_add(
    *,
    actor,
    user: User,
    role_code: str,
    area: Area | None = None,
    org: PartyOrg | None = None,
    department: Department | None = None,
    ends_on: dt.date | None = None,
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
    _check_ends_on(ends_on)
    if actor is not None:
        # One may hand out only what one holds at or above the node, within one's reach.
        user = scope.get_visible(
            User.objects.select_for_update(),
            actor,
            "accounts.manage",
            view_action="accounts.view",
            pk=user.pk,
        )
        if area is not None:
            area = scope.get_visible(
                Area.objects.defer("boundary"),
                actor,
                "accounts.manage",
                view_action="territory.view",
                pk=area.pk,
            )
        if org is not None:
            org = scope.get_visible(
                PartyOrg, actor, "accounts.manage", view_action="organizations.view", pk=org.pk
            )
        if department is not None:
            department = scope.get_visible(Department, actor, "accounts.manage", pk=department.pk)
        missing = missing_action(
            actor, role_def, area=area, org=org, department=department, holder=user
        )
        if missing:
            raise _refuse_missing(missing)
    grant = Grant.objects.create(
        user=user,
        role=role,
        area=area,
        org=org,
        department=department,
        ends_on=ends_on,
        granted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    grants_bump(user)
    audit.record(
        actor=actor,
        action="grant.add",
        obj=user,
        area_path=user.area_path,
        after=grant_values(grant),
    )
    return grant


@transaction.atomic
def grant_revoke(*, actor, grant: Grant) -> None:
    """Take a grant back (only one the actor could have given); its holder reads their
    grants afresh on the next request."""
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("user", "role", "area", "org", "department")
        .get(pk=grant.pk)
    )
    user = grant.user
    if actor is not None:
        user = scope.get_visible(
            User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
        )
        role_def = ROLE_BY_CODE.get(grant.role.code)
        missing = role_def and missing_action(
            actor,
            role_def,
            area=grant.area,
            org=grant.org,
            department=grant.department,
            holder=user,
        )
        if missing:
            raise scope.Forbidden(
                _("不能撤销超出本人权限的授权：您在该节点没有“%(action)s”权限")
                % {"action": missing}
            )
    before = grant_values(grant)
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
