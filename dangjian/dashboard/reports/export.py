"""Reading a report for the screen and exporting it to .xlsx (scoped, audited, carrying the
exporter's name). The tables hold counts only: no personal data to mask."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, excel
from dangjian.dashboard.geo.selectors import map_node
from dangjian.dashboard.reports.tables import SPEC_BY_CODE, SPECS, Table, check_year

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_list() -> list[dict]:
    return [
        {"code": s.code, "title": s.title, "group": s.group, "uses_year": s.uses_year}
        for s in SPECS
    ]


def report_table(user, code: str, *, node: int | None = None, year: int | None = None) -> Table:
    """The table ``code`` for ``node`` (default: the user's topmost area) and ``year``."""
    spec = SPEC_BY_CODE.get(code)
    if spec is None:
        raise Http404("未找到")
    area = map_node(user, node)
    return spec.build(user, area, check_year(year) if spec.uses_year else None)


def subtitle(table: Table) -> str:
    period = f"{table.year}年度" if table.year else f"截至{timezone.localdate():%Y年%m月%d日}"
    return f"统计单位：{table.node.name}　统计期间：{period}"


def report_export(*, actor, code: str, node: int | None = None, year: int | None = None):
    """(filename, bytes) of the table as .xlsx with merged headers; one audit row."""
    table = report_table(actor, code, node=node, year=year)
    exporter = getattr(actor, "real_name", "") or actor.get_username()
    content = excel.write_table(
        title=table.title,
        subtitle=subtitle(table),
        header=[[c.as_dict() for c in row] for row in table.header],
        rows=[[label, *values] for label, values in table.rows],
        notes=table.notes,
        exporter=exporter,
        sheet_name=table.title,
    )
    audit.record(
        actor=actor,
        action="dashboard.report_export",
        object_type="dashboard.report",
        object_id=table.code,
        object_repr=f"{table.title}（{table.node.name}）",
        area_path=table.node.path,
        note=f"导出统计报表：{table.title}，{subtitle(table)}",
        after={"code": table.code, "node": table.node.pk, "year": table.year},
    )
    name = f"{table.title}_{table.node.name}_{table.year or timezone.localdate():%Y}.xlsx"
    return name, content
