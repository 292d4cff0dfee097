"""Mobile pages of the time bank (/m/timebank/): a resident orders a service and confirms it;
a member sees the orders open to them, accepts, checks in and out (with the phone's position
when it gives one); everyone sees their own orders and their time account (my hours).

Thin: ``timebank.selectors`` read, ``timebank.services`` write; every move goes through the
one transition service, so a refusal (full, expired, not checked in …) shows its reason and
changes nothing."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.cases import selectors as cases_selectors
from dangjian.core import workflow
from dangjian.core.crypto import mask
from dangjian.core.errors import Conflict
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.timebank import flow, riders, selectors, services
from dangjian.timebank.models import Order, ServiceClass, Station, WorkerKind
from dangjian.web.decorators import console_view

LOCAL = "%Y-%m-%dT%H:%M"


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@console_view
def home(request):
    user = request.user
    ctx = {
        "mine": list(selectors.orders(user, mine=True)[:20]),
        "available": list(selectors.orders_to_accept(user)[:20]),
        "serving": list(selectors.my_open_participations(user)[:20]),
        "hours": selectors.my_hours(user, limit=0)["balance"],
        "can_order": user.can("volunteering.order"),
    }
    return render(request, "portal/timebank/home.html", ctx)


def _local(value) -> str:
    return timezone.localtime(value).strftime(LOCAL)


@console_view
@require_http_methods(["GET", "POST"])
def order_new(request):
    if not request.user.can("volunteering.order"):
        raise Forbidden("您没有点单的权限")
    now = timezone.now().replace(second=0, microsecond=0)
    values = {
        "service_class": "elderly",
        "description": "",
        "place": "",
        "starts_at": _local(now + dt.timedelta(hours=2)),
        "ends_at": _local(now + dt.timedelta(hours=4)),
        "helpers_wanted": "1",
        "talent": request.GET.get("talent", ""),
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        if values["talent"]:
            values["helpers_wanted"] = "1"  # a booking asks for the talent alone (no field)
        try:
            talent = None
            if values["talent"]:
                from dangjian.timebank.models import TalentOffer

                talent = TalentOffer(
                    pk=_pk(int(values["talent"]) if values["talent"].isdigit() else 0)
                )
            o = services.order_create(
                actor=request.user,
                service_class=values["service_class"],
                description=values["description"],
                place=values["place"],
                starts_at=values["starts_at"],
                ends_at=values["ends_at"],
                helpers_wanted=values["helpers_wanted"],
                talent=talent,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, f"点单成功，单号{o.no}")
            return redirect("portal:timebank:detail", order_id=o.pk)
    return render(
        request,
        "portal/timebank/order_new.html",
        {"values": values, "errors": errors, "classes": ServiceClass.choices},
    )


@console_view
def detail(request, order_id: int):
    o = selectors.order_detail(request.user, _pk(order_id))
    user = request.user
    mine = next((p for p in o.participations.all() if p.user_id == user.pk), None)
    readable = (
        user.pk == o.requester_id or mine is not None or flow._covers(user, "volunteering.view", o)
    )
    return render(
        request,
        "portal/timebank/detail.html",
        {
            "o": o,
            "place": o.place if readable else mask("address", o.place),
            "mine": mine,
            "actions": workflow.allowed_actions(flow.ORDER, user, o),
            "steps": list(o.steps.all()),
            "labels": flow.ACTION_LABELS,
        },
    )


@console_view
@require_POST
def act(request, order_id: int):
    action = request.POST.get("action", "")
    fields = {k: request.POST.get(k) for k in ("lat", "lng", "comment") if request.POST.get(k)}
    if request.POST.get("rating"):
        rating = request.POST["rating"]
        fields["rating"] = int(rating) if rating.isdigit() else rating
    if action == "dispatch":
        fields["open_to_checked_in"] = True
    try:
        services.order_transition(
            actor=request.user,
            order=Order(pk=_pk(order_id)),
            action=action,
            note=request.POST.get("note", ""),
            **fields,
        )
    except (Conflict, Forbidden) as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        for m in _messages(exc):
            messages.error(request, m)
    else:
        messages.success(request, f"已{flow.ACTION_LABELS.get(action, action)}")
    return redirect("portal:timebank:detail", order_id=order_id)


@console_view
def hours(request):
    found = selectors.my_hours(request.user)
    return render(request, "portal/timebank/hours.html", found)


@console_view
def talents(request):
    rows = list(selectors.talents(request.user)[:100])
    return render(request, "portal/timebank/talents.html", {"rows": rows})


RIDER_FIELDS = ("station", "kind", "platform", "company", "q")


@console_view
@require_http_methods(["GET", "POST"])
def rider(request):
    """A courier, rider or driver (新就业群体) on their phone: registers at a station with
    their platform and company; once registered, sees the station (place, services, hours)
    and, made an assistant grid worker by the station's community, reports events through the
    one intake (the link goes to /m/cases/report/) and sees their reports."""
    user = request.user
    mine = selectors.my_rider(user)
    values = {f: request.POST.get(f, request.GET.get(f, "")) for f in RIDER_FIELDS}
    errors: list[str] = []
    if request.method == "POST" and mine is None:
        station = values["station"]
        try:
            riders.rider_register(
                actor=user,
                station=Station(pk=_pk(int(station))) if station.isdigit() else None,
                kind=values["kind"],
                platform=values["platform"],
                company=values["company"],
                is_party_member=request.POST.get("is_party_member") == "1",
            )
        except (Forbidden, ValidationError) as exc:
            errors = [exc.message] if isinstance(exc, Forbidden) else _messages(exc)
        else:
            messages.success(request, "已在驿站登记")
            return redirect("portal:timebank:rider")
    ctx: dict = {"mine": mine, "values": values, "errors": errors}
    if mine is None:
        ctx["stations"] = selectors.stations_to_register(user, q=values["q"].strip()[:50])
        ctx["kinds"] = WorkerKind.choices
    else:
        reports = cases_selectors.event_list(user, mine=True)
        ctx["reports"] = list(reports.select_related("event_class")[:10])
    return render(request, "portal/timebank/rider.html", ctx, status=400 if errors else 200)
