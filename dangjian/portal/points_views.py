"""Mobile pages of the points module (/m/points/): my points (balances, awards, a claim with
its evidence), the catalogue of my schemes and redeeming, a receipt with its code and QR code
for the counter, and the public boards of my schemes (names as each scheme allows)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.core.ids import pk_or_404 as _pk
from dangjian.points import selectors, services
from dangjian.points.models import Rule, Source
from dangjian.web.decorators import console_view


def _text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for ms in exc.message_dict.values() for m in ms)
    return "；".join(exc.messages)


def _int(value):
    try:
        return _pk(int(value))
    except (TypeError, ValueError):
        return None


@console_view
@require_http_methods(["GET", "POST"])
def my_points(request):
    user = request.user
    mine = selectors.schemes_of(user)
    error = ""
    if request.method == "POST":
        try:
            services.award_submit(
                actor=user,
                rule_id=_int(request.POST.get("rule_id")),
                data={"evidence": request.POST.get("evidence", ""), "note": ""},
            )
        except ValidationError as exc:
            error = _text(exc)
        else:
            messages.success(request, "已提交，等待积分评定委员会评议")
            return redirect("portal:points:mine")
    claimable = Rule.objects.filter(
        scheme__in=mine, source=Source.MANUAL, active=True, list_kind="red"
    ).select_related("scheme")
    return render(
        request,
        "portal/points/mine.html",
        {
            "balances": selectors.my_balances(user),
            "awards": list(selectors.awards(user, user_id=user.pk)[:30]),
            "redemptions": list(selectors.redemptions(user).filter(user_id=user.pk)[:20]),
            "claimable": claimable,
            "error": error,
        },
    )


@console_view
def catalogue(request):
    user = request.user
    balances = {b.scheme.pk: b.balance for b in selectors.my_balances(user)}
    mine = [s.pk for s in selectors.schemes_of(user)]
    rows = selectors.items(user, only_active=True).filter(scheme_id__in=mine)
    return render(
        request,
        "portal/points/catalogue.html",
        {"items": list(rows[:200]), "balances": balances},
    )


@console_view
@require_POST
def redeem(request, item_id: int):
    try:
        r = services.redemption_create(
            actor=request.user, item_id=_pk(item_id), quantity=request.POST.get("quantity", 1)
        )
    except ValidationError as exc:
        messages.error(request, _text(exc))
        return redirect("portal:points:catalogue")
    return redirect("portal:points:receipt", redemption_id=r.pk)


@console_view
def receipt(request, redemption_id: int):
    r = selectors.redemption_detail(request.user, _pk(redemption_id))
    qr = None
    if r.user_id == request.user.pk and r.state == "ready":
        url = request.build_absolute_uri(reverse("console:points:counter") + f"?code={r.code}")
        # segno draws our own URL with a code of [A-Z2-9]: nothing typed by a user.
        qr = mark_safe(segno.make(url, error="m").svg_inline(scale=4, border=2))
    return render(
        request,
        "portal/points/receipt.html",
        {"r": r, "qr": qr, "mine": r.user_id == request.user.pk},
    )


@console_view
def boards(request):
    user = request.user
    year = _int(request.GET.get("year")) or timezone.localdate().year
    boards = [(s, selectors.board(s, year=year)) for s in selectors.schemes_of(user)]
    return render(request, "portal/points/boards.html", {"boards": boards, "year": year})
