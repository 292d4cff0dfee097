"""Sortable columns and Excel export for every console list (issue 18).

``sort_of(request, COLUMNS, default)`` reads ``?sort=<key>`` or ``?sort=-<key>`` against the
list's whitelist (a key nobody declared is ignored: the default order, never an error or an
arbitrary ``order_by``), and answers the ordering and the header links;
``export_response`` writes the rows the list shows — with its filters, masked as on the page,
rates and amounts as numbers — through ``core.excel`` and records the export in the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.http import HttpResponse

from dangjian.core import audit
from dangjian.core.excel import write_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 10000  # rows; a list longer than this exports its first rows and says so


@dataclass(frozen=True)
class Sort:
    key: str  # the column key asked for ("" for the default)
    descending: bool
    order: tuple[str, ...]  # the order_by arguments
    links: dict  # column key -> {"url": ..., "dir": "asc" | "desc" | ""}


def sort_of(request, columns: dict[str, tuple[str, ...]], default: tuple[str, ...]) -> Sort:
    """The ordering ``request`` asks for among ``columns`` (key -> the fields ascending, a
    field of its own "-" to go the other way), with a stable tie-break on ``id``."""
    raw = (request.GET.get("sort") or "").strip()[:40]
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    if key in columns:
        fields = columns[key]
        order = tuple(_flip(f) if descending else f for f in fields)
    else:
        key, descending, order = "", False, tuple(default)
    if "id" not in {f.lstrip("-") for f in order}:
        order = (*order, "-id" if descending else "id")
    params = request.GET.copy()
    params.pop("page", None)
    links = {}
    for k in columns:
        now = "desc" if (k == key and descending) else ("asc" if k == key else "")
        params["sort"] = f"-{k}" if now == "asc" else k
        links[k] = {"url": "?" + params.urlencode(), "dir": now}
    return Sort(key, descending, order, links)


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def export_url(request) -> str:
    """The list's own address with its filters and ``export=xlsx``."""
    params = request.GET.copy()
    params.pop("page", None)
    params["export"] = "xlsx"
    return "?" + urlencode(list(params.lists()), doseq=True)


def wants_export(request) -> bool:
    return request.GET.get("export") == "xlsx"


def export_response(
    request,
    *,
    title: str,
    headers: list[str],
    rows,
    object_type: str = "",
    filters: dict | None = None,
) -> HttpResponse:
    """The .xlsx of ``rows`` (already masked as the page shows them), audited as
    ``list.export`` with the filters and the row count."""
    user = request.user
    taken = []
    for i, row in enumerate(rows):
        if i >= EXPORT_LIMIT:
            break
        taken.append(row)
    content = write_rows(
        headers=headers,
        rows=taken,
        exporter=str(user),
        sheet_name=title,
    )
    audit.record(
        actor=user,
        action="list.export",
        object_type=object_type,
        object_repr=f"导出{title}（{len(taken)}行）",
        after={"filters": filters or {}, "rows": len(taken)},
    )
    stamp = dt.datetime.now().strftime("%Y%m%d%H%M")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"export-{stamp}.xlsx\"; filename*=UTF-8''{quote(title)}-{stamp}.xlsx"
    )
    return response
