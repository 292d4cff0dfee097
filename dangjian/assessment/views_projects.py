"""Console pages of secretary projects and their 督评考 items."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.assessment.api.common import year_or_none
from dangjian.assessment.selectors import projects as selectors
from dangjian.assessment.services import projects as services
from dangjian.core import scope
from dangjian.core.scope import Forbidden
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate


@console_view
def project_list(request):
    user = request.user
    if not user.can(services.VIEW):
        raise Forbidden("您没有查看考核的权限")
    errors: list[str] = []
    try:
        year = year_or_none(request.GET.get("year")) or timezone.localdate().year
    except ValidationError as exc:
        year, errors = timezone.localdate().year, list(exc.messages)
    page = paginate(request, selectors.projects(user, year=year), 50)
    pending = selectors.reviews(user, year=year, pending=True)[:20]
    return render(
        request,
        "assessment/projects.html",
        {
            "year": year,
            "errors": errors,
            "page": page,
            "rows": list(page.object_list),
            "pending": list(pending),
        },
    )


@console_view
@scope.scoped_object("project_id", selectors.project_get)
def project_detail(request, project):
    return render(
        request,
        "assessment/project.html",
        {
            "p": project,
            "milestones": list(project.milestones.all()),
            "reviews": list(project.reviews.all()),
            "can_evaluate": scope.is_visible(project, request.user, services.EVALUATE),
        },
    )


@console_view
@require_POST
@scope.scoped_object("review_id", selectors.review_get)
def review_record(request, review):
    try:
        services.review_record(
            actor=request.user,
            review=review,
            evidence=request.POST.get("evidence", ""),
            result_score=request.POST.get("result_score"),
            result_note=request.POST.get("result_note", ""),
        )
        messages.success(request, "督评考结果已记录")
    except ValidationError as exc:
        for m in list(exc.messages):
            messages.error(request, m)
    return redirect("console:assessment:project", project_id=review.project_id)
