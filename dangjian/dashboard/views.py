"""The console's dashboard of one's node (``/dashboard/``): its figures by section with their
12-month trend, the same figures of each child (drill-down one level), and a link to the
list behind each figure. Read from the roll-ups; another node reads 404."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import render

from dangjian.core.ids import pk_or_404
from dangjian.dashboard import selectors
from dangjian.web import listing as L
from dangjian.web.decorators import console_view

SPARK_W, SPARK_H = 96, 24
# The figures shown for each child in the drill-down table.
CHILD_COLUMNS = (
    ("members", "党员"),
    ("branches", "党支部"),
    ("grid_coverage", "网格支部覆盖率"),
    ("orglife_compliance", "组织生活达标率"),
    ("dues_collected", "当月党费"),
    ("arrears_members", "欠缴3个月以上"),
    ("events_opened", "当月立案"),
    ("closure_rate", "办结率"),
    ("visit_coverage", "走访覆盖率"),
    ("checkin_hours", "服务时长"),
    ("volunteer_hours", "志愿服务时长"),
    ("points_awarded", "当月记分"),
    ("stars_5", "五星级党组织"),
    ("weak_flagged", "软弱涣散情形"),
    ("warnings_red", "红色预警"),
)


def sparkline(values: list) -> str:
    """The SVG polyline points of a 12-month trend (months never computed are skipped)."""
    nums = [(i, float(Decimal(str(v)))) for i, v in enumerate(values) if v is not None]
    if not nums:
        return ""
    lo, hi = min(v for _, v in nums), max(v for _, v in nums)
    span = (hi - lo) or 1.0
    step = SPARK_W / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{SPARK_H - 2 - (v - lo) / span * (SPARK_H - 4):.1f}" for i, v in nums
    )


# The console pages behind the API lists that have one with the same filter.
CONSOLE_LISTS = (
    ("/api/v1/dashboard/compliance/", "/dashboard/compliance/"),
    ("/api/v1/dashboard/arrears/", "/dashboard/arrears/"),
    ("/api/v1/cases/?", "/cases/?"),
    ("/api/v1/assessment/rectifications/?", "/assessment/rectifications/?"),
    ("/api/v1/points/awards/?", "/points/awards/?"),
    ("/api/v1/points/redemptions/?", "/points/redemptions/?"),
)


def console_url(api_url: str | None) -> str | None:
    """The console page of the list behind a figure, else the API list itself."""
    if not api_url:
        return None
    for api, page in CONSOLE_LISTS:
        if api_url.startswith(api):
            return page + api_url[len(api) :]
    return api_url


def decorate(node: dict, trends: dict | None = None) -> dict:
    """Group a node's figures by section (with their sparklines when ``trends`` is given)."""
    by_code = {f["code"]: f for f in node["figures"]}
    by_code.update({r["code"]: {**r, "kind": "ratio", "unit": "%"} for r in node["ratios"]})
    sections: dict[str, list] = {}
    for f in [*node["figures"], *node["ratios"]]:
        item = by_code[f["code"]]
        item["href"] = console_url(item.get("list_url"))
        if trends is not None:
            item["spark"] = sparkline(trends.get(f["code"], []))
            item["trend"] = trends.get(f["code"], [])
        sections.setdefault(f["section"], []).append(item)
    node["by_section"] = sections
    at = node.get("computed_at") or ""
    node["computed_label"] = at[:16].replace("T", " ")
    node["by_code"] = by_code
    node["columns"] = [by_code.get(code, {}).get("value") for code, _ in CHILD_COLUMNS]
    return node


@console_view
def dashboard(request):
    node = pk_or_404(_int(request.GET.get("node")))
    period = request.GET.get("period") or None
    error = None
    try:
        data = selectors.figures(request.user, node, period)
    except ValidationError as exc:
        error = exc.message_dict.get("period", ["期间格式有误"])[0]
        data = selectors.figures(request.user, node, None)
    items = []
    for item in data["items"]:
        area = selectors.node_of(request.user, item["id"]) if len(data["items"]) == 1 else None
        trends = selectors.trends(area, data["period"]) if area else None
        decorate(item, trends)
        for child in item["children"]:
            decorate(child)
        items.append(item)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "data": data,
            "items": items,
            "sections": data["sections"],
            "columns": [label for _, label in CHILD_COLUMNS],
            "error": error,
            "spark_w": SPARK_W,
            "spark_h": SPARK_H,
        },
    )


def _int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        return 0  # reads as absent (404)


@console_view
@L.exportable
def compliance(request):
    """The compliance board from the roll-ups (the live one: ``/orglife/compliance/``)."""
    from dangjian.dashboard import boards, tables
    from dangjian.web.paging import paginate

    node = pk_or_404(_int(request.GET.get("node")))
    colour = request.GET.get("colour") or None
    try:
        qs, header = boards.compliance_board(
            request.user, node=node, period=request.GET.get("period") or None, colour=colour
        )
        error = None
    except ValidationError as exc:
        error = next(iter(exc.message_dict.values()))[0]
        qs, header = boards.compliance_board(request.user, node=node)
    listed = L.listing_of(request, tables.COMPLIANCE)
    qs = listed.order(qs)
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, 50)
    return render(
        request,
        "dashboard/compliance.html",
        {
            "listing": listed,
            "header": header,
            "page": page,
            "error": error,
            "node": node,
            "colour": colour or "",
        },
    )


@console_view
@L.exportable
def arrears(request):
    """Members in arrears from the roll-ups (the live list: ``/dues/arrears/``)."""
    from dangjian.dashboard import boards, tables
    from dangjian.web.paging import paginate

    node = pk_or_404(_int(request.GET.get("node")))
    level = request.GET.get("level") or None
    try:
        qs = boards.arrears(request.user, node=node, level=level)
        error = None
    except ValidationError as exc:
        error = next(iter(exc.message_dict.values()))[0]
        qs = boards.arrears(request.user, node=node)
    listed = L.listing_of(request, tables.ARREARS)
    qs = listed.order(qs)
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, 50)
    return render(
        request,
        "dashboard/arrears.html",
        {"listing": listed, "page": page, "error": error, "node": node, "level": level or ""},
    )
