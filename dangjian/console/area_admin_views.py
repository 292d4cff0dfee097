"""The governance tree's administration in the console: the area page (children, party
organizations, people, history) and the forms to create a child, edit, move, merge, close
and reopen. Reads are scoped like the tree browser's (out of reach: 404); the forms and
their buttons need ``territory.manage`` at the area (else 403, and no buttons)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts.models import User
from dangjian.console import area_forms
from dangjian.console.audit_labels import action_label
from dangjian.console.tree_views import AREAS, ORGS, _check_id, _page, _rows, visible_ancestors
from dangjian.core import scope, tree
from dangjian.core.errors import Conflict
from dangjian.members.models import Member, Status
from dangjian.organizations.models import PartyOrg
from dangjian.territory import selectors, services
from dangjian.territory.models import Area
from dangjian.web.decorators import console_view
from dangjian.web.forms import add_service_errors

MANAGE = "territory.manage"
PEOPLE_SHOWN = 20
HISTORY_SHOWN = 20


def can_manage(user, area: Area) -> bool:
    """Whether ``user`` holds ``territory.manage`` at or above ``area`` (areas are scoped by
    their path alone, so the grants' paths answer it without a query)."""
    return any(area.path.startswith(p) for p in scope.reach_of(user, MANAGE).area_paths)


def _area(request, node_id: int) -> Area:
    _check_id(node_id)
    return scope.get_visible(Area, request.user, AREAS.action, pk=node_id)


def _managed(request, node_id: int) -> Area:
    _check_id(node_id)
    return scope.get_visible(Area, request.user, MANAGE, view_action=AREAS.action, pk=node_id)


@console_view
@require_http_methods(["GET"])
def area_detail(request, node_id: int):
    user = request.user
    area = _area(request, node_id)
    include_closed = request.GET.get("include_closed") == "1"
    children = Area.objects.visible_to(user, AREAS.action).filter(parent_id=area.pk)
    if not include_closed:
        children = children.filter(closed_on__isnull=True)
    page = _page(request, _rows(AREAS, children, user))
    orgs = (
        PartyOrg.objects.visible_to(user, ORGS.action)
        .filter(area_id=area.pk)
        .defer(*ORGS.defer)
        .order_by("path")
    )
    subtree = tree.subtree_q("area_path", area.path)
    users = User.objects.visible_to(user, "accounts.view").filter(subtree)
    members = (
        Member.objects.visible_to(user, "members.view")
        .filter(subtree)
        .exclude(status__in=(Status.REMOVED, Status.DECEASED))
    )
    # One query for the people shown, a count only when there are more.
    shown = list(
        users.select_related("area")
        .only("pk", "username", "real_name", "kind", "is_active", "area__name")
        .order_by("area_path", "username")[: PEOPLE_SHOWN + 1]
    )
    history = list(selectors.area_history(user, area.pk)[:HISTORY_SHOWN])
    for e in history:
        e.action_label = action_label(e.action)
    return render(
        request,
        "console/area_detail.html",
        {
            "spec": AREAS,
            "node": area,
            "ancestors": visible_ancestors(AREAS, area, user),
            "page": page,
            "nodes": page.object_list,
            "include_closed": include_closed,
            "orgs_page": _page(request, orgs, param="org_page"),
            "users": shown[:PEOPLE_SHOWN],
            "user_count": len(shown) if len(shown) <= PEOPLE_SHOWN else users.count(),
            "member_count": members.count(),
            "history": history,
            "can_manage": can_manage(user, area),
            "merged_into": (
                Area.objects.visible_to(user, AREAS.action)
                .filter(pk=area.merged_into_id)
                .only("pk", "name")
                .first()
                if area.merged_into_id
                else None
            ),
        },
    )


def _detail(area_pk: int):
    return redirect(reverse("console:area_detail", args=[area_pk]))


def _form_page(request, area, form, title: str, action: str, *, status: int = 200, note=""):
    return render(
        request,
        "console/area_form.html",
        {
            "spec": AREAS,
            "node": area,
            "ancestors": visible_ancestors(AREAS, area, request.user),
            "form": form,
            "title": title,
            "action": action,
            "note": note,
        },
        status=status,
    )


def _run(request, area, form, title, url, write, success, note=""):
    """The one shape of every form: GET shows it; POST validates, calls the service, shows
    its refusal on the form (422; 409 for a conflict) or goes back to the area page."""
    if request.method == "POST":
        if not form.is_valid():
            return _form_page(request, area, form, title, url, status=422, note=note)
        try:
            result = write(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _form_page(request, area, form, title, url, status=422, note=note)
        except Conflict as exc:
            form.add_error(None, exc.message)
            return _form_page(request, area, form, title, url, status=409, note=note)
        messages.success(request, success(result))
        return _detail(result.pk)
    return _form_page(request, area, form, title, url, note=note)


@console_view
@require_http_methods(["GET", "POST"])
def area_child_new(request, node_id: int):
    area = _managed(request, node_id)
    form = area_forms.AreaChildForm(request.POST or None, parent=area)
    return _run(
        request,
        area,
        form,
        f"在“{area.name}”下新建区域",
        reverse("console:area_child_new", args=[area.pk]),
        lambda d: services.area_create(actor=request.user, parent=area, **d),
        lambda a: f"已新建{a.get_kind_display()}“{a.name}”",
    )


@console_view
@require_http_methods(["GET", "POST"])
def area_edit(request, node_id: int):
    area = _managed(request, node_id)
    initial = {f: getattr(area, f) for f in ("name", "code", "households", "population")}
    form = area_forms.AreaEditForm(request.POST or None, initial=initial)

    def write(d):
        changes = {k: v for k, v in d.items() if v != initial[k]}
        return services.area_update(actor=request.user, area=area, **changes)

    return _run(
        request,
        area,
        form,
        f"修改“{area.name}”",
        reverse("console:area_edit", args=[area.pk]),
        write,
        lambda a: f"已保存“{a.name}”",
    )


@console_view
@require_http_methods(["GET", "POST"])
def area_move(request, node_id: int):
    area = _managed(request, node_id)
    form = area_forms.AreaMoveForm(request.POST or None, user=request.user, area=area)
    return _run(
        request,
        area,
        form,
        f"调整“{area.name}”的隶属",
        reverse("console:area_move", args=[area.pk]),
        lambda d: services.area_move(
            actor=request.user, area=area, new_parent=Area(pk=d["parent"])
        ),
        lambda a: f"已把“{a.name}”连同其下级区域移到新的上级之下",
        note="下级区域、住户、党员居住地、事件、账号、党组织驻在地等随之一并调整。",
    )


@console_view
@require_http_methods(["GET", "POST"])
def area_merge(request, node_id: int):
    area = _managed(request, node_id)
    form = area_forms.AreaMergeForm(request.POST or None, user=request.user, area=area)
    return _run(
        request,
        area,
        form,
        f"把“{area.name}”并入其他{area.get_kind_display()}",
        reverse("console:area_merge", args=[area.pk]),
        lambda d: services.area_merge(
            actor=request.user, area=area, into=Area(pk=d["into"]), reason=d["reason"]
        ),
        lambda a: f"已把“{area.name}”并入“{a.name}”，“{area.name}”已撤销",
        note=(
            "下级区域及驻在本区域的住户、党员居住地、事件、账号、党组织转到目标区域；"
            "本区域撤销并保留历史。本区域上的授权不转移，请在目标区域重新授权。"
        ),
    )


@console_view
@require_http_methods(["GET", "POST"])
def area_close(request, node_id: int):
    area = _managed(request, node_id)
    form = area_forms.AreaCloseForm(request.POST or None)
    return _run(
        request,
        area,
        form,
        f"撤销“{area.name}”",
        reverse("console:area_close", args=[area.pk]),
        lambda d: services.area_close(
            actor=request.user, area=area, reason=d["reason"], closed_on=d["closed_on"]
        ),
        lambda a: f"已撤销“{a.name}”",
        note="尚有未撤销的下级区域、未办结事件、在册党员或未撤销党组织的区域不能撤销。"
        "撤销后区域保留，用于历史查询和往期报表。",
    )


@console_view
@require_POST
def area_reopen(request, node_id: int):
    area = _managed(request, node_id)
    try:
        services.area_reopen(actor=request.user, area=area)
    except Conflict as exc:
        messages.error(request, "区域未恢复：" + exc.message)
    else:
        messages.success(request, f"已恢复“{area.name}”")
    return _detail(area.pk)
