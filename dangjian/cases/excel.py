"""The closed loop's figures as .xlsx: the same numbers as ``selectors.event_metrics`` (and so
the same scope), one sheet of rows (total, by class, by department), the exporter named in
the footer, the export audited."""

from __future__ import annotations

import datetime as dt

from dangjian.cases import selectors
from dangjian.cases.models import Event
from dangjian.core import audit
from dangjian.core.excel import write_rows

HEADERS = [
    "分组",
    "名称",
    "立案数",
    "派遣数",
    "签收数",
    "结案数",
    "按期结案数",
    "已解决数",
    "评价数",
    "满意数",
    "超期数",
    "结案率",
    "按期率",
    "响应率",
    "解决率",
    "满意率",
    "平均处置时长（小时）",
]


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.2f}%"


def _row(group: str, name: str, f: dict) -> list:
    return [
        group,
        name,
        f["opened"],
        f["dispatched"],
        f["responded"],
        f["closed"],
        f["closed_on_time"],
        f["solved"],
        f["evaluated"],
        f["satisfied"],
        f["overdue"],
        _pct(f["closure_rate"]),
        _pct(f["on_time_rate"]),
        _pct(f["response_rate"]),
        _pct(f["resolution_rate"]),
        _pct(f["satisfaction_rate"]),
        "" if f["avg_handling_hours"] is None else f["avg_handling_hours"],
    ]


def metrics_rows(figures: dict) -> list[list]:
    node = figures["node"]["name"] if figures["node"] else "全部可见区域"
    rows = [_row("合计", node, figures["totals"])]
    rows += [_row("按类别", c["name"], c) for c in figures["by_class"]]
    rows += [_row("按承办部门", d["label"], d) for d in figures["by_department"]]
    rows += [_row("按下级区域", a["name"], a) for a in figures["by_child"]]
    return rows


def metrics_export(
    *,
    actor,
    area: int | None = None,
    department: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    group_by: str = "",
) -> bytes:
    figures = selectors.event_metrics(
        actor,
        area=area,
        department=department,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
    )
    rows = metrics_rows(figures)
    name = (getattr(actor, "real_name", "") or actor.get_username())[:50]
    content = write_rows(
        headers=HEADERS, rows=rows, exporter=name, sheet_name="网格事件统计", widths=None
    )
    period = f"{date_from or '不限'}至{date_to or '不限'}"
    # Scoped by the area filtered on, else by all the export covered.
    area_path = audit.covered_paths(Event, actor, "cases.view")["area_path"]
    if area is not None:
        from dangjian.territory.models import Area

        area_path = Area.objects.filter(pk=area).values_list("path", flat=True).first() or area_path
    totals = figures["totals"]
    if not (totals["reported"] or totals["opened"]):
        return content  # an export of nothing discloses nothing: no audit row
    audit.record(
        actor=actor,
        action="cases.metrics_export",
        object_type="cases.event",
        object_repr="网格事件统计",
        area_path=area_path,
        note=f"导出网格事件统计（{rows[0][1]}，立案日期{period}）",
        after={
            "area": area,
            "department": department,
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
            "group_by": group_by,
            "opened": figures["totals"]["opened"],
        },
    )
    return content
