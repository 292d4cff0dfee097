"""Console pages of secretary projects and their 督评考 items."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.assessment import tables
from dangjian.assessment.api.common import year_or_none
from dangjian.assessment.forms import ProjectForm
from dangjian.assessment.selectors import projects as selectors
from dangjian.assessment.services import projects as services
from dangjian.core import scope
from dangjian.core.ids import MAX_PK
from dangjian.core.scope import Forbidden
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import add_service_errors
from dangjian.web.paging import paginate


@console_view
@L.exportable
def project_list(request):
    user = request.user
    if not user.can(services.VIEW):
        raise Forbidden("您没有查看考核的权限")
    errors: list[str] = []
    try:
        year = year_or_none(request.GET.get("year")) or timezone.localdate().year
    except ValidationError as exc:
        year, errors = timezone.localdate().year, list(exc.messages)
    listed = L.listing_of(request, tables.PROJECTS)
    qs = listed.order(selectors.projects(user, year=year))
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, 50)
    pending = selectors.reviews(user, year=year, pending=True)[:20]
    return render(
        request,
        "assessment/projects.html",
        {
            "listing": listed,
            "year": year,
            "errors": errors,
            "page": page,
            "rows": list(page.object_list),
            "pending": list(pending),
            "can_create": user.can(services.PROJECT),
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def project_new(request):
    """The secretary sets up the year's project (the same service as the API)."""
    user = request.user
    if not user.can(services.PROJECT):
        raise Forbidden("您没有管理书记项目的权限")
    data = request.POST if request.method == "POST" else None
    initial = {"year": timezone.localdate().year, "secretary_name": user.real_name or ""}
    form = ProjectForm(data, initial=initial, orgs=selectors.project_orgs(user))
    if data is not None and form.is_valid():
        raw = form.cleaned_data["org"]
        org_pk = int(raw) if raw.isdigit() and 0 < int(raw) < MAX_PK else None
        milestones = form.milestones()
        try:
            if org_pk is None:
                raise ValidationError({"org": ["请选择党组织"]})
            p = services.project_create(
                actor=user,
                org=org_pk,
                year=form.cleaned_data["year"],
                title=form.cleaned_data["title"],
                secretary_name=form.cleaned_data["secretary_name"],
                team=form.cleaned_data["team"],
                plan=form.cleaned_data["plan"],
                milestones=[{"title": m["title"], "due_on": m["due_on"]} for m in milestones],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, form.aliases(milestones))
        else:
            messages.success(request, f"已创建书记项目：{p.title}，督评考事项已排期")
            return redirect("console:assessment:project", project_id=p.pk)
    return render(request, "assessment/project_new.html", {"form": form})


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
