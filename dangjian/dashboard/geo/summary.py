"""The key figures of a node for the big screen, computed live from the modules' rows (each
through its own view action); the dashboard's roll-ups will answer them later."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.cases.models import Event
from dangjian.cases.selectors import event_metrics
from dangjian.core import tree
from dangjian.dashboard.geo.figures import OPEN_Q
from dangjian.dashboard.geo.selectors import map_node
from dangjian.members.models import Member, Status
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area, AreaKind


def _pct(rate) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def key_figures(user, *, node: int | None = None) -> dict:
    area = map_node(user, node)
    sub = tree.subtree_q("area_path", area.path)
    members = (
        Member.objects.visible_to(user, "members.view")
        .filter(tree.subtree_q("org__area_path", area.path), left_on__isnull=True)
        .filter(status__in=(Status.FULL, Status.PROBATIONARY))
        .count()
    )
    orgs = (
        PartyOrg.objects.visible_to(user, "organizations.view")
        .filter(sub, dissolved_on__isnull=True)
        .count()
    )
    grids = (
        Area.objects.visible_to(user, "dashboard.view")
        .filter(tree.subtree_q("path", area.path), kind=AreaKind.GRID, closed_on__isnull=True)
        .count()
    )
    events = Event.objects.visible_to(user, "cases.view").filter(sub, OPEN_Q)
    today = timezone.localdate()
    metrics = event_metrics(user, area=area.pk, date_from=dt.date(today.year, 1, 1), date_to=today)
    totals = metrics["totals"]
    return {
        "node": {"id": area.pk, "name": area.name, "kind": area.kind},
        "members": members,
        "orgs": orgs,
        "grids": grids,
        "households": area.households,
        "open_events": events.count(),
        "overdue_events": events.filter(overdue_at__isnull=False).count(),
        "opened_this_year": totals["opened"],
        "closure_rate": _pct(totals["closure_rate"]),
        "on_time_rate": _pct(totals["on_time_rate"]),
        "satisfaction_rate": _pct(totals["satisfaction_rate"]),
        "as_of": timezone.localtime().isoformat(timespec="seconds"),
    }
