"""Console intake on a caller's behalf (代群众登记), included by ``cases.urls`` under ``new/``:
township (street) or community staff enter a report taken by phone, from a visitor or from
the 12345 hotline. Thin: the report goes through ``services.event_create`` (the one create
path, with the caller's name, phone and the source), the suggestion and the likely
duplicates through ``selectors.draft_check`` like the mobile report's check.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import labels
from dangjian.cases import selectors, services, sla
from dangjian.cases.flow import resolve_department
from dangjian.cases.forms import IntakeForm, add_service_errors
from dangjian.cases.models import Event, EventClass
from dangjian.core import scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.core.textmask import mask_text
from dangjian.territory.models import Area
from dangjian.web.decorators import console_view

MAX_GRIDS = 500
MAX_UNITS = 3000
OUTSIDE = "所选网格/单元不存在或不在您的管辖范围内"


def _require_intake(user) -> None:
    if not user.can("cases.dispatch") or not user.can("cases.create"):
        raise Forbidden("您没有代群众登记事件的权限")


def _reach_q(user, field: str = "path"):
    """Where ``user`` may take a caller's report: their ``cases.dispatch`` reach within
    their reporting reach (None: nowhere)."""
    paths = scope.reach_of(user, "cases.dispatch").area_paths
    reporting = selectors.reporting_reach(user)
    paths = [p for p in paths if reporting.covers(p)]
    return scope.subtrees_q(field, paths)


def intake_places(user) -> tuple[list[tuple[int, str]], list[tuple[int, str, int]]]:
    """The grids the user may take reports in, and their units as (pk, name, grid pk)."""
    q = _reach_q(user)
    if q is None:
        return [], []
    grids = list(
        Area.objects.filter(q, level=selectors.GRID_LEVEL)
        .order_by("path")
        .values_list("pk", "name", "path")[:MAX_GRIDS]
    )
    by_path = {path: pk for pk, _n, path in grids}
    units = []
    for pk, name, path in (
        Area.objects.filter(q, level__gt=selectors.GRID_LEVEL)
        .order_by("path")
        .values_list("pk", "name", "path")[:MAX_UNITS]
    ):
        grid = next((by_path[a] for a in tree.ancestors_of(path) if a in by_path), None)
        if grid is not None:
            units.append((pk, name, grid))
    return [(pk, name) for pk, name, _p in grids], units


def _place(user, form) -> int | None:
    """The unit (when one is given, within the chosen grid) or the grid; a field error and
    None when the unit lies outside the grid or the user's reach."""
    data = form.cleaned_data
    grid_pk, unit_pk = data.get("grid"), data.get("unit")
    if not unit_pk:
        return grid_pk
    q = _reach_q(user)
    rows = dict(
        Area.objects.filter(q, pk__in=[grid_pk, unit_pk]).values_list("pk", "path")
        if q is not None
        else []
    )
    if unit_pk not in rows:
        form.add_error("unit", OUTSIDE)
        return None
    if grid_pk in rows and not tree.is_within(rows[unit_pk], rows[grid_pk]):
        form.add_error("unit", "所选单元不在所选网格内")
        return None
    return unit_pk


@console_view
@require_http_methods(["GET", "POST"])
def intake(request):
    user = request.user
    _require_intake(user)
    grids, units = intake_places(user)
    status = 200
    if request.method == "POST":
        form = IntakeForm(request.POST, grids=grids, units=units)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            area_pk = _place(user, form)
            if area_pk is not None:
                try:
                    event = services.event_create(
                        actor=user,
                        area=Area(pk=area_pk),
                        description=data.get("description") or "",
                        place=data.get("place") or "",
                        class_code=data.get("class_code") or "",
                        anonymous=bool(data.get("anonymous")),
                        reporter_phone=data.get("reporter_phone") or "",
                        source=data["source"],
                        reporter_name=data.get("reporter_name") or "",
                        ask_class=True,
                    )
                except Http404:
                    form.add_error("unit" if data.get("unit") else "grid", OUTSIDE)
                except ValidationError as exc:
                    add_service_errors(
                        form, exc, {"area_id": "unit" if data.get("unit") else "grid"}
                    )
                except Conflict as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, f"已登记，事件编号{event.pk}，请及时立案派遣")
                    return redirect(reverse("console:cases:detail", args=[event.pk]))
    else:
        form = IntakeForm(grids=grids, units=units)
    return render(
        request,
        "cases/intake.html",
        {"form": form, "grids": grids, "can_intake": True},
        status=status,
    )


def _department(area: Area, department_name: str):
    """The department a class's default name resolves to for an event in ``area``."""
    chain = services._chain(area)
    dispatch = services.dispatch_area_of(chain)
    probe = Event(area_path=area.path, dispatch_area_path=dispatch["path"])
    return resolve_department(probe, department_name)


@console_view
@require_POST
def intake_check(request):
    """Before saving (htmx): the class and department suggested from the text, and the
    likely duplicates open in the grid, so the caller can be told it is already in hand."""
    user = request.user
    _require_intake(user)
    raw = (request.POST.get("unit") or "").strip() or (request.POST.get("grid") or "").strip()
    try:
        area_pk = _pk(int(raw)) if raw else None
    except ValueError:
        area_pk = None
    if area_pk is None:
        return render(request, "cases/_intake_check.html", {"error": "请先选择网格"})
    try:
        found = selectors.draft_check(
            user,
            area_pk=area_pk,
            description=(request.POST.get("description") or "")[:1000],
            class_code=request.POST.get("class_code") or "",
        )
    except ValidationError as exc:
        return render(request, "cases/_intake_check.html", {"error": "；".join(exc.messages)})
    suggestion = found["suggestion"]
    department, limit = None, ""
    if suggestion.code:
        klass = EventClass.objects.filter(pk=suggestion.pk).first()
        name = suggestion.department_name or (klass.department_name if klass else "")
        department = _department(found["area"], name) if name else None
        limit = sla.limit_text(klass.limit_value, klass.limit_unit) if klass else ""
    duplicates = [
        {"event": e, "similarity": s, "description": mask_text(e.description[:100])}
        for e, s in found["duplicates"]
    ]
    return render(
        request,
        "cases/_intake_check.html",
        {
            "suggestion": suggestion,
            "percent": round(suggestion.confidence * 100),
            "department": department,
            "department_label": labels.department_label(department),
            "ask_class": not suggestion.confident and not request.POST.get("class_code"),
            "department_name": suggestion.department_name,
            "limit": limit,
            "duplicates": duplicates,
        },
    )
