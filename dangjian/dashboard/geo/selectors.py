"""Reads of the one map (全市一张图): a node's child polygons with a figure, the open events
with coordinates, the stations layer, and a grid's card. Each takes the acting user; areas are
read through ``visible_to(user, "dashboard.view")`` (out of reach, or above the grant: 404), the
figures through each module's own view action.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import Grant
from dangjian.cases.models import Event
from dangjian.core import scope, tree
from dangjian.core.choices import label
from dangjian.core.errors import field_error
from dangjian.core.textmask import mask_text
from dangjian.dashboard.geo import shapes
from dangjian.dashboard.geo.figures import FIGURES, OPEN_Q, UNITS, figure_by_child
from dangjian.members.models import Member
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.territory.models import Area, AreaKind

VIEW = "dashboard.view"
AREA_FIELDS = ("pk", "path", "name", "kind", "level", "parent_id", "households", "updated_at")


def _bad(field: str, message: str) -> ValidationError:
    return field_error(field, message, code="invalid")


def map_node(user, node: int | None) -> Area:
    """The node asked for (404 when out of reach), else the user's topmost visible area."""
    qs = Area.objects.defer("boundary")
    if node is not None:
        return scope.get_visible(qs, user, VIEW, pk=node)
    top = qs.topmost_visible_to(user, VIEW).order_by("path").first()
    if top is None:
        raise scope.Forbidden(_("您没有查看一张图的权限"))
    return top


def _check_figure(figure: str) -> str:
    if figure not in FIGURES:
        raise _bad(
            "figure",
            _("指标应为%(codes)s之一") % {"codes": "、".join(FIGURES)},
        )
    return figure


def _check_zoom(zoom: int | None, default: int) -> int:
    if zoom is None:
        return min(max(default, shapes.MIN_ZOOM), shapes.MAX_ZOOM)
    if not shapes.MIN_ZOOM <= zoom <= shapes.MAX_ZOOM:
        raise _bad(
            "zoom",
            _("缩放级别应在%(lo)d到%(hi)d之间") % {"lo": shapes.MIN_ZOOM, "hi": shapes.MAX_ZOOM},
        )
    return zoom


def _geometries(rows: list[dict], level: int) -> dict[int, dict | None]:
    """Simplified geometry per area id: from the cache, the missing boundaries read in one
    statement."""
    out: dict[int, dict | None] = {}
    missing = {}
    for r in rows:
        key = (r["pk"], r["updated_at"], level)
        found, geometry = shapes.cached(key)
        if found:
            out[r["pk"]] = geometry
        else:
            missing[r["pk"]] = key
    if missing:
        for pk, boundary in Area.objects.filter(pk__in=list(missing)).values_list("pk", "boundary"):
            out[pk] = shapes.remember(missing[pk], boundary)
    return out


def _node_ref(a) -> dict:
    return {"id": a.pk, "name": a.name, "kind": a.kind, "kind_label": label(AreaKind, a.kind)}


def map_collection(
    user, *, node: int | None = None, zoom: int | None = None, figure: str = "events_per_1000"
) -> dict:
    """A GeoJSON FeatureCollection of ``node``'s children (a grid: the grid itself), each
    feature's properties carrying the figure, plus the node, its visible parent and the
    figure's range as foreign members."""
    figure = _check_figure(figure)
    area = map_node(user, node)
    children_qs = (
        Area.objects.visible_to(user, VIEW)
        .filter(parent_id=area.pk, closed_on__isnull=True)
        .exclude(kind=AreaKind.UNIT)
        .order_by("path")
    )
    rows = list(children_qs.values(*AREA_FIELDS))
    leaf = not rows
    if leaf:  # a grid (or an area without children): the node itself
        rows = [{f: getattr(area, "pk" if f == "pk" else f) for f in AREA_FIELDS}]
    level = _check_zoom(zoom, rows[0]["level"])
    geometries = _geometries(rows, level)
    values, computed_at = figure_by_child(user, figure, rows)
    features = []
    for r in rows:
        geometry = geometries.get(r["pk"])
        props = {
            "id": r["pk"],
            "name": r["name"],
            "kind": r["kind"],
            "kind_label": label(AreaKind, r["kind"]),
            "households": r["households"],
            "drill": r["kind"] != AreaKind.GRID,
            **values.get(r["path"], {"value": None}),
        }
        features.append(
            {"type": "Feature", "id": r["pk"], "geometry": geometry, "properties": props}
        )
    shown = [f["properties"]["value"] for f in features if f["properties"]["value"] is not None]
    parent = None
    if area.parent_id:
        up = (
            Area.objects.visible_to(user, VIEW)
            .filter(pk=area.parent_id)
            .only("pk", "name", "kind")
            .first()
        )
        parent = _node_ref(up) if up else None
    return {
        "type": "FeatureCollection",
        "node": {**_node_ref(area), "level": area.level},
        "parent": parent,
        "figure": figure,
        "figure_label": str(FIGURES[figure]),
        "unit": str(UNITS[figure]),
        "zoom": level,
        "range": [min(shown), max(shown)] if shown else [0, 0],
        "computed_at": timezone.localtime(computed_at).isoformat(timespec="seconds")
        if computed_at
        else None,
        "features": features,
    }


def open_events(user, *, node: int | None = None):
    """Open events with coordinates under ``node`` (newest first), for the events layer."""
    area = map_node(user, node)
    return (
        Event.objects.visible_to(user, "cases.view")
        .filter(tree.subtree_q("area_path", area.path), OPEN_Q)
        .filter(lng__isnull=False, lat__isnull=False)
        .select_related("event_class", "grid")
        .only(
            "pk",
            "description",
            "lng",
            "lat",
            "state",
            "overdue_at",
            "opened_at",
            "event_class__name",
            "grid__name",
        )
        .order_by("-opened_at", "-pk")
    )


def stations(user, *, node: int | None = None) -> list[dict]:
    """The stations layer (time-bank service stations). The hook for the time bank: until it
    lands there are none; then read its stations under the node here, through
    ``visible_to(user, "volunteering.view")``, as ``{id, name, lng, lat}``."""
    map_node(user, node)
    return []


def grid_card(user, grid_id: int) -> dict:
    """A grid's card: its workers, its branch, households, members and open events."""
    grid = scope.get_visible(Area.objects.defer("boundary"), user, VIEW, pk=grid_id)
    if grid.kind != AreaKind.GRID:
        raise _bad("id", _("“%(name)s”不是网格") % {"name": grid.name})
    workers = [
        g.user.real_name or g.user.username
        for g in Grant.objects.filter(area_id=grid.pk, role__code="grid_worker")
        .select_related("user")
        .order_by("user_id")
        if g.user.is_active
    ]
    branch = (
        PartyOrg.objects.visible_to(user, "organizations.view")
        .filter(area_id=grid.pk, kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH))
        .only("pk", "name")
        .order_by("path")
        .first()
    )
    members = (
        Member.objects.visible_to(user, "members.view")
        .filter(tree.subtree_q("area_path", grid.path), left_on__isnull=True)
        .count()
    )
    events = (
        Event.objects.visible_to(user, "cases.view")
        .filter(tree.subtree_q("area_path", grid.path), OPEN_Q)
        .select_related("event_class")
        .only(
            "pk",
            "description",
            "lng",
            "lat",
            "state",
            "overdue_at",
            "opened_at",
            "event_class__name",
        )
        .order_by("-opened_at", "-pk")
    )
    open_count = events.count()
    latest = list(events[:5])
    return {
        "id": grid.pk,
        "name": grid.name,
        "workers": workers,
        "branch": {"id": branch.pk, "name": branch.name} if branch else None,
        "households": grid.households,
        "population": grid.population,
        "members": members,
        "open_events": open_count,
        "overdue_events": events.filter(overdue_at__isnull=False).count(),
        "events": [event_ref(e) for e in latest],
        "as_of": timezone.localtime().isoformat(timespec="seconds"),
    }


def event_ref(e: Event) -> dict:
    return {
        "id": e.pk,
        "description": mask_text((e.description or "")[:60]),
        "grid_name": e.grid.name if "grid" in e._state.fields_cache else "",
        "lng": e.lng,
        "lat": e.lat,
        "opened_at": timezone.localtime(e.opened_at).isoformat(timespec="seconds")
        if e.opened_at
        else None,
        "class_name": e.event_class.name if e.event_class_id else "",
        "state": e.state,
        "state_label": e.get_state_display(),
        "overdue": e.overdue_at is not None,
    }
