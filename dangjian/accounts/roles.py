"""Roles and the actions they allow, declared as data.

Actions are named ``module.action``; ``module.*`` allows every action of a module and ``*``
every action. The table is synced into the Role table by a migration and by
``accounts.services.roles_sync`` so a deployment can read it, but it is defined here.
"""

from __future__ import annotations

from dataclasses import dataclass

STAFF_READ = [
    "territory.view", "organizations.view", "accounts.view", "audit.view", "members.view",
    "development.view", "orglife.view", "dues.view", "cases.view", "volunteering.view",
    "points.view", "assessment.view", "dashboard.view",
]


@dataclass(frozen=True)
class RoleDef:
    code: str
    name: str
    actions: tuple[str, ...]
    # "subtree": granted on a node of either tree; "self": reaches only oneself;
    # "department": reaches what is dispatched to one's department.
    reach: str = "subtree"


ROLES: tuple[RoleDef, ...] = (
    RoleDef("system_admin", "系统管理员", ("*",)),
    RoleDef(
        "city_staff", "市委组织部工作人员",
        (*STAFF_READ, "territory.manage", "organizations.manage", "accounts.manage", "members.*",
         "development.*", "orglife.*", "dues.*", "assessment.*", "dashboard.*", "cases.supervise"),
    ),
    RoleDef(
        "county_staff", "县(区)委组织部工作人员",
        (*STAFF_READ, "territory.manage", "organizations.manage", "accounts.manage", "members.*",
         "development.*", "orglife.*", "dues.*", "assessment.*", "dashboard.*", "cases.supervise"),
    ),
    RoleDef(
        "township_staff", "乡镇(街道)组织工作人员",
        (*STAFF_READ, "territory.manage", "organizations.manage", "accounts.manage", "members.*",
         "development.*", "orglife.*", "dues.*", "assessment.view", "dashboard.view",
         "cases.dispatch", "cases.create", "cases.supervise", "volunteering.*", "points.*"),
    ),
    RoleDef(
        "secretary", "村(社区)书记",
        (*STAFF_READ, "members.manage", "members.checkin", "development.*", "orglife.*", "dues.*",
         "cases.create", "cases.dispatch", "volunteering.*", "points.*"),
    ),
    RoleDef(
        "grid_worker", "网格员",
        ("territory.view", "organizations.view", "members.checkin_view", "cases.view",
         "cases.create", "cases.visit", "volunteering.view", "dashboard.view"),
    ),
    RoleDef(
        "department", "职能部门",
        ("cases.view", "cases.handle"),
        reach="department",
    ),
    RoleDef(
        "member", "党员",
        ("members.view", "orglife.view", "orglife.checkin", "dues.view", "development.view",
         "volunteering.view", "volunteering.accept", "points.view", "cases.view", "cases.create",
         "audit.view"),
        reach="self",
    ),
    RoleDef(
        "resident", "群众",
        ("cases.view", "cases.create", "cases.rate", "volunteering.view", "volunteering.order",
         "points.view", "audit.view"),
        reach="self",
    ),
)

ROLE_BY_CODE = {r.code: r for r in ROLES}


def allows(actions, action: str) -> bool:
    if "*" in actions or action in actions:
        return True
    module = action.split(".", 1)[0]
    return f"{module}.*" in actions
