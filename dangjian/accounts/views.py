"""Console pages of users and their reach: the list (search, filters by kind and area), a
user's page (grants, what they reach and why, actions), create and edit forms, password
reset to a one-time password, deactivation, grants and revocations, and the import."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import selectors, services, tables
from dangjian.accounts.forms import GrantForm, UserFilterForm, UserForm
from dangjian.accounts.models import Department, Grant
from dangjian.accounts.services import imports
from dangjian.core import scope
from dangjian.core.ids import id_or_none
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import add_service_errors
from dangjian.web.imports import ImportKind, template_download
from dangjian.web.imports import import_page as render_import
from dangjian.web.paging import paginate

USER_IMPORT = ImportKind(
    "users",
    "批量导入用户",
    "每行一个账号：所属区域填区划代码或区域名称，须在您的管理范围内；角色默认网格员，用户名默认"
    "手机号码。每个新账号生成一次性密码，仅在本页显示一次。",
    "个账号",
    imports.users_import,
    imports.template_bytes,
    "用户导入模板.xlsx",
    imports.TABLE.columns,
)

MAX_OPTIONS = 500


def node_choices(model, user, action: str) -> list[tuple[int, str]]:
    """Nodes of a tree visible to ``user`` for ``action`` (at most ``MAX_OPTIONS``),
    indented by depth."""
    qs = model.objects.visible_to(user, action).order_by("path")
    rows = list(qs.values_list("pk", "name", "depth")[:MAX_OPTIONS])
    top = min((d for _pk, _n, d in rows), default=0)
    return [(pk, "\u3000" * (d - top) + name) for pk, name, d in rows]


def department_choices(user) -> list[tuple[int, str]]:
    from dangjian.accounts.labels import department_labels

    rows = list(
        Department.objects.visible_to(user, "accounts.manage")
        .order_by("area_path", "name")
        .values_list("pk", "name", "area_path")[:MAX_OPTIONS]
    )
    labels = department_labels(rows)
    return [(pk, labels[pk]) for pk, _n, _p in rows]


def _offered(request, name: str, choices) -> None:
    """A posted id that the form did not offer (out of the user's scope) reads as absent."""
    pk = id_or_none(request.POST.get(name))
    if pk is not None and pk not in {c[0] for c in choices}:
        raise Http404("未找到")


def _need(user, action: str) -> None:
    if not user.can(action):
        raise scope.Forbidden()


@console_view
@L.exportable
def user_list(request):
    _need(request.user, "accounts.view")
    form = UserFilterForm(
        request.GET or None, areas=node_choices(Area, request.user, "territory.view")
    )
    f = form.cleaned_data if form.is_valid() else {}
    active = {"1": True, "0": False}.get(f.get("active") or "")
    qs = selectors.user_list(
        request.user,
        q=f.get("q") or "",
        kind=f.get("kind") or "",
        # An area out of scope reads as absent (404), not as an ignored filter.
        area=id_or_none(request.GET.get("area")),
        active=active,
    )
    listed = L.listing_of(request, tables.USERS)
    qs = listed.order(qs)
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, 30)
    can_manage = request.user.can("accounts.manage")
    ctx = {"form": form, "page": page, "can_manage": can_manage, "listing": listed}
    return render(request, "accounts/user_list.html", ctx)


def _user_form(request, *, editing: bool, data=None, initial=None) -> UserForm:
    return UserForm(
        data,
        initial=initial,
        areas=node_choices(Area, request.user, "accounts.manage"),
        departments=department_choices(request.user),
        editing=editing,
    )


@console_view
@require_http_methods(["GET", "POST"])
def user_create(request):
    _need(request.user, "accounts.manage")
    form = _user_form(request, editing=False, data=request.POST or None)
    if request.method == "POST":
        _offered(request, "area", form.fields["area"].choices)
        _offered(request, "department", form.fields["department"].choices)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        password = services.one_time_password()
        try:
            user = services.user_create(
                actor=request.user,
                username=d["username"],
                password=password,
                real_name=d["real_name"],
                kind=d["kind"],
                area=Area(pk=d["area"]) if d["area"] else None,
                department=Department(pk=d["department"]) if d["department"] else None,
                phone=d["phone"],
                must_change_password=True,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(
                request,
                "accounts/one_time_password.html",
                {"target": user, "password": password, "created": True},
            )
    return render(request, "accounts/user_form.html", {"form": form, "target": None})


@console_view
def user_detail(request, user_id: int):
    target = selectors.user_get(request.user, user_id)
    grants = list(selectors.user_grants(target))
    for g in grants:
        g.node_type, g.node = selectors.grant_node(g)
        g.in_force = selectors.grant_in_force(g)
    can_manage = scope.is_visible(target, request.user, "accounts.manage")
    grant_form = None
    if can_manage:
        grant_form = GrantForm(
            prefix="g",
            areas=node_choices(Area, request.user, "accounts.manage"),
            orgs=node_choices(PartyOrg, request.user, "accounts.manage"),
            departments=department_choices(request.user),
        )
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "grants": grants,
            "reach": selectors.reach_explained(target),
            "can_manage": can_manage,
            "grant_form": grant_form,
            "is_self": target.pk == request.user.pk,
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def user_edit(request, user_id: int):
    target = selectors.user_get(request.user, user_id)
    initial = {
        "real_name": target.real_name,
        "kind": target.kind,
        "area": target.area_id,
        "department": target.department_id,
        "phone": target.phone,
    }
    form = _user_form(request, editing=True, data=request.POST or None, initial=initial)
    if request.method == "POST":
        _offered(request, "area", form.fields["area"].choices)
        _offered(request, "department", form.fields["department"].choices)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.user_update(
                actor=request.user,
                user=target,
                real_name=d["real_name"],
                kind=d["kind"],
                area=Area(pk=d["area"]) if d["area"] else None,
                department=Department(pk=d["department"]) if d["department"] else None,
                phone=d["phone"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("console:accounts:user_detail", user_id=target.pk)
    return render(request, "accounts/user_form.html", {"form": form, "target": target})


@console_view
@require_POST
def user_reset_password(request, user_id: int):
    target = selectors.user_get(request.user, user_id)
    try:
        target, password = services.user_reset_password(actor=request.user, user=target)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("console:accounts:user_detail", user_id=target.pk)
    return render(
        request, "accounts/one_time_password.html", {"target": target, "password": password}
    )


@console_view
@require_POST
def user_active(request, user_id: int):
    target = selectors.user_get(request.user, user_id)
    active = request.POST.get("op") == "reactivate"
    try:
        services.user_set_active(actor=request.user, user=target, active=active)
        messages.success(request, "账号已启用" if active else "账号已停用")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("console:accounts:user_detail", user_id=target.pk)


@console_view
@require_POST
def grant_add(request, user_id: int):
    target = selectors.user_get(request.user, user_id)
    form = GrantForm(
        request.POST,
        prefix="g",
        areas=node_choices(Area, request.user, "accounts.manage"),
        orgs=node_choices(PartyOrg, request.user, "accounts.manage"),
        departments=department_choices(request.user),
    )
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.grant_add(
                actor=request.user,
                user=target,
                role_code=d["role"],
                area=Area(pk=d["area"]) if d["area"] else None,
                org=PartyOrg(pk=d["org"]) if d["org"] else None,
                department=Department(pk=d["department"]) if d["department"] else None,
                ends_on=d["ends_on"],
            )
            messages.success(request, "已授权")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("console:accounts:user_detail", user_id=target.pk)


@console_view
@require_POST
def grant_revoke(request, grant_id: int):
    grant = selectors.grant_get(request.user, id_or_none(grant_id) or 0)
    services.grant_revoke(actor=request.user, grant=Grant(pk=grant.pk))
    messages.success(request, "已撤销授权")
    return redirect("console:accounts:user_detail", user_id=grant.user_id)


@console_view
@require_http_methods(["GET", "POST"])
def user_import(request):
    _need(request.user, "accounts.manage")
    return render_import(
        request,
        spec=USER_IMPORT,
        template="accounts/user_import.html",
        max_bytes=imports.MAX_IMPORT_BYTES,
    )


@console_view
def user_import_template(request):
    return template_download(USER_IMPORT)
