"""Member and cadre statistics under /api/v1/stats/."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from dangjian.core.api import ERRORS, Schema
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.members import selectors

stats_router = Router(tags=["统计"])


# --- statistics --------------------------------------------------------------------------------------


class CountOut(Schema):
    code: str
    label: str
    count: int


class NodeOut(Schema):
    type: str
    id: int
    name: str


class StatsOut(Schema):
    node: NodeOut | None
    as_of: dt.date
    total: int
    by_status: list[CountOut]
    by_gender: list[CountOut]
    by_ethnicity: list[CountOut]
    by_age_band: list[CountOut]
    by_education: list[CountOut]
    by_occupation: list[CountOut]
    by_category: list[CountOut]
    by_join_period: list[CountOut]


@stats_router.get("/members", response={200: StatsOut, **ERRORS})
def member_stats(request, org: int | None = None, area: int | None = None):
    """Counts for a node of either tree (``org=ID`` or ``area=ID``; neither: everything the
    user may see)."""
    return selectors.member_stats(request.auth, org=_pk(org), area=_pk(area))
