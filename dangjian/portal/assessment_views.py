"""Mobile pages of assessment (/m/assessment/): a member's own two-colour warnings with the
reason and what clears them; a secretary's branch (its active warnings); the star rating — a
secretary's organizations' ratings explained line by line (indicator, figure, source, points),
with the publication window and an objection filed within it; a member's own organization's
published rating."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.assessment.models import RatingState
from dangjian.assessment.selectors import rating as rating_selectors
from dangjian.assessment.selectors import warnings as selectors
from dangjian.assessment.services import rating as rating_services
from dangjian.core import scope
from dangjian.core.errors import Conflict
from dangjian.core.scope import Forbidden
from dangjian.web.decorators import console_view


@console_view
def my_warnings(request):
    rows = list(selectors.own(request.user, history=True)[:50])
    return render(
        request,
        "portal/assessment/mine.html",
        {
            "active": [w for w in rows if w.active],
            "cleared": [w for w in rows if not w.active],
        },
    )


@console_view
def branch_warnings(request):
    if not request.user.can("members.manage"):
        raise Forbidden("只有党组织书记可以查看本支部的预警")
    rows = list(
        selectors.warnings(request.user).exclude(user=request.user).select_related("org")[:200]
    )
    return render(request, "portal/assessment/branch.html", {"rows": rows})


# --- star rating (评星定级) on the phone ---------------------------------------------------------


def _stars(n: int) -> str:
    return "★" * n + "☆" * (5 - n)


def _explained(rating) -> dict:
    """What the rating card shows: stars as symbols, the lines, the window."""
    lines = list(rating.lines.all())
    return {
        "r": rating,
        "stars_text": _stars(rating.stars),
        "lines": lines,
        "in_window": rating.state == RatingState.PUBLISHED
        and rating.window_ends_on is not None
        and timezone.localdate() <= rating.window_ends_on,
    }


@console_view
def ratings(request):
    """评星定级: staff (a secretary included) see their organizations' ratings of the latest
    year to open one; a member sees their own organization's published rating explained."""
    user = request.user
    if not user.can(rating_selectors.VIEW):
        rating = rating_selectors.member_rating(user)
        ctx = _explained(rating) if rating else {}
        return render(request, "portal/assessment/member_rating.html", ctx)
    qs = rating_selectors.ratings(user)
    year = qs.values_list("year", flat=True).first()
    rows = list(qs.filter(year=year).order_by("org_path")[:50]) if year else []
    for r in rows:
        r.stars_text = _stars(r.stars)
    return render(request, "portal/assessment/ratings.html", {"rows": rows, "year": year})


@console_view
@require_http_methods(["GET"])
@scope.scoped_object("rating_id", rating_selectors.rating_get)
def rating_page(request, rating):
    user = request.user
    ctx = _explained(rating)
    ctx["objections"] = list(rating.objections.all())
    ctx["can_object"] = ctx["in_window"] and scope.is_visible(rating, user, rating_services.OBJECT)
    return render(request, "portal/assessment/rating.html", ctx)


@console_view
@require_POST
@scope.scoped_object("rating_id", rating_selectors.rating_get)
def objection_file(request, rating):
    """The secretary objects within the publication window (the service checks the window and
    the right); the page answers with a message."""
    try:
        rating_services.objection_file(
            actor=request.user, rating=rating, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "异议已提交，县(区)委组织部将在处理后答复")
    return redirect("portal:assessment:rating", rating_id=rating.pk)
