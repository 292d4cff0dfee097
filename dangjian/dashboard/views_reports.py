"""Console pages of the statistical reports: the list of tables and one table on screen, with
its .xlsx export (the API's ``?format=xlsx``, audited)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from dangjian.dashboard.geo import selectors
from dangjian.dashboard.reports import export
from dangjian.dashboard.reports.tables import GOVERNANCE, PARTY, SPEC_BY_CODE
from dangjian.dashboard.views_map import _node_param
from dangjian.web.decorators import console_view


def _year_param(request) -> int | None:
    raw = request.GET.get("year") or ""
    try:
        return int(raw) if raw else None
    except ValueError:
        return -1  # refused by the table with a message naming the field


@console_view
def report_list(request):
    node = selectors.map_node(request.user, _node_param(request))
    items = export.report_list()
    return render(
        request,
        "dashboard/reports.html",
        {
            "node": node,
            "groups": [(g, [i for i in items if i["group"] == g]) for g in (PARTY, GOVERNANCE)],
        },
    )


@console_view
def report_detail(request, table: str):
    if table not in SPEC_BY_CODE:
        raise Http404
    node_pk = _node_param(request)
    node = selectors.map_node(request.user, node_pk)
    year = _year_param(request)
    error = ""
    data = None
    try:
        data = export.report_table(request.user, table, node=node.pk, year=year)
    except ValidationError as exc:
        error = "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    spec = SPEC_BY_CODE[table]
    shown_year = data.year if data is not None and data.year else timezone.localdate().year
    query = f"node={node.pk}" + (f"&year={shown_year}" if spec.uses_year else "")
    return render(
        request,
        "dashboard/report.html",
        {
            "node": node,
            "spec": spec,
            "table": data,
            "subtitle": export.subtitle(data) if data is not None else "",
            "error": error,
            "year": shown_year,
            "xlsx_url": f"/api/v1/reports/{table}/?{query}&format=xlsx",
        },
    )
