"""The browser of both trees: topmost visible nodes, visible children, search, node pages.

Everything is read through ``visible_to`` / ``get_visible``: a node outside the user's reach
reads as 404, and an ancestor above the grant never shows, not even in breadcrumbs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian.console.forms import SearchForm
from dangjian.core import scope, tree
from dangjian.core.crypto import mask
from dangjian.core.ids import MAX_PK
from dangjian.core.treeapi import search_q
from dangjian.members.committee_selectors import current_committee
from dangjian.organizations import tables as org_tables
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.territory import tables as territory_tables
from dangjian.territory.models import Area
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

PAGE_SIZE = 20


@dataclass(frozen=True)
class TreeSpec:
    key: str  # "area" / "org": URL names are console:<key>_list, _detail, _children
    model: type
    action: str
    title: str
    noun: str
    # The list's sortable columns and export (web.listing).
    table: L.Table
    defer: tuple[str, ...] = ()
    # A date a closed node carries: such nodes are left out unless ?include_closed=1.
    closed_field: str | None = None
    # The related rows the export names (their boundaries left out).
    related: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        """The kind's column header, the model's own word (区域 类型, 党组织 类别)."""
        return str(self.model._meta.get_field("kind").verbose_name)

    @property
    def list_name(self) -> str:
        return f"console:{self.key}_list"

    @property
    def detail_name(self) -> str:
        return f"console:{self.key}_detail"

    @property
    def children_name(self) -> str:
        return f"console:{self.key}_children"


AREAS = TreeSpec(
    "area",
    Area,
    "territory.view",
    "区域树",
    "区域",
    defer=("boundary", "min_lng", "min_lat", "max_lng", "max_lat"),
    closed_field="closed_on",
    table=territory_tables.AREAS,
)
ORGS = TreeSpec(
    "org",
    PartyOrg,
    "organizations.view",
    "组织树",
    "党组织",
    defer=("contact_phone",),
    closed_field="dissolved_on",
    table=org_tables.ORGS,
    related=("area",),
)


def _closed_under_descendants(model) -> bool:
    """Whether every child of a visible node is visible too (the scope is by ``path`` only).

    Then the stored ``child_count`` is the visible count; otherwise (party orgs, also
    visible through the area they are anchored to) it is counted in the same query.
    """
    return [k.field for k in scope.kinds_of(model)] == ["path"]


def with_visible_children(qs, spec: TreeSpec, user):
    model = spec.model
    if _closed_under_descendants(model):
        return qs.annotate(visible_children=F("child_count"))
    q = scope.scope_q(model, user, spec.action)
    if q is None:
        return qs.annotate(visible_children=Value(0, output_field=IntegerField()))
    counts = (
        model.objects.filter(q, parent=OuterRef("pk"))
        .order_by()
        .values("parent")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        visible_children=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


def open_only(request, spec: TreeSpec, qs):
    """Leave closed nodes out unless the page asks for them (``?include_closed=1``)."""
    if spec.closed_field and not _include_closed(request):
        return qs.filter(**{f"{spec.closed_field}__isnull": True})
    return qs


def _rows(spec: TreeSpec, qs, user):
    return with_visible_children(qs.defer(*spec.defer), spec, user).order_by("path")


def _include_closed(request) -> bool:
    return request.GET.get("include_closed") in ("1", "true")


def _page(request, qs, param: str = "page"):
    return paginate(request, qs, PAGE_SIZE, param)


def _tree_list(request, spec: TreeSpec):
    user = request.user
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    listed = L.listing_of(request, spec.table)
    if listed.exporting:  # every visible node (matching the search), not only the topmost
        rows = spec.model.objects.visible_to(user, spec.action)
        if q:
            rows = rows.filter(search_q(q))
        rows = open_only(request, spec, rows).defer(*spec.defer).select_related(*spec.related)
        if spec.related:
            rows = rows.defer(*(f"{r}__boundary" for r in spec.related))
        return listed.export(listed.order(rows.order_by("path")))
    if q:
        qs = spec.model.objects.visible_to(user, spec.action).filter(search_q(q))
    else:
        qs = spec.model.objects.topmost_visible_to(user, spec.action)
    page = _page(request, listed.order(_rows(spec, open_only(request, spec, qs), user)))
    return render(
        request,
        "console/tree_list.html",
        {
            "listing": listed,
            "spec": spec,
            "form": form,
            "q": q,
            "page": page,
            "nodes": page.object_list,
            "can_import": spec.key == "org"
            and not scope.reach_of(user, "organizations.manage").empty,
        },
    )


def _check_id(node_id: int) -> None:
    if node_id > MAX_PK:  # beyond a bigint: absent, not a database error
        raise Http404("未找到")


def _tree_children(request, spec: TreeSpec, node_id: int):
    _check_id(node_id)
    user = request.user
    parent = scope.get_visible(spec.model.objects.only("pk"), user, spec.action, pk=node_id)
    qs = spec.model.objects.visible_to(user, spec.action).filter(parent_id=parent.pk)
    page = _page(request, _rows(spec, open_only(request, spec, qs), user))
    return render(
        request,
        "console/_tree_children.html",
        {"spec": spec, "parent": parent, "page": page, "nodes": page.object_list},
    )


def visible_ancestors(spec: TreeSpec, node, user) -> list:
    """The node's ancestors the user may see, root first (one query)."""
    prefixes = [node.path[:i] for i in range(tree.STEP_WIDTH, len(node.path), tree.STEP_WIDTH)]
    if not prefixes:
        return []
    return list(
        spec.model.objects.visible_to(user, spec.action)
        .filter(path__in=prefixes)
        .only("pk", "name", "path")
        .order_by("path")
    )


def _detail_context(request, spec: TreeSpec, node_id: int) -> dict:
    _check_id(node_id)
    user = request.user
    node = scope.get_visible(spec.model, user, spec.action, pk=node_id)
    children = spec.model.objects.visible_to(user, spec.action).filter(parent_id=node.pk)
    page = _page(request, _rows(spec, open_only(request, spec, children), user))
    return {
        "spec": spec,
        "node": node,
        "ancestors": visible_ancestors(spec, node, user),
        "page": page,
        "nodes": page.object_list,
    }


# --- areas ---------------------------------------------------------------------------------


@console_view
@L.exportable
def area_list(request):
    return _tree_list(request, AREAS)


@console_view
@require_GET
def area_children(request, node_id: int):
    return _tree_children(request, AREAS, node_id)


# The area page (children, organizations, people, history, the administration forms) is
# ``console.area_admin_views.area_detail``.


# --- party organizations -------------------------------------------------------------------


@console_view
@L.exportable
def org_list(request):
    return _tree_list(request, ORGS)


@console_view
@require_GET
def org_children(request, node_id: int):
    return _tree_children(request, ORGS, node_id)


@console_view
@require_GET
def org_detail(request, node_id: int):
    return org_detail_response(request, node_id)


def org_detail_response(request, node_id: int, approval_form=None, status: int = 200):
    from dangjian.console.org_admin_views import org_admin_context
    from dangjian.console.org_approval_forms import approval_context
    from dangjian.console.org_committee_context import committee_context

    ctx = _detail_context(request, ORGS, node_id)
    org = ctx["node"]
    # The anchor is shown only when the user may see it in the area tree.
    ctx["anchor"] = (
        Area.objects.visible_to(request.user, AREAS.action)
        .filter(pk=org.area_id)
        .only("pk", "name", "kind")
        .first()
    )
    ctx["contact_phone_masked"] = mask("phone", org.contact_phone)
    # The committee as elected (members.committee_*): the current term and its seats.
    ctx["committee"] = current_committee(request.user, org)
    ctx["show_committee"] = org.kind != OrgKind.GROUP
    if ctx["show_committee"]:
        ctx.update(committee_context(request.user, org, ctx["committee"]))
    ctx.update(org_admin_context(request, org))
    ctx.update(approval_context(request.user, org, approval_form))
    # The weak-organization panel loads by itself (htmx): no query here.
    ctx["assessment_panel"] = request.user.can("assessment.view") and org.kind != OrgKind.GROUP
    return render(request, "console/org_detail.html", ctx, status=status)
