"""Sortable columns and Excel export for every console list (issue 18).

``sort_of(request, COLUMNS, default)`` reads ``?sort=<key>`` or ``?sort=-<key>`` against the
list's whitelist (a key nobody declared is ignored: the default order, never an error or an
arbitrary ``order_by``), and answers the ordering and the header links;
``export_response`` writes the rows the list shows — with its filters, masked as on the page,
rates and amounts as numbers — through ``core.excel`` and records the export in the audit log.

A list declares its columns once, as a ``Table`` of ``Column``s (the header, the export cell,
the sort fields); ``listing_of(request, table)`` answers the ``Listed`` the view uses: the
ordering to apply, whether the request is an export, the export itself. An export is started
by POST only (the page's form ``console/_export_form.html``, CSRF-protected), the filters
riding in the query string of the list's own address: a cross-site ``<img>`` or link cannot
start one, and ``?export=xlsx`` in a GET is ignored (the page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode

from django.http import HttpResponse, HttpResponseNotAllowed

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
    """Where the export form posts: the list's own address with its filters and sort (the
    page number and any ``export`` left out)."""
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    return "?" + urlencode(list(params.lists()), doseq=True)


def wants_export(request) -> bool:
    """An export is a POST of the export form (never a GET: a link or an image cannot start
    one)."""
    return request.method == "POST" and request.POST.get("export") == "xlsx"


def exportable(view):
    """In place of ``require_GET`` on a list that exports: GET shows the list, a POST of the
    export form exports it; any other method or POST answers 405."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in ("GET", "HEAD") or wants_export(request):
            return view(request, *args, **kwargs)
        return HttpResponseNotAllowed(["GET", "POST"])

    return wrapper


def _attr(path: str) -> Callable[[Any], Any]:
    def get(obj):
        for part in path.split("."):
            obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
            if obj is None:
                return None
            if callable(obj):
                obj = obj()
        return obj

    return get


@dataclass(frozen=True)
class Column:
    """One column of a list: ``key`` (the ``?sort=`` name), the header, the export cell (a
    function of the row as the page shows it, or a dotted attribute path; ``get_x_display``
    style methods are called) and the fields it sorts by (none: not sortable)."""

    key: str
    label: str
    value: Callable[[Any], Any] | str | None = None
    sort: tuple[str, ...] = ()

    def cell(self, row):
        value = self.value if self.value is not None else self.key
        return _attr(value)(row) if isinstance(value, str) else value(row)


@dataclass(frozen=True)
class Table:
    """A console list declared once: its title (the sheet and file name), the audited object
    type, its columns, and its default order (``()``: the selector's own)."""

    title: str
    object_type: str
    columns: tuple[Column, ...]
    default: tuple[str, ...] = ()

    @property
    def sort_columns(self) -> dict[str, tuple[str, ...]]:
        return {c.key: c.sort for c in self.columns if c.sort}

    @property
    def headers(self) -> list[str]:
        return [c.label for c in self.columns]


EXPORT_CHUNK = 500


@dataclass
class Listed:
    """What a list view needs of ``web.listing`` for one request."""

    request: Any
    table: Table
    sort: Sort
    export_url: str
    exporting: bool

    @property
    def links(self) -> dict:
        return self.sort.links

    def order(self, qs):
        """``qs`` in the order asked for (unchanged when none or an unknown key was). A
        computed list (rows, not a queryset) is sorted here by the same declared fields, read
        off each row (a dict's keys or attributes); its own order breaks ties, so descending
        is ascending read backwards."""
        if not hasattr(qs, "order_by"):
            return self._sorted(qs) if (self.sort.key or self.table.default) else qs
        if self.sort.key or self.table.default:
            return qs.order_by(*self.sort.order)
        return qs

    def _sorted(self, rows: Iterable) -> list:
        placed = list(enumerate(rows))
        if self.sort.descending:
            placed.reverse()
        for field in reversed([f for f in self.sort.order if f.lstrip("-") != "id"]):
            get = _attr(field.lstrip("-"))
            placed.sort(key=lambda p, get=get: _sort_key(get(p[1])), reverse=field[:1] == "-")
        return [row for _, row in placed]

    def export(
        self,
        rows: Iterable,
        *,
        filters: dict | None = None,
        prepare: Callable[[list], Iterable] | None = None,
    ) -> HttpResponse:
        """The .xlsx of ``rows`` (a queryset or any iterable), each prepared as the page
        prepares its rows (``prepare`` takes a chunk, a list, and answers it decorated)."""

        def cells():
            n = 0
            chunk: list = []
            for obj in rows:
                if n >= EXPORT_LIMIT:
                    break
                n += 1
                chunk.append(obj)
                if len(chunk) >= EXPORT_CHUNK:
                    yield from self._cells(chunk, prepare)
                    chunk = []
            if chunk:
                yield from self._cells(chunk, prepare)

        if filters is None:
            filters = {
                k: v for k, v in self.request.GET.items() if k not in ("page", "export") and v
            }
        return export_response(
            self.request,
            title=self.table.title,
            headers=self.table.headers,
            rows=cells(),
            object_type=self.table.object_type,
            filters=filters,
        )

    def _cells(self, chunk: list, prepare):
        for obj in prepare(chunk) if prepare else chunk:
            yield [c.cell(obj) for c in self.table.columns]


def _sort_key(value) -> tuple:
    return (0, 0) if value is None else (1, value)


def listing_of(request, table: Table) -> Listed:
    """The sort ``request`` asks for among ``table``'s columns, and whether it exports."""
    return Listed(
        request=request,
        table=table,
        sort=sort_of(request, table.sort_columns, default=table.default),
        export_url=export_url(request),
        exporting=wants_export(request),
    )


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
