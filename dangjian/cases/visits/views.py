"""Console pages of household visits (驻点直联), included by ``cases.urls`` under ``visits/``:
the visit records and the coverage table (households visited / households per village or
community and week), read through ``cases.visits`` like the API."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dangjian.cases import tables
from dangjian.cases.forms import VisitForm, add_visit_errors
from dangjian.cases.models import VisitTeam
from dangjian.cases.selectors import GRID_LEVEL
from dangjian.cases.visits import services as visits
from dangjian.core import tree
from dangjian.core.errors import Conflict
from dangjian.core.ids import id_or_none as _int
from dangjian.core.scope import Forbidden
from dangjian.territory.models import Area, Household
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

PAGE_SIZE = 20
COVERAGE_WEEKS = 4
MAX_TEAMS = 100
MAX_HOUSEHOLDS = 500
MAX_AREAS = 500


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@console_view
@L.exportable
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
    listed = L.listing_of(request, tables.VISITS)
    records_qs = listed.order(visits.record_list(user, area=area_pk))
    reach = visits.visit_reach(user)

    def with_doors(rows):
        for r in rows:
            r.door = visits.door_shown(r, reach)
        return rows

    if listed.exporting:
        return listed.export(records_qs, filters={"area": area_pk}, prepare=with_doors)
    records = paginate(request, records_qs, PAGE_SIZE)
    with_doors(records.object_list)
    villages = paginate(
        request, visits.coverage_villages(user, area=area_pk), PAGE_SIZE, param="vpage"
    )
    coverage = visits.coverage_rows(list(villages.object_list), weeks)
    teams = list(visits.team_list(user, area=area_pk)[:50])
    return render(
        request,
        "cases/visits/list.html",
        {
            "listing": listed,
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
            "can_record": user.can("cases.visit"),
        },
    )


# --- recording a visit (console and phone) ----------------------------------------------------


def _recording_team(user, raw) -> VisitTeam | None:
    """The team named by ``raw`` among those ``user`` records visits for: 404 out of sight,
    403 when only visible (the service's answers), None when none was named."""
    pk = _int(raw)
    if raw and pk is None:
        raise Http404("未找到")
    if pk is None:
        return None
    team = (
        visits.teams_of(user, "cases.visit")
        .select_related("area")
        .defer("area__boundary")
        .filter(pk=pk)
        .first()
    )
    if team is None:
        if visits.teams_of(user, "cases.view").filter(pk=pk).exists():
            raise Forbidden("您没有登记走访的权限")
        raise Http404("未找到")
    return team


def visit_choices(user, team: VisitTeam | None) -> dict:
    """The options of the visit form: the user's teams; for the chosen team, the listed
    households and the grids and units of its village the user may visit, and its people."""
    teams = list(
        visits.teams_of(user, "cases.visit")
        .filter(active=True)
        .select_related("area")
        .defer("area__boundary")
        .order_by("area_path", "id")[:MAX_TEAMS]
    )
    out = {
        "teams": [(t.pk, f"{t.area.name}·{t.name}") for t in teams],
        "households": [],
        "areas": [],
        "people": [],
    }
    if team is None:
        return out
    under = tree.subtree_q("area_path", team.area_path)
    out["households"] = [
        (h.pk, f"{h.unit.name} {h.door}")
        for h in Household.objects.visible_to(user, "cases.visit")
        .filter(under)
        .select_related("unit")
        .only("pk", "door", "unit__name")
        .order_by("area_path", "id")[:MAX_HOUSEHOLDS]
    ]
    out["areas"] = [
        (pk, ("\u3000" if level > GRID_LEVEL else "") + name)
        for pk, name, level in Area.objects.visible_to(user, "cases.visit")
        .filter(
            tree.subtree_q("path", team.area_path), level__gte=GRID_LEVEL, closed_on__isnull=True
        )
        .order_by("path")
        .values_list("pk", "name", "level")[:MAX_AREAS]
    ]
    out["people"] = [(u.pk, u.real_name or u.username) for u in visits.team_people(team)]
    return out


def record_visit(request, *, done_url: str):
    """The visit form, shared by the console and the phone: (form, context, status), or a
    redirect to ``done_url`` once the visit is recorded through ``visits.visit_record``."""
    user = request.user
    if not user.can("cases.visit"):
        raise Forbidden("您没有登记走访的权限")
    source = request.POST if request.method == "POST" else request.GET
    team = _recording_team(user, source.get("team"))
    choices = visit_choices(user, team)
    if team is None and len(choices["teams"]) == 1 and request.method == "GET":
        team = _recording_team(user, str(choices["teams"][0][0]))
        choices = visit_choices(user, team)
    if request.method == "POST":
        form = VisitForm(request.POST, **choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = visits.visit_record(
                    actor=user,
                    team=VisitTeam(pk=data["team"]),
                    visited_on=data.get("visited_on"),
                    household=Household(pk=data["household"]) if data.get("household") else None,
                    area=Area(pk=data["area"]) if data.get("area") else None,
                    household_label=data.get("household_label") or "",
                    notes=data.get("notes") or "",
                    requests=form.request_lines(),
                    visitor_ids=data.get("visitors") or [],
                )
            except ValidationError as exc:
                add_visit_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                n = record.events.count()
                messages.success(
                    request,
                    f"已登记{record.household_label}的走访"
                    + (f"，{n}条诉求已转为网格事件" if n else ""),
                )
                return redirect(done_url)
        status = 422
    else:
        initial = {"visited_on": timezone.localdate()}
        if team is not None:
            initial["team"] = team.pk
            if any(pk == user.pk for pk, _n in choices["people"]):
                initial["visitors"] = [user.pk]
        form = VisitForm(initial=initial, **choices)
        status = 200
    return form, {"form": form, "team": team, **choices}, status


@console_view
@require_http_methods(["GET", "POST"])
def visit_new(request):
    from django.urls import reverse

    out = record_visit(request, done_url=reverse("console:cases:visits:list"))
    if not isinstance(out, tuple):
        return out
    _form, context, status = out
    return render(request, "cases/visits/new.html", context, status=status)
