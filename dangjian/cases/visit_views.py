"""Console pages of household visits (驻点直联), included by ``cases.urls`` under ``visits/``:
the visit records and the coverage table (households visited / households per village or
community and week), read through ``cases.visits`` like the API."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian.cases import visits
from dangjian.console.decorators import console_view
from dangjian.console.paging import paginate
from dangjian.core.ids import MAX_PK
from dangjian.core.scope import Forbidden
from dangjian.territory.models import Area

PAGE_SIZE = 20
COVERAGE_WEEKS = 4


def _int(value) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if 1 <= n <= MAX_PK else None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@console_view
@require_GET
def visit_list(request):
    user = request.user
    if not user.can("cases.view"):
        raise Forbidden("您没有查看走访记录的权限")
    area_pk = _int(request.GET.get("area"))
    week = _date(request.GET.get("week"))
    error = ""
    area = None
    if request.GET.get("area") and area_pk is None:
        raise Http404("未找到")
    if area_pk is not None:
        area = Area.objects.visible_to(user, "cases.view").only("pk", "name").filter(pk=area_pk)
        area = area.first()
        if area is None:
            raise Http404("未找到")
    if request.GET.get("week") and week is None:
        error = "日期格式应为YYYY-MM-DD"
    try:
        weeks = visits.coverage_weeks(week, COVERAGE_WEEKS)
    except ValidationError as exc:
        error, weeks = "；".join(exc.messages), visits.coverage_weeks(None, COVERAGE_WEEKS)
    records = paginate(request, visits.record_list(user, area=area_pk), PAGE_SIZE)
    villages = paginate(
        request, visits.coverage_villages(user, area=area_pk), PAGE_SIZE, param="vpage"
    )
    coverage = visits.coverage_rows(list(villages.object_list), weeks)
    teams = list(visits.team_list(user, area=area_pk)[:50])
    return render(
        request,
        "cases/visits/list.html",
        {
            "records": records,
            "page": records,
            "villages": villages,
            "coverage": coverage,
            "weeks": weeks,
            "teams": teams,
            "area": area,
            "week": week,
            "error": error,
            "weekdays": visits.WEEKDAYS,
        },
    )
