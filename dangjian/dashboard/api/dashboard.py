"""The dashboard under /api/v1/dashboard/: the figures of a node and its children for a month,
and one figure's series. Read from the stored roll-ups; scoped (another node reads 404)."""

from __future__ import annotations

from ninja import Query, Router, Schema

from dangjian.core.api import ERRORS
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.dashboard import selectors

router = Router(tags=["一张图"])


class FigureOut(Schema):
    code: str
    label: str
    section: str
    kind: str
    unit: str
    value: int | str | None
    ytd: int | str | None
    list_url: str | None


class RatioOut(Schema):
    code: str
    label: str
    section: str
    value: str | None


class ChildOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    computed_at: str | None
    figures: list[FigureOut]
    ratios: list[RatioOut]


class NodeOut(ChildOut):
    children: list[ChildOut]


class SectionOut(Schema):
    code: str
    label: str


class DashboardOut(Schema):
    period: str
    period_label: str
    sections: list[SectionOut]
    items: list[NodeOut]


class DashboardParams(Schema):
    node: int | None = None
    period: str | None = None


@router.get("/", response={200: DashboardOut, **ERRORS})
def dashboard(request, params: Query[DashboardParams]):
    """The figures of ``node`` (an area; default: the topmost areas the user sees) for
    ``period`` (``YYYY-MM``, default this month), with each visible child's: stock figures as
    at the month's end, flows of the month with the year to date, ratios, the time they were
    computed and the list behind each figure."""
    return selectors.figures(request.auth, _pk(params.node), params.period)


class SeriesPoint(Schema):
    period: str
    value: int | str | None


class SeriesNode(Schema):
    id: int
    name: str
    kind: str


class SeriesOut(Schema):
    figure: str
    label: str
    node: SeriesNode
    items: list[SeriesPoint]


class SeriesParams(Schema):
    figure: str
    node: int
    months: int = 12
    period: str | None = None


@router.get("/series/", response={200: SeriesOut, **ERRORS})
def series(request, params: Query[SeriesParams]):
    """One figure (or ratio) of ``node`` month by month: ``months`` (1-36, default 12) to
    ``period`` (default this month)."""
    return selectors.series(
        request.auth, _pk(params.node), params.figure, params.months, params.period
    )
