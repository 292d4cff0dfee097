"""What every console page needs: the title, the menu for this user, the holiday warning."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

SITE_TITLE = "党建引领基层治理平台"


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str | None  # None: a module still being built (shown greyed, not a link)
    action: str | None = None  # shown when ``user.can(action)``; None: every signed-in user
    staff_only: bool = False
    group: str = ""  # the work it belongs to (GROUPS); "" for the home page


# The menu grouped by work, as the county offices' admin systems have it (issue 18); each group
# has an icon of the sprite in console/base.html. A group shows only when the person can use
# one of its items.
GROUPS = (
    ("org", "党组织", "i-org"),
    ("member", "党员", "i-member"),
    ("orglife", "组织生活", "i-orglife"),
    ("dues", "党费", "i-dues"),
    ("governance", "基层治理", "i-governance"),
    ("assessment", "考核", "i-assessment"),
    ("system", "系统管理", "i-system"),
)

MENU = (
    MenuItem("首页", "console:home"),
    MenuItem("我的待办", "console:todos"),
    MenuItem("组织树", "console:org_list", "organizations.view", group="org"),
    MenuItem("换届提醒", "console:members:elections_due", "organizations.view", group="org"),
    MenuItem("党员管理", "console:members:list", "members.view", group="member"),
    MenuItem("报到党员", "console:members:checkins", "members.checkin_view", group="member"),
    MenuItem("发展党员", "console:development:list", "development.view", group="member"),
    MenuItem("党员双色预警", "console:assessment:warnings", "members.view", group="member"),
    MenuItem("组织生活", "console:orglife:calendar", "orglife.view", group="orglife"),
    MenuItem("组织生活计划", "console:orglife:plans", "orglife.view", group="orglife"),
    MenuItem("党费", "console:dues:overview", "dues.view", group="dues"),
    MenuItem("党费上缴", "console:dues:remittances", "dues.view", group="dues"),
    MenuItem("基层组织经费", "console:dues:funds", "dues.view", group="dues"),
    MenuItem("数据概览", "console:dashboard:dashboard", "dashboard.view", group="governance"),
    MenuItem("一张图", "console:map:map", "dashboard.view", group="governance"),
    MenuItem("统计报表", "console:map:reports", "dashboard.view", group="governance"),
    MenuItem("区域树", "console:area_list", "territory.view", group="governance"),
    MenuItem("网格事件", "console:cases:list", "cases.view", group="governance"),
    MenuItem("时间银行", "console:timebank:orders", "volunteering.view", group="governance"),
    MenuItem("志愿服务队", "console:timebank:teams", "volunteering.view", group="governance"),
    MenuItem(
        "驿站与新就业群体", "console:timebank:stations", "volunteering.view", group="governance"
    ),
    MenuItem(
        "居民注册",
        "console:accounts:registrations",
        "accounts.confirm_resident",
        group="governance",
    ),
    MenuItem("评星定级", "console:assessment:ratings", "assessment.view", group="assessment"),
    MenuItem("评星方案", "console:assessment:schemes", "assessment.view", group="assessment"),
    MenuItem("书记项目", "console:assessment:projects", "assessment.view", group="assessment"),
    MenuItem("软弱涣散排查", "console:assessment:rankings", "assessment.view", group="assessment"),
    MenuItem(
        "整顿项目", "console:assessment:rectifications", "assessment.view", group="assessment"
    ),
    MenuItem("积分", "console:points:schemes", "points.view", group="assessment"),
    MenuItem("积分评议", "console:points:review", "points.review", group="assessment"),
    MenuItem("积分记录", "console:points:awards", "points.view", group="assessment"),
    MenuItem("积分兑换", "console:points:redemptions", "points.view", group="assessment"),
    MenuItem("用户与授权", "console:accounts:users", "accounts.view", group="system"),
    MenuItem("职能部门", "console:accounts:departments", "accounts.view", group="system"),
    MenuItem("审计日志", "console:audit", "audit.view", group="system"),
    MenuItem("节假日", "console:holidays", staff_only=True, group="system"),
    MenuItem("账号安全", "console:account", group="system"),
)

UPCOMING: tuple = ()


def is_staff_user(user) -> bool:
    from dangjian.accounts.models import UserKind

    return bool(getattr(user, "is_authenticated", False)) and user.kind in (
        UserKind.STAFF,
        UserKind.DEPARTMENT,
    )


def _allowed(item: MenuItem, user) -> bool:
    """Shown when the person may use it in the console: a reach over nodes or departments.
    Reaching only oneself (a member's own file, dues, audit rows) is the phone's work, so a
    member who also holds a staff grant sees no 党员管理 or 审计日志 for their own rows."""
    if item.staff_only and not is_staff_user(user):
        return False
    if item.action is None:
        return True
    reach = user.reach(item.action)
    return bool(reach.area_paths or reach.org_paths or reach.department_ids)


def menu_for(request) -> tuple[list[dict], list[dict]]:
    user = request.user
    path = request.path
    items = []
    for item in MENU:
        if not _allowed(item, user):
            continue
        url = reverse(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active, "group": item.group})
    # Nested sections (/members/ and /members/checkins/): only the closest one is active.
    matched = [i for i in items if i["active"]]
    for i in matched:
        i["active"] = len(i["url"]) == max(len(m["url"]) for m in matched)
    upcoming = [{"label": i.label, "group": i.group} for i in UPCOMING if _allowed(i, user)]
    return items, upcoming


def menu_groups(items: list[dict], upcoming: list[dict]) -> list[dict]:
    """The groups the person can use, each with its items (those still being built last),
    open when it holds the page shown or when the person has few groups."""
    groups = []
    for code, label, icon in GROUPS:
        mine = [i for i in items if i["group"] == code]
        soon = [i for i in upcoming if i["group"] == code]
        if not mine and not soon:
            continue
        groups.append(
            {
                "code": code,
                "label": label,
                "icon": icon,
                "items": mine,
                "upcoming": soon,
                "active": any(i["active"] for i in mine),
            }
        )
    few = len(groups) <= 3
    for g in groups:
        g["open"] = g["active"] or few
    return groups


def breadcrumbs(items: list[dict]) -> list[dict]:
    """首页 / the group / the menu entry of the page shown (a link unless it is the page)."""
    active = next((i for i in items if i["active"] and i["group"]), None)
    if active is None:
        return []
    label = next(g[1] for g in GROUPS if g[0] == active["group"])
    home = next((i for i in items if not i["group"]), None)
    trail = [{"label": "首页", "url": home["url"] if home else "/"}, {"label": label, "url": ""}]
    trail.append({"label": active["label"], "url": active["url"]})
    return trail


def holiday_warnings(user) -> list[str]:
    """The fallback warnings for this year and next, for staff."""
    if not is_staff_user(user):
        return []
    from dangjian.core import workdays

    year = timezone.localdate().year
    missing = workdays.years_without_data([year, year + 1])
    return [w for w in (workdays.fallback_warning(y) for y in missing) if w]


def console(request):
    """Lazy: a partial (an htmx fragment) that shows no menu costs no query for it."""
    ctx = {"site_title": SITE_TITLE}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ctx
    memo: dict = {}

    def menu():
        if "menu" not in memo:
            memo["menu"] = menu_for(request)
        return memo["menu"]

    def warnings():
        if "warnings" not in memo:
            memo["warnings"] = holiday_warnings(user)
        return memo["warnings"]

    ctx["menu"] = lambda: menu()[0]
    ctx["menu_upcoming"] = lambda: menu()[1]
    ctx["menu_groups"] = lambda: menu_groups(*menu())
    ctx["auto_breadcrumbs"] = lambda: breadcrumbs(menu()[0])
    ctx["holiday_warnings"] = warnings
    return ctx
