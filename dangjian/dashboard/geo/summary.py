"""The key figures of a node for the big screen, read from the dashboard's roll-ups
(``dashboard.Rollup``: the node's rows of this year, one statement), never computed per request,
with the time the current month's row was computed (``computed_at``).

- ``members``, ``orgs``, ``grids``: the stocks of the current month (``members``, ``orgs``,
  ``grids``); ``households``: the node's own count (the area's field);
- ``open_events``, ``overdue_events``: events open now and those of them past their deadline
  (``events_open``, ``events_overdue_open``, as of the last computation);
- ``opened_this_year`` and the three rates: the year's cohorts added up month by month
  (``events_opened`` …), the rates as the closed loop's metrics compute them (a fraction to
  four places, shown as a percentage to one).
"""

from __future__ import annotations

from django.utils import timezone

from dangjian.core.months import month_key
from dangjian.dashboard.geo.selectors import map_node
from dangjian.dashboard.models import Rollup

VIEW = "dashboard.view"
STOCKS = {
    "members": "members",
    "orgs": "orgs",
    "grids": "grids",
    "open_events": "events_open",
    "overdue_events": "events_overdue_open",
}
RATES = {
    "closure_rate": ("events_closed", "events_opened"),
    "on_time_rate": ("events_closed_on_time", "events_closed"),
    "satisfaction_rate": ("events_satisfied", "events_evaluated"),
}
YEAR_CODES = frozenset({"events_opened", *(c for pair in RATES.values() for c in pair)})


def _pct(part: int, whole: int) -> float | None:
    """As ``cases.selectors`` (``round(part / whole, 4)``) then as a percentage to one place."""
    return None if not whole else round(round(part / whole, 4) * 100, 1)


def key_figures(user, *, node: int | None = None) -> dict:
    area = map_node(user, node)
    now = month_key(timezone.localdate())
    rows = {
        month: (values, at)
        for month, values, at in Rollup.objects.visible_to(user, VIEW)
        .filter(area_id=area.pk, month__gte=now // 100 * 100 + 1, month__lte=now)
        .values_list("month", "values", "computed_at")
    }
    current, computed_at = rows.get(now, ({}, None))
    year: dict[str, int] = {}
    for values, _at in rows.values():
        for code in YEAR_CODES:
            year[code] = year.get(code, 0) + int(values.get(code) or 0)
    out: dict = {"node": {"id": area.pk, "name": area.name, "kind": area.kind}}
    for key, code in STOCKS.items():
        out[key] = int(current[code]) if code in current else None
    out["households"] = area.households
    out["opened_this_year"] = year.get("events_opened") if rows else None
    for key, (part, whole) in RATES.items():
        out[key] = _pct(year.get(part, 0), year.get(whole, 0))
    at = timezone.localtime(computed_at).isoformat(timespec="seconds") if computed_at else None
    out["computed_at"] = at
    out["as_of"] = at
    return out
