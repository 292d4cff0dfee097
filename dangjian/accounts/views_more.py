"""Console pages of departments (with the areas they serve), residents' registrations
awaiting confirmation, and the grids' invitation codes with their QR codes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import selectors, services, tables
from dangjian.accounts.api_registration import qr_svg, register_url
from dangjian.accounts.departments import served_paths
from dangjian.accounts.forms import DepartmentForm
from dangjian.accounts.labels import area_names
from dangjian.accounts.models import (
    Department,
    GridInvitation,
    Registration,
    RegistrationState,
)
from dangjian.accounts.views import _need, _offered, node_choices
from dangjian.core import scope
from dangjian.core.errors import Conflict
from dangjian.territory.models import Area, AreaKind
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import add_service_errors
from dangjian.web.paging import paginate

CONFIRM = "accounts.confirm_resident"


def _with_area_names(departments) -> list:
    """The departments with the names of their home area and the areas they serve (as the
    list shows them), in two queries for the lot."""
    rows = list(departments)
    paths = served_paths(rows)
    names = area_names({p for ps in paths.values() for p in ps} | {d.area_path for d in rows})
    for d in rows:
        d.area_name = names.get(d.area_path, "")
        d.served_names = "、".join(names.get(p, "") for p in sorted(paths[d.pk]))
    return rows


@console_view
@require_http_methods(["GET", "POST"])
def department_list(request):
    _need(request.user, "accounts.view")
    listed = L.listing_of(request, tables.DEPARTMENTS)
    q = request.GET.get("q", "")
    if listed.exporting:  # the export form's POST, open to whoever sees the list
        qs = listed.order(selectors.department_list(request.user, q=q))
        return listed.export(qs, prepare=_with_area_names)
    can_manage = request.user.can("accounts.manage")
    form = None
    if can_manage:
        form = DepartmentForm(
            request.POST or None, areas=node_choices(Area, request.user, "accounts.manage")
        )
        if request.method == "POST":
            _offered(request, "area", form.fields["area"].choices)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.department_create(
                    actor=request.user,
                    name=d["name"],
                    area=Area(pk=d["area"]),
                    phone=d["phone"],
                    served_areas=[Area(pk=pk) for pk in d["served_areas"]],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "已新建部门")
                return redirect("console:accounts:departments")
    page = paginate(request, listed.order(selectors.department_list(request.user, q=q)), 30)
    page.object_list = _with_area_names(page.object_list)
    return render(
        request,
        "accounts/department_list.html",
        {"listing": listed, "page": page, "form": form, "can_manage": can_manage},
    )


@console_view
@require_http_methods(["GET", "POST"])
def department_edit(request, department_id: int):
    dept = scope.get_visible(
        Department, request.user, "accounts.manage", view_action="accounts.view", pk=department_id
    )
    areas = node_choices(Area, request.user, "accounts.manage")
    served_ids = list(dept.served_areas.values_list("pk", flat=True)) or [dept.area_id]
    form = DepartmentForm(
        request.POST or None,
        areas=areas,
        editing=True,
        initial={
            "name": dept.name,
            "phone": dept.phone,
            "active": dept.active,
            "served_areas": served_ids,
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.department_update(
                actor=request.user,
                department=dept,
                name=d["name"],
                phone=d["phone"],
                active=d["active"],
                served_areas=[Area(pk=pk) for pk in d["served_areas"]],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("console:accounts:departments")
    return render(request, "accounts/department_form.html", {"form": form, "dept": dept})


@console_view
@L.exportable
def registration_list(request):
    _need(request.user, CONFIRM)
    listed = L.listing_of(request, tables.REGISTRATIONS)
    state = request.GET.get("state", RegistrationState.PENDING)
    qs = (
        Registration.objects.visible_to(request.user, CONFIRM)
        .select_related("area", "decided_by")
        .defer("area__boundary")
    )
    if state in RegistrationState.values:
        qs = qs.filter(state=state)
    qs = listed.order(qs)
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, 30)
    return render(
        request,
        "accounts/registration_list.html",
        {"listing": listed, "page": page, "state": state, "states": RegistrationState.choices},
    )


@console_view
@require_POST
def registration_decide(request, registration_id: int):
    confirm = request.POST.get("op") == "confirm"
    try:
        services.registration_decide(
            actor=request.user,
            registration=Registration(pk=registration_id),
            confirm=confirm,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, "已确认注册" if confirm else "已退回注册申请")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:accounts:registrations")


@console_view
@require_http_methods(["GET", "POST"])
def invitation_list(request):
    _need(request.user, CONFIRM)
    listed = L.listing_of(request, tables.INVITATIONS)
    qs = listed.order(
        GridInvitation.objects.visible_to(request.user, CONFIRM)
        .filter(active=True)
        .select_related("area")
        .defer("area__boundary")
    )
    if listed.exporting:  # the export form's POST (the codes and their addresses)
        return listed.export(qs, prepare=lambda rows: _with_urls(request, rows))
    if request.method == "POST":
        try:
            services.invitation_issue(
                actor=request.user, area=Area(pk=int(request.POST.get("area") or 0))
            )
            messages.success(request, "已生成新的邀请码，旧邀请码即时失效")
        except (ValueError, ValidationError) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", ["请选择网格"])))
        return redirect("console:accounts:invitations")
    rows = _with_urls(request, qs[:200])
    for inv in rows:
        # segno draws our own URL with a code of [A-Z2-9]: nothing typed by a user.
        inv.svg = mark_safe(qr_svg(request, inv.code))
    grids = list(
        Area.objects.visible_to(request.user, CONFIRM)
        .filter(kind=AreaKind.GRID)
        .order_by("path")
        .values_list("pk", "name")[:500]
    )
    return render(
        request,
        "accounts/invitation_list.html",
        {"rows": rows, "grids": grids, "listing": listed},
    )


def _with_urls(request, invitations) -> list:
    rows = list(invitations)
    for inv in rows:
        inv.url = register_url(request, inv.code)
    return rows
