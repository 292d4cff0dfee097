"""Mobile pages of the grid event closed loop (/m/cases/): report a problem (a grid worker on
patrol or a resident), see the likely duplicates before submitting, follow one's reports and
rate a closed one.

Thin like the console: ``selectors`` read, ``services`` write (the report and its photos in
one transaction; the rating through the one transition service).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.cases import ratings, selectors, services, sla
from dangjian.cases.flow import EVENT
from dangjian.cases.forms import RateForm, ReportForm, add_service_errors, follow_up_of
from dangjian.cases.models import (
    ACTION_LABELS,
    CLOSED_STATES,
    OPEN_STATES,
    Event,
    SlaStatus,
    State,
)
from dangjian.cases.reporter_view import public_note
from dangjian.core import tree, workflow
from dangjian.core.choices import label
from dangjian.core.errors import Conflict
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.core.textmask import mask_text
from dangjian.territory.models import Area
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

MAX_AREAS = 200
GRID_LEVEL = selectors.GRID_LEVEL


def _require_reporter(user) -> None:
    if selectors.reporting_reach(user).empty and not selectors.reporting_reach(user).homeless:
        raise Forbidden("您没有上报事件的权限")


MAX_MAP_GRIDS = 50


def report_areas(user) -> tuple[list[tuple[int, str]], dict]:
    """The grids and units the user may report in (a grid worker's grid and its units; a
    resident's home grid), and for the map: each option's grid boundary (bounding box and
    polygon rings), keyed by the option's id ("" for the default, the first grid)."""
    reach = selectors.reporting_reach(user)
    q = reach.q("path")
    if q is None:
        return [], {}
    rows = list(
        Area.objects.filter(q, level__gte=GRID_LEVEL)
        .order_by("path")
        .values_list("pk", "name", "level", "path")[:MAX_AREAS]
    )
    options = [
        (pk, ("\u3000" if level > GRID_LEVEL else "") + name) for pk, name, level, _p in rows
    ]
    grid_paths = [path for _pk, _n, level, path in rows if level == GRID_LEVEL][:MAX_MAP_GRIDS]
    shapes = {}
    for g in Area.objects.filter(path__in=grid_paths, min_lng__isnull=False).values(
        "path", "name", "boundary", "min_lng", "max_lng", "min_lat", "max_lat"
    ):
        boundary = g["boundary"] or {}
        if boundary.get("type") == "Polygon":
            rings = [boundary.get("coordinates") or []]
        elif boundary.get("type") == "MultiPolygon":
            rings = boundary.get("coordinates") or []
        else:
            rings = []
        shapes[g["path"]] = {
            "name": g["name"],
            "bbox": [g["min_lng"], g["min_lat"], g["max_lng"], g["max_lat"]],
            "polygons": rings,
        }
    by_option = {}
    for pk, _n, _level, path in rows:
        grid = next((gp for gp in shapes if tree.is_within(path, gp)), None)
        if grid:
            by_option[str(pk)] = shapes[grid]
    first = next((shapes[gp] for gp in grid_paths if gp in shapes), None)
    if reach.home_grid_path in shapes:
        first = shapes[reach.home_grid_path]
    if first:
        by_option[""] = first
    return options, by_option


@console_view
@require_http_methods(["GET", "POST"])
def report(request):
    user = request.user
    _require_reporter(user)
    areas, shapes = report_areas(user)
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, areas=areas)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    event = services.event_create(
                        actor=user,
                        area=Area(pk=data["area"]) if data.get("area") else None,
                        description=data.get("description") or "",
                        place=data.get("place") or "",
                        lng=data.get("lng"),
                        lat=data.get("lat"),
                        class_code=data.get("class_code") or "",
                        anonymous=bool(data.get("anonymous")),
                        ask_class=True,
                    )
                    if data.get("photos"):
                        services.event_attachments_add(
                            actor=user, event=event, uploads=data["photos"]
                        )
            except ValidationError as exc:
                add_service_errors(
                    form, exc, {"area_id": "area", "file": "photos", "location": "lng"}
                )
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"上报成功，事件编号{event.pk}")
                return redirect(reverse("portal:cases:detail", args=[event.pk]))
        status = 422
    else:
        form = ReportForm(areas=areas)
        status = 200
    return render(
        request,
        "portal/cases/report.html",
        {
            "form": form,
            "areas": areas,
            "shapes": shapes,
            "is_resident": bool(selectors.reporting_reach(user).home_grid_path),
        },
        status=status,
    )


@console_view
@require_POST
def report_check(request):
    """Before submitting (htmx): the suggested class and the likely duplicates in the grid."""
    user = request.user
    area = request.POST.get("area") or ""
    try:
        area_pk = _pk(int(area)) if area.strip() else None
    except ValueError:
        area_pk = None
    try:
        found = selectors.draft_check(
            user,
            area_pk=area_pk,
            description=(request.POST.get("description") or "")[:1000],
            class_code=request.POST.get("class_code") or "",
        )
    except ValidationError as exc:
        return render(
            request, "portal/cases/_check.html", {"error": "；".join(exc.messages)}, status=200
        )
    duplicates = [
        {
            "event": e,
            "similarity": s,
            "description": mask_text(e.description[:100]),
        }
        for e, s in found["duplicates"]
    ]
    return render(
        request,
        "portal/cases/_check.html",
        {
            "suggestion": found["suggestion"],
            "duplicates": duplicates,
            # Too unsure to file: the reporter chooses (unless they already did).
            "ask_class": not found["suggestion"].confident and not request.POST.get("class_code"),
        },
    )


@console_view
@require_POST
def me_too(request, event_id: int):
    try:
        event = services.me_too_add(actor=request.user, event=Event(pk=_pk(event_id)))
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(reverse("portal:cases:report"))
    messages.success(request, f"已附议，共{event.me_too_count}人遇到同样的问题")
    return redirect(reverse("portal:cases:mine"))


@console_view
@require_GET
def mine(request):
    user = request.user
    _require_reporter(user)
    qs = selectors.event_list(user, mine=True)
    page = paginate(request, qs, 20)
    for e in page.object_list:
        e.closed = e.state in CLOSED_STATES
    return render(request, "portal/cases/mine.html", {"page": page, "rows": page.object_list})


def _detail(request, event: Event, rate_form=None, status=200):
    user = request.user
    steps = list(event.steps.all())
    for s in steps:
        s.action_label = ACTION_LABELS.get(s.action, s.action)
        # The phone shows everyone the reporter's view: the public notes only.
        s.public_note = public_note(s)
    photos = selectors.attachment_list(user, event)
    may_rate = workflow.may(EVENT, user, event, "evaluate")
    mine = event.reporter_id == user.pk
    return render(
        request,
        "portal/cases/detail.html",
        {
            "event": event,
            "state_label": label(State, event.state),
            "sla_label": label(SlaStatus, sla.status(event, timezone.now())),
            "steps": steps,
            "photos": photos,
            "mine": mine,
            "reporter_name": (
                services.ANONYMOUS_NAME if event.anonymous and not mine else event.reporter_name
            ),
            "may_rate": may_rate,
            "rate_by_call": may_rate and not ratings.rates_own_report(user, event),
            "rate_form": rate_form or RateForm(),
        },
        status=status,
    )


@console_view
@require_GET
def detail(request, event_id: int):
    return _detail(request, selectors.event_get(request.user, _pk(event_id)))


@console_view
@require_POST
def rate(request, event_id: int):
    """A rating of 1 to 5 on a closed report: 4–5 satisfied, 3 basically satisfied, 1–2
    dissatisfied (the three grades of the metrics); the stars are kept in the step's note.
    The reporter rates their own report; staff add the follow-up call (``cases.ratings``)."""
    user = request.user
    event = selectors.event_get(user, _pk(event_id))
    form = RateForm(request.POST)
    if not form.is_valid():
        return _detail(request, event, form, status=422)
    stars = form.cleaned_data["rating"]
    note = f"评分{stars}分" + (
        f"：{form.cleaned_data['note']}" if form.cleaned_data.get("note") else ""
    )
    try:
        services.event_transition(
            actor=user,
            event=event,
            action="evaluate",
            rating=RateForm.STARS_TO_RATING[stars],
            note=note[:500],
            follow_up=follow_up_of(form.cleaned_data),
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _detail(request, event, form, status=422)
    except Conflict as exc:
        form.add_error(None, exc.message)
        return _detail(request, event, form, status=409)
    messages.success(request, "感谢您的评价")
    return redirect(reverse("portal:cases:detail", args=[event.pk]))


# --- household visits (驻点直联) from the phone ------------------------------------------------


@console_view
@require_GET
def visits_mine(request):
    """The visits the user went on (or recorded), newest first, and a link to record one."""
    from django.db.models import Q

    from dangjian.cases.visits import services as visits

    user = request.user
    if not user.can("cases.visit"):
        raise Forbidden("您没有登记走访的权限")
    qs = (
        visits.record_list(user)
        .filter(Q(visitor_id=user.pk) | Q(pk__in=_visited_by(user)))
        .distinct()
    )
    today = timezone.localdate()
    todays = list(qs.filter(visited_on=today))
    page = paginate(request, qs.exclude(visited_on=today), 20)
    return render(
        request,
        "portal/cases/visits.html",
        {"page": page, "rows": page.object_list, "todays": todays, "today": today},
    )


@console_view
@require_GET
def grid_events(request):
    """The grid worker's grid on the phone (issue 18): the events not yet closed in the areas
    they reach, the most pressing first (past the deadline, then the nearest deadline), each
    opening its page; the reporters' own reports are 我的诉求."""
    from django.db.models import F

    user = request.user
    if not user.can("cases.visit"):
        raise Forbidden("您没有查看网格事件的权限")
    qs = selectors.event_list(user, state=",".join(sorted(OPEN_STATES))).order_by(
        F("deadline").asc(nulls_last=True), "-reported_at", "-id"
    )
    page = paginate(request, qs, 20)
    now = timezone.now()
    for e in page.object_list:
        e.sla_label = label(SlaStatus, sla.status(e, now))
        e.overdue = bool(e.deadline and e.deadline < now)
    return render(
        request,
        "portal/cases/grid.html",
        {"page": page, "rows": page.object_list, "total": page.paginator.count},
    )


def _visited_by(user):
    from dangjian.cases.models import VisitRecord

    return VisitRecord.visitors.through.objects.filter(user_id=user.pk).values("visitrecord_id")


@console_view
@require_http_methods(["GET", "POST"])
def visit_new(request):
    """Record a visit from the phone: the same form and service as the console."""
    from dangjian.cases.visits.views import record_visit

    out = record_visit(request, done_url=reverse("portal:cases:visits"))
    if not isinstance(out, tuple):
        return out
    _form, context, status = out
    return render(request, "portal/cases/visit_new.html", context, status=status)
