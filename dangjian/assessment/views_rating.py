"""Console pages of the star rating: a county's ranking by score, one rating's explanation,
objections, schemes and hand scores. Thin: selectors read, services write; out of scope 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.assessment import indicators, tables
from dangjian.assessment.api.common import year_or_none
from dangjian.assessment.api.rating import allowed_actions
from dangjian.assessment.models import ManualScore, RatingState, Sector
from dangjian.assessment.selectors import rating as selectors
from dangjian.assessment.services import rating as services
from dangjian.core import files, scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.ids import id_or_none as _int
from dangjian.core.scope import Forbidden
from dangjian.territory.models import Area, AreaKind
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

PAGE_SIZE = 50


def _require(user) -> None:
    if not user.can(services.VIEW):
        raise Forbidden("您没有查看考核的权限")


def _year(request) -> tuple[int, list[str]]:
    try:
        return year_or_none(request.GET.get("year")) or timezone.localdate().year, []
    except ValidationError as exc:
        return timezone.localdate().year, list(exc.messages)


def _counties(user):
    return (
        Area.objects.visible_to(user, services.VIEW)
        .filter(kind=AreaKind.COUNTY)
        .defer("boundary")
        .order_by("path")[:50]
    )


@console_view
@L.exportable
def rating_list(request):
    """The ratings in scope, a county's ranking by score when a county is chosen."""
    user = request.user
    _require(user)
    year, errors = _year(request)
    area_id = _int(request.GET.get("area"))
    area = selectors.visible_area(user, area_id) if area_id else None
    stars = _int(request.GET.get("stars"))
    listed = L.listing_of(request, tables.RATINGS)
    qs = listed.order(selectors.ratings(user, year=year, area=area, stars=stars))
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, PAGE_SIZE)
    return render(
        request,
        "assessment/ratings.html",
        {
            "listing": listed,
            "year": year,
            "errors": errors,
            "area": area,
            "stars": stars,
            "page": page,
            "rows": list(page.object_list),
            "counties": _counties(user),
            "can_manage": user.can(services.MANAGE),
            "star_choices": [5, 4, 3, 2, 1, 0],
        },
    )


@console_view
@require_POST
def publish(request):
    user = request.user
    area_id = _int(request.POST.get("area"))
    if area_id is None:
        messages.error(request, "请选择要公示的县(区)")
        return redirect("console:assessment:ratings")
    area = selectors.visible_area(user, area_id)
    try:
        n = services.ratings_publish(actor=user, county=area, year=request.POST.get("year"))
        messages.success(
            request, f"已公示{n}个党组织的评星结果，公示期{services.PUBLICATION_DAYS}天"
        )
    except ValidationError as exc:
        for m in list(exc.messages):
            messages.error(request, m)
    except Conflict as exc:
        messages.error(request, exc.message)
    year = (request.POST.get("year") or "")[:4]
    return redirect(f"{reverse('console:assessment:ratings')}?area={area.pk}&year={year}")


@console_view
@scope.scoped_object("rating_id", selectors.rating_get)
def rating_detail(request, rating):
    """One rating explained line by line; its objections and the forms to file or decide."""
    lines = list(rating.lines.all())
    return render(
        request,
        "assessment/rating.html",
        {
            "r": rating,
            "lines": lines,
            "total": sum((ln.points for ln in lines), start=0),
            "objections": list(rating.objections.all()),
            "actions": allowed_actions(request.user, rating),
            "published": rating.state == RatingState.PUBLISHED,
        },
    )


@console_view
@require_POST
@scope.scoped_object("rating_id", selectors.rating_get)
def objection_file(request, rating):
    try:
        services.objection_file(
            actor=request.user, rating=rating, reason=request.POST.get("reason", "")
        )
        messages.success(request, "异议已提交，等待县级组织部门处理")
    except ValidationError as exc:
        for m in list(exc.messages):
            messages.error(request, m)
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:assessment:rating", rating_id=rating.pk)


@console_view
@require_POST
@scope.scoped_object("objection_id", selectors.objection_get)
def objection_handle(request, objection):
    try:
        services.objection_handle(
            actor=request.user,
            objection=objection,
            decision=request.POST.get("decision", ""),
            response=request.POST.get("response", ""),
        )
        messages.success(request, "异议已处理")
    except ValidationError as exc:
        for m in list(exc.messages):
            messages.error(request, m)
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:assessment:rating", rating_id=objection.rating_id)


@console_view
def scheme_list(request):
    user = request.user
    _require(user)
    year, errors = _year(request)
    schemes = list(selectors.schemes(user, year=year))
    return render(
        request,
        "assessment/schemes.html",
        {
            "year": year,
            "errors": errors,
            "schemes": schemes,
            "sectors": Sector.choices,
            "computations": dict(indicators.choices()),
            "can_configure": services.can_configure(user),
        },
    )


@console_view
@require_http_methods(["POST"])
def scheme_edit(request, scheme_id: int):
    """Change the thresholds and the cap (audited; applies from the next computation)."""
    user = request.user
    s = selectors.scheme_get(user, scheme_id)
    values = {
        k: request.POST.get(k)
        for k in (*services.THRESHOLD_FIELDS, "five_star_cap")
        if request.POST.get(k) not in (None, "")
    }
    try:
        services.scheme_update(actor=user, scheme=s, **values)
        messages.success(request, "方案已修改，自下次计算起生效")
    except ValidationError as exc:
        for m in list(exc.messages):
            messages.error(request, m)
    return redirect(f"{reverse('console:assessment:schemes')}?year={s.year}")


@console_view
@L.exportable
def score_list(request):
    """The hand scores in scope (the source of a manual line), by organization and year."""
    user = request.user
    _require(user)
    year, errors = _year(request)
    qs = ManualScore.objects.visible_to(user, services.VIEW).filter(year=year)
    org_id = _int(request.GET.get("org"))
    if org_id:
        org = selectors.visible_org(user, org_id)
        qs = qs.filter(tree.subtree_q("org_path", org.path))
    listed = L.listing_of(request, tables.SCORES)
    qs = listed.order(
        qs.select_related("indicator", "org", "scored_by")
        .prefetch_related("evidence_files")
        .order_by("org_path", "indicator_id")
    )
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, PAGE_SIZE)
    return render(
        request,
        "assessment/scores.html",
        {
            "listing": listed,
            "year": year,
            "errors": errors,
            "page": page,
            "rows": list(page.object_list),
            "can_manage": user.can(services.MANAGE),
            "max_bytes": files.max_bytes(),
        },
    )
