"""The dashboard's drill-down lists, declared once (``web.listing``): the compliance board and
the members in arrears as the roll-ups store them. Rates are written as numbers (percent)."""

from __future__ import annotations

from dangjian.web.listing import Column, Table


def _rate(b):
    value = (b.row or {}).get("attendance_rate")
    return float(value) if value not in (None, "") else None


def _cell(key: str):
    return lambda b: (b.row or {}).get(key)


COMPLIANCE = Table(
    title="组织生活落实情况",
    object_type="dashboard.branchcompliance",
    columns=(
        Column("org", "党支部", _cell("org_name"), ("org_path",)),
        Column("colour", "状态", _cell("colour_label"), ("colour",)),
        Column("done", "已完成", _cell("done")),
        Column("due", "待完成", _cell("due")),
        Column("missed", "未完成", _cell("missed"), ("missed",)),
        Column("rate", "出席率（%）", _rate),
    ),
)


ARREARS = Table(
    title="党费欠缴党员",
    object_type="dashboard.arrearsrow",
    columns=(
        Column("name", "姓名", "name", ("name",)),
        Column("org", "党组织", "org_name", ("org_name",)),
        Column("streak", "连续欠缴（月）", "streak", ("streak",)),
        Column("months", "欠缴月份", lambda a: "、".join(a.arrears_months or [])),
        Column("computed", "计算时间", "computed_at", ("computed_at",)),
    ),
)
