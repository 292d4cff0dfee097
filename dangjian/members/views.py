"""The member registry's console pages (党员电子档案).

Thin: reads go through ``selectors`` (and so through ``visible_to``), writes through
``services``; a file out of scope reads as 404, a move the user may not make is ``Forbidden``,
which ``console_view`` turns into the 403 page. Personal data is shown masked; the whole value
only through ``core.pii.reveal`` (audited).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import pii, scope, tree
from dangjian.core.crypto import mask
from dangjian.core.downloads import attachment
from dangjian.core.errors import Conflict
from dangjian.core.ids import id_or_none as _int
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.core.treeapi import search_q
from dangjian.core.validation import ALL_CONTROL_RE
from dangjian.members import excel, jobs, selectors, services, views_sanctions
from dangjian.members import tables as listings
from dangjian.members.forms import (
    CheckinFilterForm,
    ImportForm,
    MemberFilterForm,
    MemberForm,
    MobileForm,
    PickerField,
    StatsForm,
    add_service_errors,
)
from dangjian.members.models import (
    Category,
    Member,
    MemberTransfer,
    TransferState,
    transfer_action_label,
)
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.territory.models import Area
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import RevealForm, messages_of
from dangjian.web.imports import ImportKind, template_download
from dangjian.web.paging import paginate

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_ERRORS_SHOWN = 500


def _ref(model, pk):
    return model(pk=pk) if pk else None


def _require(user, action: str, message: str) -> None:
    if not user.can(action):
        raise Forbidden(message)


def _may_manage_somewhere(user) -> bool:
    """Only party-tree grants manage members (``services.can_manage_members_in``)."""
    return bool(scope.reach_of(user, "members.manage").org_paths)


def _render(request, template: str, ctx: dict, status: int = 200):
    ctx.setdefault("can_manage_nav", _may_manage_somewhere(request.user))
    return render(request, template, ctx, status=status)


def _masked(member: Member) -> Member:
    member.id_number_masked = mask("id_number", member.id_number)
    member.phone_masked = mask("phone", member.phone)
    member.category_labels = [str(Category(c).label) for c in member.category_codes()]
    return member


# --- pickers: search-selects of visible nodes -------------------------------------------------

PICKER_LIMIT = 300  # nodes listed before any search: the user's top levels
SEARCH_LIMIT = 30
PICKER_LEVELS = 2  # how many levels below the user's topmost nodes are listed at first

ORG_PURPOSES = ("members", "manage", "target", "committee", "any")
AREA_PURPOSES = ("residence", "any")
EMPTY_LABELS = {
    "members": "全部",
    "any": "不限",
    "manage": "请选择",
    "target": "请选择",
    "committee": "无",
    "residence": "无",
}


def _picker_base(user, tree_name: str, purpose: str):
    """The nodes a picker may offer, and the roots its first list starts from (None: the
    user's topmost visible nodes)."""
    if tree_name == "area":
        # Closed areas (撤销) are offered by no picker.
        qs = (
            Area.objects.visible_to(user, "territory.view")
            .filter(closed_on__isnull=True)
            .defer("boundary")
        )
        if purpose == "residence":
            qs = qs.filter(level__gte=services.RESIDENCE_MIN_LEVEL)
        ranges = tree.merge_ranges(list(scope.reach_of(user, "territory.view").area_paths))
        return qs, [start for start, _ in ranges]
    # Dissolved organizations leave the pickers (organizations.lifecycle.org_dissolve).
    qs = (
        PartyOrg.objects.visible_to(user, "organizations.view")
        .filter(dissolved_on__isnull=True)
        .defer("contact_phone")
    )
    roots = None
    if purpose in ("members", "manage"):
        action = "members.view" if purpose == "members" else "members.manage"
        paths = scope.reach_of(user, action).org_paths
        cond = scope.subtrees_q("path", paths)
        if cond is None:
            return qs.none(), []
        qs = qs.filter(cond)
        roots = [start for start, _ in tree.merge_ranges(list(paths))]
    elif purpose == "committee":
        qs = qs.filter(kind__in=(OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE))
    elif purpose == "target":
        qs = qs.exclude(kind=OrgKind.GROUP)
    return qs, roots


def _labelled(user, tree_name: str, nodes: list) -> list[tuple[int, str]]:
    """Search results named with their parent, when the user may see the parent (an ancestor
    above the grant is never named)."""
    parent_ids = {n.parent_id for n in nodes if n.parent_id}
    names = {}
    if parent_ids:
        model, action = (
            (Area, "territory.view") if tree_name == "area" else (PartyOrg, "organizations.view")
        )
        names = dict(
            model.objects.visible_to(user, action)
            .filter(pk__in=parent_ids)
            .values_list("pk", "name")
        )
    return [
        (n.pk, f"{n.name}（{names[n.parent_id]}）" if n.parent_id in names else n.name)
        for n in nodes
    ]


def picker_options(
    user, tree_name: str, purpose: str, *, q: str = "", selected: int | None = None
) -> dict:
    """What a picker's ``<select>`` lists: the selected node, then the matches of ``q`` or,
    without ``q``, the user's top levels indented."""
    qs, roots = _picker_base(user, tree_name, purpose)
    fields = ("pk", "name", "path", "depth", "parent_id")
    current = None
    if selected:
        node = qs.filter(pk=selected).only(*fields).first()
        if node is not None:
            current = _labelled(user, tree_name, [node])[0]
    options: list[tuple[int, str]] = []
    more = False
    if q:
        found = list(qs.filter(search_q(q)).only(*fields).order_by("path")[: SEARCH_LIMIT + 1])
        more = len(found) > SEARCH_LIMIT
        options = _labelled(user, tree_name, found[:SEARCH_LIMIT])
    else:
        if roots is None:
            roots = [
                start
                for start, _ in tree.merge_ranges(
                    list(
                        PartyOrg.objects.topmost_visible_to(user, "organizations.view").values_list(
                            "path", flat=True
                        )
                    )
                )
            ]
        if roots:
            cond = Q()
            for root in roots:
                cond |= tree.subtree_q("path", root) & Q(
                    depth__lte=tree.depth_of(root) + PICKER_LEVELS
                )
            found = list(qs.filter(cond).only(*fields).order_by("path")[: PICKER_LIMIT + 1])
            more = len(found) > PICKER_LIMIT
            for n in found[:PICKER_LIMIT]:
                root = next((r for r in roots if n.path.startswith(r)), n.path)
                options.append((n.pk, "\u3000" * (n.depth - tree.depth_of(root)) + n.name))
    if current is not None:
        options = [o for o in options if o[0] != current[0]]
    return {
        "current": current,
        "options": options,
        "more": more,
        "empty_label": EMPTY_LABELS.get(purpose, "请选择"),
        "searched": bool(q),
    }


def _prepare_pickers(form, user) -> None:
    """Load each picker's first options, keeping the value the form holds."""
    for name, field in form.fields.items():
        if not isinstance(field, PickerField):
            continue
        raw = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
        field.picker = picker_options(user, field.tree, field.purpose, selected=_int(raw))
        url = (
            "console:members:area_options"
            if field.tree == "area"
            else "console:members:org_options"
        )
        field.options_url = f"{reverse(url)}?purpose={field.purpose}&field={name}"


def _options_view(request, tree_name: str, purposes: tuple[str, ...]):
    purpose = request.GET.get("purpose") or "any"
    if purpose not in purposes:
        purpose = "any"
    field = request.GET.get("field") or ""
    selected = _int(request.GET.get(field)) if field else None
    q = ALL_CONTROL_RE.sub("", request.GET.get("q") or "").strip()[:50]
    ctx = picker_options(request.user, tree_name, purpose, q=q, selected=selected)
    if q and ctx["options"] and ctx["current"] is None:
        ctx["first_selected"] = True  # typing a name picks the first match
    return render(request, "members/_options.html", ctx)


@console_view
@require_GET
def org_options(request):
    return _options_view(request, "org", ORG_PURPOSES)


@console_view
@require_GET
def area_options(request):
    return _options_view(request, "area", AREA_PURPOSES)


# --- the list ------------------------------------------------------------------------------------


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@console_view
@require_GET
def member_list(request):
    user = request.user
    _require(user, "members.view", "您没有查看党员档案的权限")
    form = MemberFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # the filters that parsed apply; the others are shown as errors
    try:
        qs = selectors.member_list(user, **form.selector_args())
    except ValidationError as exc:
        add_service_errors(form, exc)
        qs = Member.objects.none()
    listed = L.listing_of(request, listings.MEMBERS)
    page = paginate(request, listed.order(qs), PAGE_SIZE)
    rows = [_masked(m) for m in page.object_list]
    _prepare_pickers(form, user)
    today = timezone.localdate()
    for m in rows:
        m.age_today = m.age(today)
    return _render(
        request,
        "members/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": any(v not in (None, "") for v in form.selector_args().values()),
            "export_query": _query_without(request, "page", "reveal"),
            "can_manage": _may_manage_somewhere(user),
            "can_reveal": user.can("members.reveal_pii"),
            "reveal_purposes": list(pii.PURPOSES.items()),
            "can_export": user.can("members.export"),
            "listing": listed,
        },
    )


@console_view
@require_POST
def member_export(request):
    """The list's filters as .xlsx through the API's export service: scoped, masked unless
    asked and allowed, audited, the exporter named in the file. Started by the list's POST
    form (CSRF-protected; the filters in the query string, ``reveal`` in the body), so a
    cross-site ``<img>`` or link cannot start one: a GET answers 405."""
    user = request.user
    _require(user, "members.view", "您没有导出党员名册的权限")
    form = MemberFilterForm(request.GET or None)
    back = f"{reverse('console:members:list')}?{_query_without(request, 'page', 'reveal')}"
    if form.is_bound and not form.is_valid():
        messages.error(request, "筛选条件有误，请修改后再导出")
        return redirect(back)
    reveal = request.POST.get("reveal") == "1"
    try:
        rows = services.check_export(actor=user, filters=form.selector_args(), reveal=reveal)
        if jobs.export_is_large(rows.count()):  # a long list is written in the background
            job = jobs.export_job_start(actor=user, filters=form.selector_args(), reveal=reveal)
            return redirect("console:members:job", job_id=job.pk)
        content, _count = services.members_export(
            actor=user, filters=form.selector_args(), reveal=reveal
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(back)
    except Conflict as exc:  # an export of one's own is still queued or running
        messages.error(request, exc.message)
        return redirect("console:members:jobs")
    return attachment(content, "党员名册.xlsx", stamp=True)


# --- the file ------------------------------------------------------------------------------------


def _state_label(code: str) -> str:
    try:
        return str(TransferState(code).label)
    except ValueError:
        return code or "—"


def _transfer_rows(user, transfers) -> list[MemberTransfer]:
    """Each transfer with its history and the moves this user may make now (the declared
    flow's ``allowed_actions``: the other side's moves are not offered)."""
    for t in transfers:
        flow = services.transfer_flow(t)
        t.moves = [
            {
                "action": allowed["action"],
                "label": allowed["label"],
                "needs_letter": "letter_number" in flow.actions[allowed["action"]].needs,
            }
            for allowed in services.transfer_allowed_actions(user, t)
        ]
        t.needs_letter = any(m["needs_letter"] for m in t.moves)
        t.history = [
            {
                "label": transfer_action_label(t.kind, s.action),
                "from_state": _state_label(s.from_state),
                "to_state": _state_label(s.to_state),
                "actor": s.actor_name,
                "note": s.note,
                "at": s.at,
            }
            for s in t.steps.all()
        ]
    return transfers


@console_view
@require_GET
def member_detail(request, member_id: int):
    user = request.user
    member = _masked(selectors.member_get(user, _pk(member_id)))
    extras = selectors.member_detail_extras(user, member)
    prefetch_related_objects(extras["transfers"], "steps")
    today = timezone.localdate()
    for r in extras["mobile"]:
        r.member = member
        r.contact_phone_masked = mask("phone", r.contact_phone)
        r.warning_labels = [selectors.WARNING_LABELS[c] for c in selectors.warnings_of(r, today)]
    can_manage = services.can_manage_members_in(user, member.org_path)
    return _render(
        request,
        "members/detail.html",
        {
            "member": member,
            "age": member.age(today),
            "party_age": member.party_age(today),
            "checkins": extras["checkins"],
            "mobile": extras["mobile"],
            "mobile_active": any(r.active for r in extras["mobile"]),
            "transfers": _transfer_rows(user, extras["transfers"]),
            "transfer_open": any(
                t.state in ("requested", "out_approved") for t in extras["transfers"]
            ),
            "can_manage": can_manage,
            "can_reveal": user.can("members.reveal_pii"),
            "reveal_purposes": list(pii.PURPOSES.items()),
            **views_sanctions.section_context(user, member, can_manage),
        },
    )


@console_view
@require_POST
def member_reveal(request, member_id: int):
    """One whole value (ID number or phone), audited; htmx swaps it in place of the mask."""
    user = request.user
    member = selectors.member_get(user, _pk(member_id))
    field = request.POST.get("field")
    if field not in ("id_number", "phone"):
        return HttpResponse("参数field应为id_number（身份证号码）或phone（手机号码）", status=400)
    label = "身份证号码" if field == "id_number" else "手机号码"
    ctx = {
        "member": member,
        "field": field,
        "label": label,
        "masked": mask(field, getattr(member, field)),
    }
    form = RevealForm(request.POST)
    status = 200
    try:
        pii.check_allowed(actor=user, obj=member, action="members.reveal_pii")
        if not form.is_valid():
            raise ValidationError(messages_of(form))
        ctx["value"] = pii.reveal(
            actor=user,
            obj=member,
            field=field,
            action="members.reveal_pii",
            purpose=form.cleaned_data["purpose"],
            reason=form.cleaned_data["reason"],
        )
        ctx["revealed"] = True
    except Forbidden as exc:
        if not request.htmx:
            raise
        ctx["error"] = exc.message
        return render(request, "members/_pii.html", ctx, status=403)
    except ValidationError as exc:
        ctx["error"] = "；".join(exc.messages)
        status = 422
    if request.htmx:
        response = render(request, "members/_pii.html", ctx, status=status)
    else:
        response = _render(request, "members/reveal.html", ctx, status=status)
    response["Cache-Control"] = "no-store"
    return response


@console_view
@require_http_methods(["GET", "POST"])
def member_new(request):
    user = request.user
    if request.method == "POST":
        org_id = _int(request.POST.get("org"))
        if org_id:  # an organization out of scope reads as absent, before anything else
            scope.get_visible(
                PartyOrg.objects.only("pk", "path", "area_path"),
                user,
                "organizations.view",
                pk=org_id,
            )
    if not _may_manage_somewhere(user):
        raise Forbidden("您没有新建党员档案的权限")
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(
                actor=user,
                org=_ref(PartyOrg, form.cleaned_data.get("org")),
                unit=_ref(Area, form.cleaned_data.get("unit")),
                **form.create_args(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已新建党员档案：{member.name}")
            return redirect("console:members:detail", member.pk)
    _prepare_pickers(form, user)
    return _render(request, "members/form.html", {"form": form, "member": None})


@console_view
@require_http_methods(["GET", "POST"])
def member_edit(request, member_id: int):
    user = request.user
    member = _masked(
        selectors.member_get(user, _pk(member_id), "members.manage", view_action="members.view")
    )
    form = MemberForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if "unit" in form.changed_data:
            changes["unit"] = _ref(Area, form.cleaned_data.get("unit"))
        if not changes:
            messages.info(request, "未作任何修改")
            return redirect("console:members:detail", member.pk)
        try:
            services.member_update(actor=user, member=member, **changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "档案已保存")
            return redirect("console:members:detail", member.pk)
    _prepare_pickers(form, user)
    return _render(request, "members/form.html", {"form": form, "member": member})


# --- transfers (组织关系转接) ---------------------------------------------------------------------


# --- mobile members (流动党员) -------------------------------------------------------------------


@console_view
@require_http_methods(["GET", "POST"])
def member_mobile(request, member_id: int):
    user = request.user
    member = selectors.member_get(
        user, _pk(member_id), "members.manage", view_action="members.view"
    )
    form = MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_register_mobile(
                actor=user,
                member=member,
                destination=data.get("destination") or "",
                left_on=data.get("left_on"),
                fixed_place=bool(data.get("fixed_place")),
                contact_phone=data.get("contact_phone") or "",
                card_number=data.get("card_number") or "",
                card_issuer=_ref(PartyOrg, data.get("card_issuer")),
                host_org=_ref(PartyOrg, data.get("host_org")),
                host_org_name=data.get("host_org_name") or "",
                last_contact_on=data.get("last_contact_on"),
            )
        except Conflict as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc, {"member": None})
        else:
            messages.success(request, "已登记为流动党员")
            return redirect("console:members:detail", member.pk)
    _prepare_pickers(form, user)
    return _render(request, "members/mobile_form.html", {"form": form, "member": member})


@console_view
@require_POST
def mobile_end(request, registration_id: int):
    """The member came back: the home organization ends the registration."""
    user = request.user
    reg = selectors.mobile_get(user, _pk(registration_id))
    try:
        services.mobile_end(actor=user, registration=reg)
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已登记返回，流动党员登记结束")
    if Member.objects.visible_to(user, "members.view").filter(pk=reg.member_id).exists():
        return redirect("console:members:detail", reg.member_id)
    return redirect("console:members:list")


# --- community check-in (双报到) -----------------------------------------------------------------


@console_view
@L.exportable
def checkin_list(request):
    """The community's view: the name, the work unit and the hours; never the file."""
    user = request.user
    _require(user, "members.checkin_view", "您没有查看报到党员的权限")
    form = CheckinFilterForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_bound and form.is_valid() else ""
    listed = L.listing_of(request, listings.CHECKINS)
    qs = listed.order(selectors.checkin_list(user, q=q))
    if listed.exporting:
        return listed.export(qs, filters={"q": q})
    page = paginate(request, qs, PAGE_SIZE)
    ctx = {"form": form, "q": q, "page": page, "listing": listed}
    return _render(request, "members/checkins.html", ctx)


# --- import --------------------------------------------------------------------------------------


IMPORT_SPEC = ImportKind(
    "members",
    "Excel导入党员",
    "",
    "人",
    services.members_import,
    excel.template_bytes,
    "党员导入模板.xlsx",
    excel.COLUMNS,
)


@console_view
@require_http_methods(["GET", "POST"])
def member_import(request):
    user = request.user
    if not _may_manage_somewhere(user):
        raise Forbidden("您没有导入党员的权限")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            if jobs.import_is_large(content):  # a large file runs in the background
                job = jobs.import_job_start(
                    actor=user, upload=upload, mode=form.cleaned_data["mode"]
                )
                return redirect("console:members:job", job_id=job.pk)
            report = services.members_import(
                actor=user, content=content, mode=form.cleaned_data["mode"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"columns": "file"})
    return _render(
        request,
        "members/import.html",
        {
            "form": form,
            "report": report,
            "errors_shown": report["errors"][:REPORT_ERRORS_SHOWN] if report else [],
            "errors_cut": report and len(report["errors"]) > REPORT_ERRORS_SHOWN,
            "spec": IMPORT_SPEC,
            "limit": REPORT_ERRORS_SHOWN,
        },
    )


@console_view
@require_GET
def import_template(request):
    return template_download(IMPORT_SPEC)


# --- statistics ----------------------------------------------------------------------------------

STAT_TABLES = (
    ("by_status", "党员状态"),
    ("by_gender", "性别"),
    ("by_age_band", "年龄段"),
    ("by_education", "学历"),
    ("by_occupation", "职业"),
    ("by_category", "党员类别"),
    ("by_join_period", "入党时间"),
    ("by_ethnicity", "民族"),
)


@console_view
@require_GET
def member_stats(request):
    user = request.user
    _require(user, "members.view", "您没有查看党员统计的权限")
    form = StatsForm(request.GET or None)
    args = {}
    if form.is_bound and form.is_valid():
        args = {k: v for k, v in form.cleaned_data.items() if v}
    stats = selectors.member_stats(user, **args)
    total = stats["total"]
    tables = []
    for key, title in STAT_TABLES:
        rows = [
            {**row, "share": f"{row['count'] * 100 / total:.1f}%" if total else "—"}
            for row in stats[key]
        ]
        tables.append({"key": key, "title": title, "rows": rows})
    _prepare_pickers(form, user)
    list_query = ""
    if args.get("org"):
        list_query = f"?org={args['org']}"
    return _render(
        request,
        "members/stats.html",
        {"form": form, "stats": stats, "tables": tables, "list_query": list_query},
    )
