"""The one map under /api/v1/map/: a node's child polygons as GeoJSON coloured by a figure,
the open events and stations layers, a grid's card. Thin: parse, call a selector."""

from __future__ import annotations

from typing import Literal

from ninja import Router

from dangjian.core.api import ERRORS, paginate
from dangjian.core.ids import pk_or_404
from dangjian.dashboard.geo import selectors, summary

router = Router(tags=["一张图"])

Figure = Literal["events_per_1000", "overdue", "compliance", "members"]


def _node(node: int | None) -> int | None:
    return None if node is None else pk_or_404(node)


@router.get("/", response=ERRORS | {200: dict}, summary="区域地图（GeoJSON）")
def map_geojson(
    request, node: int | None = None, zoom: int | None = None, figure: Figure = "events_per_1000"
):
    """The children of ``node`` (default: the user's topmost area) as a GeoJSON
    FeatureCollection, each feature's properties carrying ``value`` for ``figure``; a grid
    answers itself. ``zoom`` (1 city … 6 finest) chooses how far boundaries are simplified
    (default: the children's level)."""
    return selectors.map_collection(request.user, node=_node(node), zoom=zoom, figure=figure)


@router.get("/summary/", response=ERRORS | {200: dict}, summary="区域关键指标")
def map_summary(request, node: int | None = None):
    """The key figures of ``node`` for the big screen: members, organizations, grids,
    households, open and overdue events, this year's events and rates, read from the
    dashboard's roll-ups (``computed_at``: when they were computed; None: never)."""
    return summary.key_figures(request.user, node=_node(node))


@router.get("/events/", response=ERRORS | {200: dict}, summary="地图事件点位")
def map_events(request, node: int | None = None):
    """Open events with coordinates under ``node``, newest first (paginated)."""
    qs = selectors.open_events(request.user, node=_node(node))
    return paginate(request, qs, selectors.event_ref)


@router.get("/stations/", response=ERRORS | {200: dict}, summary="地图服务站点")
def map_stations(request, node: int | None = None):
    """Service stations under ``node`` (the time bank's; none until it lands)."""
    items = selectors.stations(request.user, node=_node(node))
    return {"items": items, "count": len(items)}


@router.get("/grids/{grid_id}/card", response=ERRORS | {200: dict}, summary="网格信息卡")
def grid_card(request, grid_id: int):
    """A grid's worker(s), branch, households, members and open events."""
    return selectors.grid_card(request.user, pk_or_404(grid_id))
