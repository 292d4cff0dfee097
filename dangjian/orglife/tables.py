"""The organizational-life console lists, declared once (``web.listing``): the plans list and
the calendar month's sessions (the calendar exports its month as a list)."""

from __future__ import annotations

from dangjian.web.listing import Column, Table

PLANS = Table(
    title="组织生活计划",
    object_type="orglife.plan",
    columns=(
        Column("title", "计划", "title", ("title",)),
        Column("org", "党组织", "org.name", ("org_path",)),
        Column("year", "年度", "year", ("year", "quarter")),
        Column("quarter", "季度", lambda p: f"第{p.quarter}季度" if p.quarter else "全年"),
        Column("items", "事项", "n_items", ("n_items",)),
        Column("used", "已安排", "n_used", ("n_used",)),
    ),
)

SESSIONS = Table(
    title="组织生活",
    object_type="orglife.session",
    columns=(
        Column("starts", "开始时间", "starts_at", ("starts_at",)),
        Column("ends", "结束时间", "ends_at", ("ends_at",)),
        Column("org", "党组织", "org.name", ("org_path",)),
        Column("type", "类型", "get_session_type_display", ("session_type",)),
        Column("topic", "主题", "topic", ("topic",)),
        Column("place", "地点", "place", ("place",)),
        Column("state", "状态", "get_state_display", ("state",)),
    ),
    default=("starts_at", "id"),
)
