"""The figures the map colours its polygons by, per child of a node, computed live from the
modules' rows (each read through ``visible_to`` with that module's view action).

One grouped statement per figure: the rows under the node, grouped by the first
``len(child path)`` characters of their area path (``Substr``), so a county's few hundred
children cost one pass, not one query each. The dashboard's roll-ups will answer the same
figures later (``figure_by_child`` is the one place to point at them).

- ``events_per_1000``: events opened (立案) in the last 365 days per 1,000 households;
- ``overdue``: open events past their deadline (``overdue_at`` set, not closed);
- ``compliance``: share of branches whose organizational life this quarter is green
  (``orglife.compliance``), by the area each branch is anchored to;
- ``members``: party members living in the area (by residence, ``Member.area_path``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.cases.models import Event, State
from dangjian.core import tree
from dangjian.members.models import Member
from dangjian.organizations.models import PartyOrg
from dangjian.orglife import compliance

FIGURES = {
    "events_per_1000": _("每千户事件数"),
    "overdue": _("超期事件数"),
    "compliance": _("组织生活达标率"),
    "members": _("党员人数"),
}
UNITS = {"events_per_1000": _("件/千户"), "overdue": _("件"), "compliance": "%", "members": _("人")}
CLOSED_STATES = (State.CANCELLED, State.CLOSED, State.EVALUATED)
OPEN_Q = Q(opened_at__isnull=False, closed_at__isnull=True) & ~Q(state__in=CLOSED_STATES)


def _grouped(
    qs, field: str, node_path: str, child_len: int, when: Q | None = None
) -> dict[str, int]:
    """Rows under ``node_path`` counted per child. ``when`` counts only the rows it matches
    (as a filter on the count, so the statement still walks the path range's index rather
    than, say, a date index over the whole city)."""
    rows = (
        qs.filter(tree.subtree_q(field, node_path))
        .annotate(child=Substr(field, 1, child_len))
        .order_by()
        .values("child")
        .annotate(n=Count("pk", filter=when) if when is not None else Count("pk"))
        .values_list("child", "n")
    )
    return {child: n for child, n in rows if len(child) == child_len}


def _events_opened(user, node_path: str, child_len: int) -> dict[str, int]:
    since = timezone.now() - dt.timedelta(days=365)
    qs = Event.objects.visible_to(user, "cases.view")
    return _grouped(qs, "area_path", node_path, child_len, Q(opened_at__gte=since))


def _overdue(user, node_path: str, child_len: int) -> dict[str, int]:
    qs = Event.objects.visible_to(user, "cases.view").filter(OPEN_Q, overdue_at__isnull=False)
    return _grouped(qs, "area_path", node_path, child_len)


def _members(user, node_path: str, child_len: int) -> dict[str, int]:
    qs = Member.objects.visible_to(user, "members.view").filter(left_on__isnull=True)
    return _grouped(qs, "area_path", node_path, child_len)


def _compliance(user, node_path: str, child_len: int) -> dict[str, tuple[int, int]]:
    """(green, branches) per child."""
    anchored = (
        PartyOrg.objects.visible_to(user, "orglife.view")
        .filter(tree.subtree_q("area_path", node_path), kind__in=compliance.BRANCH_KINDS)
        .order_by()
    )
    area_of = dict(anchored.values_list("pk", "area_path"))
    if not area_of:
        return {}
    paths = list(anchored.values_list("path", flat=True))
    root = min(paths, key=len)
    while root and not all(p.startswith(root) for p in paths):
        root = root[: -tree.STEP_WIDTH]
    today = timezone.localdate()
    span = compliance.parse_period(None, today)
    out: dict[str, list[int]] = {}
    for row in compliance.evaluate(root, span, today, user=user):
        path = area_of.get(row["org_id"])
        if path is None or len(path) < child_len:
            continue
        tally = out.setdefault(path[:child_len], [0, 0])
        tally[0] += row["colour"] == "green"
        tally[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def figure_by_child(user, figure: str, node_path: str, children: list[dict]) -> dict[str, dict]:
    """``{child path: {"value": number | None, ...}}`` for ``figure`` over ``children``
    (dicts with ``path`` and ``households``)."""
    if not children:
        return {}
    child_len = len(children[0]["path"])
    out: dict[str, dict] = {}
    if figure == "events_per_1000":
        counts = _events_opened(user, node_path, child_len)
        for c in children:
            n = counts.get(c["path"], 0)
            per = round(n * 1000 / c["households"], 2) if c["households"] else None
            out[c["path"]] = {"value": per, "events": n}
    elif figure == "compliance":
        tallies = _compliance(user, node_path, child_len)
        for c in children:
            green, total = tallies.get(c["path"], (0, 0))
            rate = round(green * 100 / total, 1) if total else None
            out[c["path"]] = {"value": rate, "green": green, "branches": total}
    else:
        counts = (_overdue if figure == "overdue" else _members)(user, node_path, child_len)
        for c in children:
            out[c["path"]] = {"value": counts.get(c["path"], 0)}
    return out
