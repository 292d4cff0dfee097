"""The holiday table: which years hold the official schedule, and entering one."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dangjian.console.context import is_staff_user
from dangjian.console.forms import HolidayYearForm
from dangjian.core import tree, workdays
from dangjian.core.models import Holiday, HolidayYear
from dangjian.core.scope import Forbidden
from dangjian.web.decorators import console_view


def can_set_holidays(user) -> bool:
    """Whose ``territory.manage`` reach includes a root of the area tree (the whole city)."""
    reach = user.reach("territory.manage")
    return any(len(p) == tree.STEP_WIDTH for p in reach.area_paths)


def _schedule_text(year: int) -> str:
    rows = Holiday.objects.filter(
        date__gte=dt.date(year, 1, 1), date__lt=dt.date(year + 1, 1, 1)
    ).order_by("date")
    return "\n".join(
        f"{h.date.isoformat()} {h.name or '-'} {'班' if h.is_workday else '休'}" for h in rows
    )


@console_view
@require_http_methods(["GET", "POST"])
def holidays(request):
    user = request.user
    if not is_staff_user(user):
        raise Forbidden("仅工作人员可查看节假日安排")
    can_edit = can_set_holidays(user)
    form = None
    if request.method == "POST":
        if not can_edit:
            raise Forbidden("只有市级管理员可以录入节假日安排")
        form = HolidayYearForm(request.POST)
        if form.is_valid():
            year = form.cleaned_data["year"]
            try:
                workdays.holiday_year_set(
                    actor=user, year=year, holidays=form.holidays, workdays=form.workdays
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"{year}年节假日安排已保存")
                return redirect("console:holidays")
    elif can_edit:
        initial = {}
        year = request.GET.get("year", "")
        if year.isdigit() and 1949 <= int(year) <= 2100:
            initial = {"year": int(year), "schedule": _schedule_text(int(year))}
        form = HolidayYearForm(initial=initial)

    counts = {
        row["y"]: row
        for row in Holiday.objects.annotate(y=ExtractYear("date"))
        .values("y")
        .annotate(
            off=Count("pk", filter=Q(is_workday=False)), on=Count("pk", filter=Q(is_workday=True))
        )
        .order_by()
    }
    years = [
        {
            "row": y,
            "off": counts.get(y.year, {}).get("off", 0),
            "on": counts.get(y.year, {}).get("on", 0),
        }
        for y in HolidayYear.objects.order_by("-year")
    ]
    this_year = timezone.localdate().year
    missing = workdays.years_without_data([this_year, this_year + 1])
    return render(
        request,
        "console/holidays.html",
        {
            "years": years,
            "missing": [{"year": y, "warning": workdays.fallback_warning(y)} for y in missing],
            "form": form,
            "can_edit": can_edit,
        },
    )
