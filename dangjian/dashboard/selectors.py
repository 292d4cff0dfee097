"""Reads of the dashboard, always from the stored roll-ups and always scoped: a node the user
cannot see reads as absent (404). Used by the API, the console and the map (dash-map).

``figures(user, node, period)``: the figures of one node; ``children_figures``: the same for
each visible child; ``series(user, node, figure, months)``: one figure month by month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core import scope, tree
from dangjian.core.choices import label
from dangjian.core.months import add_months_key, month_key
from dangjian.core.validators import parse_month
from dangjian.dashboard.models import Rollup
from dangjian.dashboard.rollups import engine
from dangjian.dashboard.rollups.registry import FIGURES, FLOW, RATIOS, SECTIONS
from dangjian.territory.models import Area, AreaKind

VIEW = "dashboard.view"


def parse_period(value: str | None, today: dt.date | None = None) -> int:
    """``YYYY-MM`` (empty: the current month) as ``YYYYMM``."""
    return month_key(parse_month(value) or today or timezone.localdate())


def period_code(month: int) -> str:
    return f"{month // 100}-{month % 100:02d}"


def period_label(month: int) -> str:
    return f"{month // 100}年{month % 100}月"


AREA_FIELDS = ("pk", "name", "kind", "path", "parent_id", "level")


def node_of(user, node) -> Area:
    """The visible area ``node`` (an id or an Area); 404 when not visible."""
    pk = node.pk if isinstance(node, Area) else node
    return scope.get_visible(Area.objects.only(*AREA_FIELDS), user, VIEW, pk=pk)


def top_nodes(user) -> list[Area]:
    """The areas of the user's grants for ``dashboard.view``, nested ones dropped: where the
    user's tree begins (read by path, not by testing every visible area's parent)."""
    paths = [p for p, _end in tree.merge_ranges(list(scope.reach_of(user, VIEW).area_paths))]
    if not paths:
        return []
    return list(Area.objects.only(*AREA_FIELDS).filter(path__in=paths).order_by("path")[:20])


def _visible_children(user, area: Area) -> list[Area]:
    return list(
        Area.objects.only(*AREA_FIELDS)
        .visible_to(user, VIEW)
        .filter(parent_id=area.pk)
        .exclude(kind=AreaKind.UNIT)
        .order_by("path")
    )


def _rows(areas: list[Area], month: int) -> dict[int, dict[int, Rollup]]:
    """area id -> month -> row, for the months of the year up to ``month`` (one query)."""
    out: dict[int, dict[int, Rollup]] = {a.pk: {} for a in areas}
    if not areas:
        return out
    first = month // 100 * 100 + 1
    for r in Rollup.objects.filter(
        area_id__in=[a.pk for a in areas], month__gte=first, month__lte=month
    ).only("area_id", "month", "values", "computed_at"):
        out[r.area_id][r.month] = r
    return out


def _rate(part, whole) -> str | None:
    if not whole:
        return None
    return str((Decimal(100) * Decimal(part) / Decimal(whole)).quantize(Decimal("0.1")))


def _out_value(f, value):
    if value is None:
        return None
    return value if not f.places else str(value)


def _url_ctx(month: int):
    """The month's dates for the list links (no query)."""
    return engine.context(month, leaf=1)


def node_out(area: Area, rows: dict[int, Rollup], month: int) -> dict:
    """The figures of one node from its rows of the year."""
    row = rows.get(month)
    values = row.values if row else {}
    ctx = _url_ctx(month)
    figures = []
    for code, f in FIGURES.items():
        ytd = None
        if f.kind == FLOW:
            total = sum(f.load(r.values.get(code)) for r in rows.values() if code in r.values)
            ytd = f.store(total) if rows else None
        figures.append(
            {
                "code": code,
                "label": f.label,
                "section": f.section,
                "kind": f.kind,
                "unit": f.unit,
                "value": values.get(code) if row else None,
                "ytd": ytd,
                "list_url": f.list_url(area.pk, ctx) if f.list_url else None,
            }
        )
    ratios = [
        {
            "code": r.code,
            "label": r.label,
            "section": r.section,
            "value": _rate(values.get(r.part) or 0, values.get(r.whole) or 0) if row else None,
        }
        for r in RATIOS.values()
    ]
    return {
        "id": area.pk,
        "name": area.name,
        "kind": area.kind,
        "kind_label": label(AreaKind, area.kind),
        "computed_at": timezone.localtime(row.computed_at).isoformat() if row else None,
        "figures": figures,
        "ratios": ratios,
    }


def figures(user, node=None, period: str | None = None) -> dict:
    """The figures of ``node`` (default: the user's topmost visible nodes) for ``period``,
    each node with its visible children's figures (drill-down one level)."""
    month = parse_period(period)
    tops = [node_of(user, node)] if node not in (None, "") else top_nodes(user)
    items = []
    for area in tops:
        kids = _visible_children(user, area)
        rows = _rows([area, *kids], month)
        out = node_out(area, rows[area.pk], month)
        out["children"] = [node_out(k, rows[k.pk], month) for k in kids]
        items.append(out)
    return {
        "period": period_code(month),
        "period_label": period_label(month),
        "sections": [{"code": s.code, "label": s.label} for s in SECTIONS.values()],
        "items": items,
    }


def children_figures(user, node, period: str | None = None) -> list[dict]:
    area = node_of(user, node)
    month = parse_period(period)
    kids = _visible_children(user, area)
    rows = _rows(kids, month)
    return [node_out(k, rows[k.pk], month) for k in kids]


def series(user, node, figure: str, months: int = 12, period: str | None = None) -> dict:
    """``figure`` of ``node`` for the ``months`` months to ``period`` (default this month);
    a month never computed reads None."""
    if figure not in FIGURES and figure not in RATIOS:
        raise ValidationError({"figure": ["未知的指标代码"]})
    if not 1 <= int(months) <= 36:
        raise ValidationError({"months": ["月数应在1至36之间"]})
    area = node_of(user, node)
    last = parse_period(period)
    ms = [add_months_key(last, -i) for i in range(int(months) - 1, -1, -1)]
    got = dict(Rollup.objects.filter(area_id=area.pk, month__in=ms).values_list("month", "values"))
    items = []
    for m in ms:
        v = got.get(m)
        if figure in FIGURES:
            value = v.get(figure) if v is not None else None
        else:
            r = RATIOS[figure]
            value = _rate(v.get(r.part) or 0, v.get(r.whole) or 0) if v is not None else None
        items.append({"period": period_code(m), "value": value})
    spec = FIGURES.get(figure) or RATIOS[figure]
    return {
        "figure": figure,
        "label": spec.label,
        "node": {"id": area.pk, "name": area.name, "kind": area.kind},
        "items": items,
    }


def trends(area: Area, period: str | None = None, months: int = 12) -> dict[str, list]:
    """Every figure and ratio of ``area`` (already checked visible) month by month, from one
    query: the sparklines of the console page."""
    last = parse_period(period)
    ms = [add_months_key(last, -i) for i in range(months - 1, -1, -1)]
    got = dict(Rollup.objects.filter(area_id=area.pk, month__in=ms).values_list("month", "values"))
    out: dict[str, list] = {}
    for code in FIGURES:
        out[code] = [got[m].get(code) if m in got else None for m in ms]
    for r in RATIOS.values():
        out[r.code] = [
            _rate(got[m].get(r.part) or 0, got[m].get(r.whole) or 0) if m in got else None
            for m in ms
        ]
    return out
