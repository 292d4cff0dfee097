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
    # Confirm or reject the residents who register in the grid, and print its invitation.
    "accounts.confirm_resident",
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
    # The organization's own rectification reports (整顿进展, issue 15).
    "assessment.report",
    # Star rating objections and the secretary's own project (assessment, issue 15).
    "assessment.object",
    "assessment.project",
}
TOWNSHIP = {
    *SECRETARY,
    *DEPARTMENT,
    "territory.manage",
    "organizations.manage",
    "accounts.manage",
    "members.*",
    "cases.*",
    # The level above records the 督评考 results and evaluates secretary projects.
    "assessment.evaluate",
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


# Every action the code checks, with what it lets one do: the page that shows a user what they
# can reach and why (``accounts.selectors.reach_explained``) expands ``module.*`` and ``*``
# to these.
ACTION_LABELS: dict[str, str] = {
    "territory.view": "查看区域",
    "territory.manage": "管理区域",
    "organizations.view": "查看党组织",
    "organizations.manage": "管理党组织",
    "organizations.authorize_approval": "授权审批发展党员",
    "accounts.view": "查看账号",
    "accounts.manage": "管理账号与授权",
    "accounts.confirm_resident": "确认居民注册",
    "audit.view": "查看审计日志",
    "audit.reveal_actor": "查看密封的操作人",
    "members.view": "查看党员档案",
    "members.manage": "管理党员档案",
    "members.export": "导出党员名册",
    "members.reveal_pii": "查看党员敏感信息",
    "members.checkin": "党员报到",
    "members.checkin_view": "查看报到党员",
    "development.view": "查看发展党员",
    "development.manage": "办理发展党员",
    "orglife.view": "查看组织生活",
    "orglife.manage": "管理组织生活",
    "orglife.checkin": "组织生活签到",
    "dues.view": "查看党费",
    "dues.manage": "管理党费",
    "dues.approve": "审批党费事项",
    "cases.view": "查看网格事件",
    "cases.create": "上报事件",
    "cases.visit": "入户走访",
    "cases.dispatch": "派遣事件",
    "cases.handle": "处置事件",
    "cases.supervise": "督办事件",
    "cases.configure": "配置事件分类",
    "cases.rate": "评价事件",
    "cases.reveal_pii": "查看事件敏感信息",
    "volunteering.view": "查看志愿服务",
    "volunteering.order": "志愿服务点单",
    "volunteering.accept": "志愿服务接单",
    "volunteering.dispatch": "时间银行派单",
    "volunteering.manage": "管理志愿服务队与驿站",
    "points.view": "查看积分",
    "points.manage": "管理积分方案、兑换与核销",
    "points.review": "积分评议与评分",
    "assessment.view": "查看考核",
    "assessment.report": "填报整顿进展",
    "assessment.manage": "考核管理（评星计算与公示、异议处理、确认软弱涣散名单、验收整顿、修改规则）",
    "assessment.object": "对评星结果提出异议",
    "assessment.project": "管理本组织书记项目",
    "assessment.evaluate": "督评考评定与书记项目评价",
    "dashboard.view": "查看一张图",
}


def expand_actions(actions) -> list[str]:
    """The known actions that ``actions`` (with wildcards) allow, in the table's order; a
    wildcard over a module the table does not list stays as written."""
    out = [a for a in ACTION_LABELS if allows(actions, a)]
    known_modules = {a.split(".", 1)[0] for a in ACTION_LABELS}
    for a in actions:
        if a not in ACTION_LABELS and a != "*":
            module = a.split(".", 1)[0]
            if not (a.endswith(".*") and module in known_modules):
                out.append(a)
    return out
