"""Statistical reports under /api/v1/reports/: the list of tables, each table for a node and a
year as JSON, or as .xlsx with ``?format=xlsx`` (audited). Thin: parse, call, serialize."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from django.http import HttpResponse
from ninja import Router

from dangjian.core.api import ERRORS
from dangjian.core.ids import pk_or_404
from dangjian.dashboard.reports import export

router = Router(tags=["统计报表"])


@router.get("/", response=ERRORS | {200: dict}, summary="统计报表目录")
def report_list(request):
    items = export.report_list()
    return {"items": items, "count": len(items)}


@router.get("/{table}/", response=ERRORS | {200: dict}, summary="统计报表")
def report_get(
    request,
    table: str,
    node: int | None = None,
    year: int | None = None,
    format: Literal["json", "xlsx"] = "json",
):
    """The table for ``node`` (an area; default the user's topmost) and ``year`` (the tables
    of a period; default this year). ``format=xlsx``: the official form with merged headers,
    the exporter's name in it (audited)."""
    node = pk_or_404(node)
    if format == "xlsx":
        name, content = export.report_export(actor=request.user, code=table, node=node, year=year)
        response = HttpResponse(content, content_type=export.XLSX)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    return export.report_table(request.user, table, node=node, year=year).as_dict()
