"""Console pages of the time bank, included by the console under ``timebank/``: dispatch
(orders waiting, each order's moves), volunteer teams, stations and their riders, service hours.

Thin: reads through ``selectors`` (so through ``visible_to``), writes through ``services``;
out of scope reads as 404; a refused write shows the service's Chinese message."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts.models import User
from dangjian.core import workflow
from dangjian.core.errors import Conflict
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.members.models import CommunityCheckin
from dangjian.territory.models import Area
from dangjian.timebank import flow, riders, selectors, services, tables
from dangjian.timebank.models import (
    Order,
    OrderState,
    Rider,
    StationKind,
    TeamKind,
    VolunteerTeam,
)
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate


def _errors(request, exc) -> None:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for msgs in exc.message_dict.values():
                for m in msgs:
                    messages.error(request, m)
        else:
            for m in exc.messages:
                messages.error(request, m)
    else:
        messages.error(request, exc.message)


@console_view
@L.exportable
def orders(request):
    state = request.GET.get("state", "")
    if state not in OrderState.values:
        state = ""
    listed = L.listing_of(request, tables.ORDERS)
    qs = listed.order(selectors.orders(request.user, state=state))
    if listed.exporting:
        return listed.export(qs, filters={"state": state})
    page = paginate(request, qs, 30)
    ctx = {"page": page, "rows": page.object_list, "state": state, "states": OrderState.choices}
    return render(request, "timebank/orders.html", {**ctx, "listing": listed})


@console_view
def order_page(request, order_id: int):
    o = selectors.order_detail(request.user, _pk(order_id))
    teams = selectors.teams(request.user, community_id=o.community_id).filter(active=True)
    return render(
        request,
        "timebank/order.html",
        {
            "o": o,
            "actions": workflow.allowed_actions(flow.ORDER, request.user, o),
            "teams": list(teams[:100]),
            "labels": flow.ACTION_LABELS,
        },
    )


@console_view
@require_POST
def order_act(request, order_id: int):
    action = request.POST.get("action", "")
    fields: dict = {}
    if action == "dispatch":
        team = request.POST.get("team", "")
        fields = {"team_id": int(team) if team.isdigit() else (team or None)}
    if action == "no_show":
        pid = request.POST.get("participation_id", "")
        fields = {"participation_id": int(pid) if pid.isdigit() else pid}
    try:
        services.order_transition(
            actor=request.user,
            order=Order(pk=_pk(order_id)),
            action=action,
            note=request.POST.get("note", ""),
            **fields,
        )
    except (Conflict, Forbidden, ValidationError) as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"已{flow.ACTION_LABELS.get(action, action)}")
    return redirect("console:timebank:order", order_id=order_id)


@console_view
@require_http_methods(["GET", "POST"])
def teams(request):
    listed = L.listing_of(request, tables.TEAMS)
    if listed.exporting:  # the export form's POST, open to whoever sees the list
        return listed.export(listed.order(selectors.teams(request.user)))
    if request.method == "POST":
        community = request.POST.get("community", "")
        try:
            t = services.team_create(
                actor=request.user,
                community=Area(pk=_pk(int(community))) if community.isdigit() else None,
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""),
                description=request.POST.get("description", ""),
            )
        except (Forbidden, ValidationError) as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"已创建{t.name}")
            return redirect("console:timebank:team", team_id=t.pk)
    page = paginate(request, listed.order(selectors.teams(request.user)), 30)
    return render(
        request,
        "timebank/teams.html",
        {
            "listing": listed,
            "page": page,
            "rows": page.object_list,
            "kinds": TeamKind.choices,
            "communities": selectors.communities_managed(request.user),
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def team_page(request, team_id: int):
    t = selectors.team_detail(request.user, _pk(team_id))
    if request.method == "POST":
        uid = request.POST.get("user", "")
        try:
            services.team_member_add(
                actor=request.user,
                team=VolunteerTeam(pk=t.pk),
                user=User(pk=_pk(int(uid))) if uid.isdigit() else None,
                role=request.POST.get("role", "member"),
            )
        except (Forbidden, ValidationError) as exc:
            _errors(request, exc)
        else:
            messages.success(request, "已添加队员")
        return redirect("console:timebank:team", team_id=t.pk)
    taken = {m.user_id for m in t.memberships.all()}
    candidates = [
        c
        for c in CommunityCheckin.objects.visible_to(request.user, "members.checkin_view")
        .filter(community_id=t.community_id, member__user__isnull=False)
        .select_related("member")[:200]
        if c.member.user_id not in taken
    ]
    return render(request, "timebank/team.html", {"t": t, "candidates": candidates})


@console_view
@require_http_methods(["GET", "POST"])
def stations(request):
    listed = L.listing_of(request, tables.STATIONS)
    if listed.exporting:  # the export form's POST, open to whoever sees the list
        return listed.export(listed.order(selectors.stations(request.user)))
    if request.method == "POST":
        area = request.POST.get("area", "")
        try:
            riders.station_create(
                actor=request.user,
                area=Area(pk=_pk(int(area))) if area.isdigit() else None,
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""),
                location=request.POST.get("location", ""),
                services=request.POST.get("services", ""),
                opening_hours=request.POST.get("opening_hours", ""),
            )
        except (Forbidden, ValidationError) as exc:
            _errors(request, exc)
        else:
            messages.success(request, "已登记驿站")
            return redirect("console:timebank:stations")
    page = paginate(request, listed.order(selectors.stations(request.user)), 30)
    rider_page = paginate(request, selectors.riders(request.user), 30, param="rpage")
    return render(
        request,
        "timebank/stations.html",
        {
            "listing": listed,
            "page": page,
            "rows": page.object_list,
            "riders": rider_page.object_list,
            "rider_page": rider_page,
            "kinds": StationKind.choices,
            "communities": selectors.communities_managed(request.user),
        },
    )


@console_view
@require_POST
def rider_assistant(request, rider_id: int):
    try:
        riders.rider_assistant_set(
            actor=request.user,
            rider=Rider(pk=_pk(rider_id)),
            on=request.POST.get("on") == "1",
        )
    except (Forbidden, ValidationError) as exc:
        _errors(request, exc)
    else:
        messages.success(request, "已更新兼职网格员")
    if request.POST.get("next") == "riders":
        return redirect("console:timebank:riders")
    return redirect("console:timebank:stations")


@console_view
@L.exportable
def rider_list(request):
    """The couriers, riders and drivers registered at the stations in scope (a station's
    own with ``?station=``): sortable; the export form's POST writes them, phones masked."""
    raw = request.GET.get("station", "")
    station_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
    listed = L.listing_of(request, tables.RIDERS)
    qs = listed.order(selectors.riders(request.user, station_id=station_id))
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, 30)
    return render(
        request,
        "timebank/riders.html",
        {"listing": listed, "page": page, "rows": page.object_list, "station": raw},
    )


@console_view
@L.exportable
def hours(request):
    """Confirmed hours grouped ``by`` as the page shows them (sortable in Python: the rows
    are computed); the export form's POST writes them with the grouping, hours as numbers."""
    by = request.GET.get("by", "community")
    if by not in selectors.GROUPS:
        by = "community"
    view = "org" if request.GET.get("view") == "org" else "area"
    listed = L.listing_of(request, tables.HOURS)
    rows = listed.order(selectors.hours_summary(request.user, by=by, org_view=view == "org"))
    if listed.exporting:
        return listed.export(rows, filters={"by": by, "view": view})
    return render(
        request,
        "timebank/hours.html",
        {"rows": rows, "by": by, "view": view, "listing": listed},
    )
