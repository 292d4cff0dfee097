"""The dashboard under /api/v1/dashboard/: the figures of a node and its children for a month,
and one figure's series. Read from the stored roll-ups; scoped (another node reads 404)."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils import timezone
from ninja import Query, Router

from dangjian.core.api import ERRORS, Schema, paginate
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.dashboard import boards, selectors
from dangjian.dues.selectors import LEVEL_LABELS

router = Router(tags=["一张图"])


class DashFigureOut(Schema):
    code: str
    label: str
    section: str
    kind: str
    unit: str
    value: int | str | None
    ytd: int | str | None
    list_url: str | None


class DashRatioOut(Schema):
    code: str
    label: str
    section: str
    value: str | None


class DashChildOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    computed_at: str | None
    figures: list[DashFigureOut]
    ratios: list[DashRatioOut]


class DashNodeOut(DashChildOut):
    children: list[DashChildOut]


class DashSectionOut(Schema):
    code: str
    label: str


class DashboardOut(Schema):
    period: str
    period_label: str
    sections: list[DashSectionOut]
    items: list[DashNodeOut]


class DashboardParams(Schema):
    node: int | None = None
    period: str | None = None


@router.get("/", response={200: DashboardOut, **ERRORS})
def dashboard(request, params: Query[DashboardParams]):
    """The figures of ``node`` (an area; default: the topmost areas the user sees) for
    ``period`` (``YYYY-MM``, default this month), with each visible child's: stock figures as
    at the month's end, flows of the month with the year to date, ratios, the time they were
    computed and the list behind each figure."""
    # Already in the answer's shape: sent as is (validating ~500 nested figures through the
    # schema cost more than reading them).
    return JsonResponse(selectors.figures(request.auth, _pk(params.node), params.period))


class DashSeriesPoint(Schema):
    period: str
    value: int | str | None


class DashSeriesNode(Schema):
    id: int
    name: str
    kind: str


class DashSeriesOut(Schema):
    figure: str
    label: str
    node: DashSeriesNode
    items: list[DashSeriesPoint]


class DashSeriesParams(Schema):
    figure: str
    node: int
    months: int = 12
    period: str | None = None


@router.get("/series/", response={200: DashSeriesOut, **ERRORS})
def series(request, params: Query[DashSeriesParams]):
    """One figure (or ratio) of ``node`` month by month: ``months`` (1-36, default 12) to
    ``period`` (default this month)."""
    return selectors.series(
        request.auth, _pk(params.node), params.figure, params.months, params.period
    )


# --- the lists behind the compliance and arrears figures, read from stored rows ------------


class DashBranchOut(Schema):
    org_id: int
    org_name: str
    colour: str
    colour_label: str
    done: int
    due: int
    missed: int
    missing: list[dict]
    full_members: int
    attendance_rate: str | None
    rating_avg: str | None
    ratings: int


class DashColourTotals(Schema):
    green: int
    amber: int
    red: int


class DashBoardOut(Schema):
    period: str
    period_label: str
    computed_at: str | None
    totals: DashColourTotals
    items: list[DashBranchOut]
    count: int


class DashBoardParams(Schema):
    node: int | None = None
    org: int | None = None
    period: str | None = None
    colour: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("/compliance/", response={200: DashBoardOut, **ERRORS})
def compliance_board(request, params: Query[DashBoardParams]):
    """The organizational-life compliance board from the roll-ups: each branch (under an area
    ``node`` or an ``org``) with its colour for the quarter of ``period`` (``YYYY-MM``) as at
    that month's end, the colour totals and when it was computed."""
    qs, header = boards.compliance_board(
        request.auth,
        node=_pk(params.node),
        org=_pk(params.org),
        period=params.period,
        colour=params.colour,
    )
    page = paginate(request, qs, lambda b: b.row)
    return {**header, **page}


class DashArrearsOut(Schema):
    id: int
    name: str
    org_id: int
    org_name: str
    level: str
    level_label: str
    streak: int
    streak_months: list[str]
    arrears_months: list[str]
    computed_at: str


class DashArrearsParams(Schema):
    node: int | None = None
    org: int | None = None
    level: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("/arrears/", response={200: page_schema(DashArrearsOut), **ERRORS})
def arrears(request, params: Query[DashArrearsParams]):
    """Members with 3 or more unpaid months in a row (``level=warning``: 3 to 5; ``leave``: 6
    or more) under an area ``node`` or an ``org``, as the last refresh of the roll-ups saw
    them, worst first."""
    qs = boards.arrears(
        request.auth, node=_pk(params.node), org=_pk(params.org), level=params.level
    )
    return paginate(
        request,
        qs,
        lambda a: {
            "id": a.member_id,
            "name": a.name,
            "org_id": a.org_id,
            "org_name": a.org_name,
            "level": a.level,
            "level_label": LEVEL_LABELS.get(a.level, ""),
            "streak": a.streak,
            "streak_months": a.streak_months,
            "arrears_months": a.arrears_months,
            "computed_at": timezone.localtime(a.computed_at).isoformat(),
        },
    )
