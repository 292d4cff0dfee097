"""Roles and the actions they allow, declared as data.

Actions are named ``module.action``; ``module.*`` allows every action of a module and ``*``
every action. The table is synced into the Role table by a migration and by
``accounts.services.roles_sync`` so a deployment can read it, but it is defined here.
"""

from __future__ import annotations

from dataclasses import dataclass

STAFF_READ = [
    "territory.view",
    "organizations.view",
    "accounts.view",
    "audit.view",
    "members.view",
    "development.view",
    "orglife.view",
    "dues.view",
    "cases.view",
    "volunteering.view",
    "points.view",
    "assessment.view",
    "dashboard.view",
]


@dataclass(frozen=True)
class RoleDef:
    code: str
    name: str
    actions: tuple[str, ...]
    # "subtree": granted on a node of either tree; "self": reaches only oneself;
    # "department": reaches what is dispatched to one's department.
    reach: str = "subtree"


# Each level holds everything the levels below it hold, so staff can appoint the accounts
# beneath them (``grant_add`` refuses to hand out an action the granting user lacks).
GRID_WORKER = {
    "territory.view",
    "organizations.view",
    "members.checkin_view",
    "cases.view",
    "cases.create",
    "cases.visit",
    "volunteering.view",
    "dashboard.view",
}
DEPARTMENT = {"cases.view", "cases.handle"}
MEMBER = {
    "members.view",
    "members.checkin",
    "orglife.view",
    "orglife.checkin",
    "dues.view",
    "development.view",
    "volunteering.view",
    "volunteering.accept",
    "points.view",
    "cases.view",
    "cases.create",
    "audit.view",
}
RESIDENT = {
    # An applicant for membership is usually not yet a member: they follow their own
    # development record (self reach) on the mobile page.
    "development.view",
    "cases.view",
    "cases.create",
    "cases.rate",
    "volunteering.view",
    "volunteering.order",
    "points.view",
    "audit.view",
}
SECRETARY = {
    *STAFF_READ,
    *GRID_WORKER,
    *MEMBER,
    *RESIDENT,
    "members.manage",
    "members.export",
    "members.checkin",
    "members.checkin_view",
    "development.*",
    "orglife.*",
    "dues.*",
    "cases.dispatch",
    "volunteering.*",
    "points.*",
}
TOWNSHIP = {
    *SECRETARY,
    *DEPARTMENT,
    "territory.manage",
    "organizations.manage",
    "accounts.manage",
    "members.*",
    "cases.*",
}
# The county committee's organization department authorizes a street 党工委 to approve member
# development (DOMAIN.md); the city holds it too so it can appoint county staff.
COUNTY = {*TOWNSHIP, "assessment.*", "dashboard.*", "organizations.authorize_approval"}
# Revealing the sealed actor of an anonymous report or a rating (``core.audit.actor_reveal``,
# with a reason, audited): the city organization department and the system administrator
# (who holds ``*``); nobody below the city.
CITY = {*COUNTY, "audit.reveal_actor"}

ROLES: tuple[RoleDef, ...] = (
    RoleDef("system_admin", "系统管理员", ("*",)),
    RoleDef("city_staff", "市委组织部工作人员", tuple(sorted(CITY))),
    RoleDef("county_staff", "县(区)委组织部工作人员", tuple(sorted(COUNTY))),
    RoleDef("township_staff", "乡镇(街道)组织工作人员", tuple(sorted(TOWNSHIP))),
    RoleDef("secretary", "村(社区)书记", tuple(sorted(SECRETARY))),
    RoleDef("grid_worker", "网格员", tuple(sorted(GRID_WORKER))),
    RoleDef("department", "职能部门", tuple(sorted(DEPARTMENT)), reach="department"),
    RoleDef("member", "党员", tuple(sorted(MEMBER)), reach="self"),
    RoleDef("resident", "群众", tuple(sorted(RESIDENT)), reach="self"),
)

ROLE_BY_CODE = {r.code: r for r in ROLES}


def allows(actions, action: str) -> bool:
    if "*" in actions or action in actions:
        return True
    module = action.split(".", 1)[0]
    return f"{module}.*" in actions
