"""The member-development console pages (发展党员).

Thin: reads go through ``selectors`` (and so through ``visible_to``), writes through
``services``; an applicant out of scope reads as 404, a move the user may not make is
``Forbidden`` (the 403 page), a refused step shows the rule and the date that satisfies it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scope, tree, workflow
from dangjian.core.crypto import mask
from dangjian.core.errors import Conflict
from dangjian.core.ids import MAX_PK
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden, scoped_object
from dangjian.development import registration, selectors, services, step_fields, targets
from dangjian.development import steps as S
from dangjian.development.forms import ApplicantForm, StepForm, TargetForm
from dangjian.development.models import Applicant, ApplicantStatus, Stage
from dangjian.members.models import Member, Status
from dangjian.organizations.models import PartyOrg
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import add_service_errors
from dangjian.web.paging import paginate

PAGE_SIZE = 20
TEXT_FIELDS = (
    "document_title",
    "talker",
    "method",
    "filed_with",
    "review_conclusion",
    "certificate_number",
    "volunteer_book_number",
    "group_name",
)
NUMBER_FIELDS = (
    "thought_reports",
    "training_days",
    "training_hours",
    "entitled",
    "present",
    "yes",
    "no",
    "abstain",
    "months",
)


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """Messages per field; ``general`` for the ones of no field (templates cannot read
    ``__all__``)."""
    if hasattr(exc, "error_dict"):
        out = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    else:
        out = {"__all__": [str(m) for m in exc.messages]}
    if "__all__" in out:
        out["general"] = out.pop("__all__")
    return out


def _masked(a: Applicant) -> Applicant:
    a.id_number_masked = mask("id_number", a.id_number)
    a.phone_masked = mask("phone", a.phone)
    return a


# --- list ------------------------------------------------------------------------------------


@console_view
@L.exportable
def applicant_list(request):
    user = request.user
    if not user.can("development.view"):
        raise Forbidden("您没有查看发展党员工作的权限")
    stage = request.GET.get("stage") or ""
    status = request.GET.get("status") or ""
    q = (request.GET.get("q") or "").replace("\x00", "")[:50]
    overdue = request.GET.get("overdue") == "1"
    error = ""
    try:
        qs = selectors.applicant_list(
            user, q=q, stage=stage or None, status=status or None, overdue=overdue
        )
    except ValidationError as exc:
        error = "；".join(m for v in _errors(exc).values() for m in v)
        qs = Applicant.objects.none()
    listed = L.listing_of(request, TABLE)
    qs = listed.order(qs)
    today = timezone.localdate()
    if listed.exporting:
        return listed.export(
            qs.select_related("org"),
            prepare=lambda chunk: [_decorate(a, today) for a in chunk],
            filters={"q": q, "stage": stage, "status": status, "overdue": overdue},
        )
    page = paginate(request, qs, PAGE_SIZE)
    rows = [_decorate(a, today) for a in page.object_list]
    return render(
        request,
        "development/list.html",
        {
            "page": page,
            "rows": rows,
            "stages": Stage.choices,
            "statuses": ApplicantStatus.choices,
            "stage": stage,
            "status": status,
            "q": q,
            "overdue": overdue,
            "error": error,
            "can_manage": user.can("development.manage"),
            "listing": listed,
        },
    )


def _decorate(a: Applicant, today) -> Applicant:
    a.move = selectors.next_move(a, today)
    a.stage_label = Stage(a.stage).label
    a.step_label = S.STEPS[a.step].label if a.step else "尚未办理"
    return a


# The list, declared once: its columns, their ``?sort=`` keys and its export.
TABLE = L.Table(
    title="入党申请人",
    object_type="development.applicant",
    columns=(
        L.Column("name", "姓名", "name", ("name",)),
        L.Column("org", "所在党组织", "org.name", ("org_path", "name")),
        L.Column("stage", "阶段", lambda a: f"{a.stage} {a.stage_label}", ("stage", "step")),
        L.Column(
            "step",
            "已完成步骤",
            lambda a: f"第{a.step}步 {a.step_label}" if a.step else "尚未办理",
        ),
        L.Column("status", "状态", "get_status_display", ("status",)),
        L.Column(
            "next",
            "下一步",
            lambda a: f"第{a.move.number}步 {a.move.label}" if a.move.number else "",
        ),
        L.Column("earliest", "最早可办理", "move.earliest", ("next_earliest",)),
        L.Column("due", "期限", "move.due", ("next_due",)),
        L.Column("overdue", "是否逾期", "move.overdue"),
    ),
)


# --- new applicant ---------------------------------------------------------------------------


def _handling_orgs(user) -> list[PartyOrg]:
    reach = scope.reach_of(user, "development.manage")
    if not reach.org_paths:
        return []
    qs = PartyOrg.objects.visible_to(user, "organizations.view").filter(
        kind__in=registration.HANDLING_KINDS
    )
    out = [
        o
        for o in qs.defer("contact_phone").order_by("path")[:500]
        if any(tree.is_within(o.path, p) for p in reach.org_paths)
    ]
    return out[:300]


@console_view
@require_http_methods(["GET", "POST"])
def applicant_new(request):
    user = request.user
    data = request.POST if request.method == "POST" else None
    form = ApplicantForm(data, orgs=_handling_orgs(user) if user.can("development.manage") else ())
    if data is not None and form.is_valid():
        org_id = form.cleaned_data["org"]
        try:
            org_pk = int(org_id) if org_id else None
        except ValueError:
            org_pk = None
        if org_pk is not None and not 0 < org_pk < MAX_PK:
            raise Http404("未找到")
        try:
            a = registration.applicant_create(actor=user, org=org_pk, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记入党申请人：{a.name}")
            return redirect("console:development:detail", a.pk)
    if not user.can("development.manage"):
        raise Forbidden("您没有登记入党申请人的权限")
    return render(request, "development/new.html", {"form": form})


# --- the applicant's page --------------------------------------------------------------------


def _candidates(user, a: Applicant) -> list[Member]:
    """Full members of the applicant's organization (contacts and sponsors are picked here)."""
    return list(
        Member.objects.visible_to(user, "members.view")
        .filter(
            org_path__gte=a.org_path,
            org_path__lt=tree.path_end(a.org_path),
            status=Status.FULL,
            left_on__isnull=True,
        )
        .only("pk", "name", "org_path")
        .order_by("name", "pk")[:300]
    )


def _form_spec(user, a: Applicant, posted: dict | None, errors=None) -> dict | None:
    n = a.next_step
    if n is None:
        return None
    d = S.STEPS[n]
    posted = posted or {}
    spec = {
        "number": n,
        "label": d.label,
        "hint": d.hint,
        "fields": list(d.fields),
        "required": list(d.required),
        "values": posted,
        "inputs": [
            {
                "name": f,
                "label": step_fields.FIELD_LABELS.get(f, f),
                "type": "text" if f in TEXT_FIELDS else "number",
                "value": posted.get(f, ""),
                "required": f in d.required,
                "errors": (errors or {}).get(f, []),
            }
            for f in d.fields
            if f in TEXT_FIELDS or f in NUMBER_FIELDS
        ],
    }
    if set(d.fields) & {"contacts", "sponsors"}:
        spec["members"] = _candidates(user, a)
        spec["picked"] = {str(v) for v in posted.get("people", [])}
    if "approving_org_id" in d.fields:
        spec["approvers"] = services.approvers_for(a)
    if "review_items" in d.fields:
        spec["review_items"] = [
            (k, label, (posted.get("review_items") or {}).get(k, ""))
            for k, label in S.REVIEW_ITEMS.items()
        ]
    return spec


def _detail_context(user, a: Applicant, posted=None, errors=None, conflict="", warnings=None):
    rows = selectors.history(a)
    ppl = selectors.people(a)
    done = {s.number: s for s in rows if s.number}
    timeline = []
    for d in S.STEPS.values():
        s = done.get(d.number)
        timeline.append(
            {
                "number": d.number,
                "stage": d.stage,
                "stage_label": S.STAGES[d.stage],
                "label": d.label,
                "done": s,
                "current": d.number == a.next_step,
            }
        )
    can_manage = scope.is_visible(a, user, "development.manage")
    allowed = workflow.allowed_actions(services.APPLICANT, user, a) if can_manage else []
    codes = {x["action"] for x in allowed}
    return {
        "a": _masked(a),
        "stage_label": Stage(a.stage).label,
        "status_label": ApplicantStatus(a.status).label,
        "step_label": S.STEPS[a.step].label if a.step else "尚未办理",
        "move": selectors.next_move(a),
        "timeline": timeline,
        "history": rows,
        "contacts": ppl["contact"],
        "sponsors": ppl["sponsor"],
        "can_manage": can_manage,
        "form": _form_spec(user, a, posted, errors) if can_manage else None,
        "allowed_actions": allowed,
        "can_extend": "extend" in codes,
        "can_cancel": "cancel" in codes,
        "errors": errors or {},
        "conflict": conflict,
        "warnings": warnings or [],
        "today": timezone.localdate(),
    }


@console_view
@require_GET
@scoped_object("applicant_id", selectors.applicant_get, name="a")
def applicant_detail(request, a):
    return render(request, "development/detail.html", _detail_context(request.user, a))


def _step_form_fields(a: Applicant, number: int | None) -> set[str]:
    """The fields the page's step form shows a message on when the move posted was its step
    (the messages of any other move read above the form)."""
    if not number or number != a.next_step:
        return {"general"}
    return {"general", "date", "note", *S.STEPS[number].fields}


@console_view
@require_POST
def applicant_transition(request, applicant_id: int):
    user = request.user
    a = selectors.applicant_get(user, _pk(applicant_id))
    form = StepForm(request.POST)
    form.is_valid()  # values as typed: the service checks them and names what is wrong
    action, number, shown = form.cleaned_data["action"], form.number, form.shown()
    try:
        moved = services.applicant_transition(actor=user, applicant=a, **form.service_kwargs())
    except ValidationError as exc:
        add_service_errors(form, exc)
        a = selectors.applicant_get(user, a.pk)
        errors = form.error_map(_step_form_fields(a, number))
        ctx = _detail_context(user, a, shown, errors=errors)
        return render(request, "development/detail.html", ctx, status=422)
    except Conflict as exc:
        a = selectors.applicant_get(user, a.pk)
        ctx = _detail_context(user, a, shown, conflict=exc.message)
        return render(request, "development/detail.html", ctx, status=409)
    label = (
        f"第{number}步“{S.STEPS[number].label}”"
        if number
        else ("延长预备期" if action == "extend" else "终止培养考察")
    )
    messages.success(request, f"已办理{label}")
    for w in moved.last_warnings:
        messages.warning(request, w)
    return redirect("console:development:detail", a.pk)


# --- the board -------------------------------------------------------------------------------


def _board_context(request, errors=None):
    user = request.user
    if not user.can("development.view"):
        raise Forbidden("您没有查看发展党员工作的权限")
    org = request.GET.get("org") or None
    area = request.GET.get("area") or None
    year = request.GET.get("year") or None
    for value in (org, area, year):
        if value is not None and not (value.isdigit() and 0 < int(value) < MAX_PK):
            raise Http404("未找到")
    b = selectors.board(user, org=org, area=area, year=year)
    today = b["today"]
    for key in ("overdue", "ready", "upcoming"):
        for a in b[key]:
            a.move = selectors.next_move(a, today)
    node = b["node"]
    tree_name = None if node is None else ("org" if isinstance(node, PartyOrg) else "area")
    can_set = False
    if node is not None:
        reach = scope.reach_of(user, "development.manage")
        paths = reach.org_paths if tree_name == "org" else reach.area_paths
        can_set = any(tree.is_within(node.path, p) for p in paths)
    return {
        "b": b,
        "node": node,
        "tree": tree_name,
        "stages": [(k, Stage(k).label, v) for k, v in b["stages"].items()],
        "statuses": [(k, ApplicantStatus(k).label, v) for k, v in b["statuses"].items()],
        "can_set": can_set,
        "errors": errors or {},
        "target_labels": targets.TARGET_LABELS,
    }


@console_view
@require_GET
def board(request):
    return render(request, "development/board.html", _board_context(request))


@console_view
@require_POST
def target_set(request):
    user = request.user
    form = TargetForm(request.POST)
    form.is_valid()  # text fields only: always readable
    data = form.cleaned_data
    tree_name, raw = data["tree"], data["node"]
    if not raw.isdigit() or not 0 < int(raw) < MAX_PK or tree_name not in ("org", "area"):
        raise Http404("未找到")
    node = int(raw)
    try:
        targets.target_set(
            actor=user,
            year=data["year"],
            org=node if tree_name == "org" else None,
            area=node if tree_name == "area" else None,
            **{k: data[k] for k in targets.TARGET_FIELDS},
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        msg = "；".join(m for v in form.errors.values() for m in v)
        messages.error(request, f"年度目标未保存：{msg}")
    else:
        messages.success(request, "已保存年度目标")
    year = data["year"]
    return redirect(f"/development/board/?{tree_name}={node}&year={year if year.isdigit() else ''}")
