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


def _number(key: str):
    def get(row):
        value = row.get(key)
        return float(value) if value not in (None, "") else None

    return get


def _missing(row) -> str:
    return "、".join(
        f"{m['period_label']}{m['session_type_label']}"
        + (f"（{m['note']}）" if m.get("invalid") else "")
        for m in row["missing"]
    )


def _lesson(row) -> str:
    lesson = row.get("secretary_lesson") or {}
    name = lesson.get("secretary_name")
    return f"{lesson.get('status_label', '')}（{name}）" if name else lesson.get("status_label", "")


# The live compliance board's branches (rows computed by ``compliance.board``, sorted in Python
# by ``web.listing``): the colour sorts as the missed count it is made of; the attendance rate
# (percent) and the average rating written as numbers.
COMPLIANCE = Table(
    title="组织生活落实情况",
    object_type="orglife.compliance",
    columns=(
        Column("org", "党支部", "org_name", ("org_name",)),
        Column("colour", "状态", "colour_label", ("missed",)),
        Column("done", "已完成", "done", ("done",)),
        Column("due", "待完成", "due", ("due",)),
        Column("missed", "未完成", "missed", ("missed",)),
        Column("missing", "未完成事项", _missing),
        Column("lesson", "书记讲党课", _lesson),
        Column("rate", "出席率（%）", _number("attendance_rate")),
        Column("rating", "效果评价（分）", _number("rating_avg")),
        Column("ratings", "评价人数", "ratings", ("ratings",)),
    ),
)
