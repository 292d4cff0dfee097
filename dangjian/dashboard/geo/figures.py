"""The figures the map colours its polygons by, per child of a node, read from the dashboard's
roll-ups (``dashboard.Rollup``), never computed per request: the map answers what the
dashboard answers for the same node, and costs one statement whatever the node.

- ``events_per_1000``: events opened (立案) in the last 12 months (this month and the 11
  before: the roll-ups' ``events_opened``) per 1,000 of the area's households;
- ``overdue``: open events past their deadline (``events_overdue_open``, as of the last
  computation);
- ``compliance``: share of branches whose organizational life this quarter is green
  (``branches_green`` / ``branches_evaluated``), by the area each branch is anchored to;
- ``members``: party members of the organizations anchored in the area (``members``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.cases.models import State
from dangjian.core.months import month_key
from dangjian.dashboard.models import Rollup
from dangjian.dashboard.rollups import engine

FIGURES = {
    "events_per_1000": _("每千户事件数"),
    "overdue": _("超期事件数"),
    "compliance": _("组织生活达标率"),
    "members": _("党员人数"),
}
UNITS = {"events_per_1000": _("件/千户"), "overdue": _("件"), "compliance": "%", "members": _("人")}
CLOSED_STATES = (State.CANCELLED, State.CLOSED, State.EVALUATED)
OPEN_Q = Q(opened_at__isnull=False, closed_at__isnull=True) & ~Q(state__in=CLOSED_STATES)
VIEW = "dashboard.view"
MONTHS = 12  # the window of ``events_per_1000``


def _rows(user, ids: list[int], months: list[int]) -> tuple[dict[int, dict[int, dict]], object]:
    """area id -> month -> stored values, for the children's rows of ``months`` (one query,
    through the roll-ups' own scope), and the earliest time one of them was computed."""
    out: dict[int, dict[int, dict]] = {pk: {} for pk in ids}
    oldest = None
    for pk, month, values, at in (
        Rollup.objects.visible_to(user, VIEW)
        .filter(area_id__in=ids, month__in=months)
        .values_list("area_id", "month", "values", "computed_at")
    ):
        out[pk][month] = values
        oldest = at if oldest is None or at < oldest else oldest
    return out, oldest


def figure_by_child(user, figure: str, children: list[dict]) -> tuple[dict[str, dict], object]:
    """``{child path: {"value": number | None, ...}}`` for ``figure`` over ``children``
    (dicts with ``pk``, ``path`` and ``households``), from the stored roll-ups (a child never
    computed reads None), and when the oldest of the rows read was computed."""
    if not children:
        return {}, None
    now = month_key(timezone.localdate())
    months = engine.window(MONTHS) if figure == "events_per_1000" else [now]
    rows, computed_at = _rows(user, [c["pk"] for c in children], months)
    out: dict[str, dict] = {}
    for c in children:
        got = rows.get(c["pk"], {})
        current = got.get(now)
        if figure == "events_per_1000":
            if not got:
                out[c["path"]] = {"value": None, "events": None}
                continue
            n = sum(int(v.get("events_opened") or 0) for v in got.values())
            per = round(n * 1000 / c["households"], 2) if c["households"] else None
            out[c["path"]] = {"value": per, "events": n}
        elif current is None:
            out[c["path"]] = {"value": None}
        elif figure == "compliance":
            green = int(current.get("branches_green") or 0)
            total = int(current.get("branches_evaluated") or 0)
            rate = float((Decimal(100) * green / total).quantize(Decimal("0.1"))) if total else None
            out[c["path"]] = {"value": rate, "green": green, "branches": total}
        else:
            code = "events_overdue_open" if figure == "overdue" else "members"
            out[c["path"]] = {"value": int(current.get(code) or 0)}
    return out, computed_at
