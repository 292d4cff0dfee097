"""The party tree's administration in the console: create an organization under another,
edit it, change its kind, dissolve it, import organizations from Excel. Each page calls the
services of ``organizations`` (the rules are theirs); a page names the organization only
after ``get_visible`` with ``organizations.manage`` (404 outside the reach, 403 inside it
without the action)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.console.org_admin_forms import (
    ChangeKindForm,
    DissolveForm,
    OrgCreateForm,
    OrgEditForm,
)
from dangjian.core import scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.ids import MAX_PK
from dangjian.organizations import excel, imports, lifecycle, selectors, services
from dangjian.organizations.models import PartyOrg
from dangjian.web.decorators import console_view
from dangjian.web.imports import ImportKind, template_download
from dangjian.web.imports import import_page as render_import

MANAGE = "organizations.manage"
VIEW = "organizations.view"
ORG_IMPORT = ImportKind(
    "orgs",
    "Excel导入党组织",
    "每一行按新建党组织的规则检查。上级党组织须先于下级：可以是系统中已有的组织，也可以是表中"
    "排在前面的行；须在您的管理范围内。",
    "个",
    imports.orgs_import,
    excel.template_bytes,
    "党组织导入模板.xlsx",
    excel.COLUMNS,
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _managed(request, node_id: int) -> PartyOrg:
    if node_id > MAX_PK:
        raise Http404("未找到")
    return scope.get_visible(
        PartyOrg.objects.select_related("area").defer("contact_phone", "area__boundary"),
        request.user,
        MANAGE,
        view_action=VIEW,
        pk=node_id,
    )


def can_manage(user, org: PartyOrg) -> bool:
    """Whether ``user`` may change ``org`` (the buttons on its page): read from the user's
    reach (kept across requests), no query."""
    reach = scope.reach_of(user, MANAGE)
    return any(tree.is_within(org.path, p) for p in reach.org_paths) or any(
        tree.is_within(org.area_path, p) for p in reach.area_paths
    )


def _warn(request, warnings: list[dict]) -> None:
    for w in warnings:
        messages.warning(request, w["message"])


@console_view
@require_http_methods(["GET", "POST"])
def org_create(request, node_id: int):
    """A new organization under ``node_id``."""
    parent = _managed(request, node_id)
    if parent.dissolved_on is not None:
        messages.error(request, f"{parent.name}已撤销，不能在其下设立组织")
        return redirect("console:org_detail", node_id=parent.pk)
    form = OrgCreateForm(
        request.POST or None,
        user=request.user,
        anchor=parent.area,
        initial={"domain": parent.domain, "area": parent.area_id},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                org = services.org_create(actor=request.user, parent=parent, **form.service_args())
            except ValidationError as exc:
                form.add_service_errors(exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已新建{org.name}")
                _warn(request, lifecycle.org_warnings(org))
                return redirect("console:org_detail", node_id=org.pk)
    return render(
        request,
        "console/org_form.html",
        {"form": form, "parent": parent, "node": None, "title": f"在{parent.name}下新建党组织"},
        status=status,
    )


def _initial(org: PartyOrg) -> dict:
    return {
        "name": org.name,
        "form": org.form,
        "domain": org.domain,
        "area": org.area_id,
        "code": org.code,
        "credit_code": org.credit_code,
        "credit_code_override_reason": org.credit_code_override_reason,
        "established_on": org.established_on,
        "term_years": org.term_years,
        "founding_full_members": org.founding_full_members,
        "project_name": org.project_name,
        "ends_on": org.ends_on,
        "joint_units": "\n".join(f"{u.name}:{u.full_members}" for u in org.joint_units.all()),
        "villages": list(org.covered_villages.values_list("area_id", flat=True)),
        "resident_unit_members": "\n".join(
            f"{m.unit_name}|{m.person_name}|{m.post}|{'专职' if m.full_time else '兼职'}"
            for m in org.resident_unit_members.all()
        ),
    }


@console_view
@require_http_methods(["GET", "POST"])
def org_edit(request, node_id: int):
    org = _managed(request, node_id)
    if org.dissolved_on is not None:
        messages.error(request, f"{org.name}已撤销，不能修改")
        return redirect("console:org_detail", node_id=org.pk)
    form = OrgEditForm(
        request.POST or None, user=request.user, anchor=org.area, org=org, initial=_initial(org)
    )
    # The phone is kept unless a new one is typed (the page never shows it in clear).
    form.fields["contact_phone"].help_text = "不填则保留原号码"
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            args = form.service_args()
            if not args.get("contact_phone"):
                args.pop("contact_phone", None)
            try:
                org = services.org_update(actor=request.user, org=org, **args)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已保存{org.name}")
                _warn(request, lifecycle.org_warnings(org))
                return redirect("console:org_detail", node_id=org.pk)
    return render(
        request,
        "console/org_form.html",
        {"form": form, "parent": None, "node": org, "title": f"修改{org.name}"},
        status=status,
    )


@console_view
@require_http_methods(["GET", "POST"])
def org_change_kind(request, node_id: int):
    org = _managed(request, node_id)
    form = ChangeKindForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                org, warnings = lifecycle.org_change_kind(
                    actor=request.user, org=org, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                messages.success(request, f"{org.name}已改为{org.get_kind_display()}")
                _warn(request, warnings)
                return redirect("console:org_detail", node_id=org.pk)
    return render(
        request,
        "console/org_action.html",
        {
            "form": form,
            "node": org,
            "title": f"变更{org.name}的类别",
            "note": "党组织随党员人数变化调整类别：党员超过50名一般设立党总支，超过100名一般设立基层党委；"
            "党小组改为党支部须有正式党员3名以上。",
            "submit": "变更类别",
            "kind_changes": selectors.kind_changes(org),
        },
        status=status,
    )


@console_view
@require_http_methods(["GET", "POST"])
def org_dissolve(request, node_id: int):
    org = _managed(request, node_id)
    form = DissolveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                org = lifecycle.org_dissolve(actor=request.user, org=org, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                messages.success(request, f"已撤销{org.name}")
                return redirect("console:org_detail", node_id=org.pk)
    return render(
        request,
        "console/org_action.html",
        {
            "form": form,
            "node": org,
            "title": f"撤销{org.name}",
            "note": "尚有党员（含停止党籍的）或未撤销的下级组织时不能撤销。撤销后组织保留在历史记录中，"
            "不再出现在选择列表和默认列表里。",
            "submit": "撤销组织",
            "danger": True,
        },
        status=status,
    )


@console_view
@require_http_methods(["GET", "POST"])
def org_import(request):
    reach = scope.reach_of(request.user, MANAGE)
    if not (reach.org_paths or reach.area_paths):
        raise scope.Forbidden("您没有导入党组织的权限")
    return render_import(
        request,
        spec=ORG_IMPORT,
        template="console/org_import.html",
        max_bytes=excel.MAX_IMPORT_BYTES,
    )


@console_view
@require_GET
def org_import_template(request):
    return template_download(ORG_IMPORT)


def org_admin_context(request, org: PartyOrg) -> dict:
    """What the organization's page shows of this module: the buttons (only to whom may
    manage it), the member counts and size warnings, the form's rows and the kind history."""
    from dangjian.organizations import headcount

    detail = selectors.org_detail(request.user, org, history=False)
    count = headcount.Headcount(detail["member_count"], detail["full_member_count"])
    return {
        "can_manage": can_manage(request.user, org),
        "headcount": count,
        "org_warnings": detail["warnings"],
        "joint_units": detail["joint_units"],
        "covered_villages": detail["villages"],
        "resident_unit_members": detail["resident_unit_members"],
        "include_closed": request.GET.get("include_closed") in ("1", "true"),
    }
