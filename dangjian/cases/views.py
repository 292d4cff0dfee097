"""Console pages of the grid event closed loop (网格事件), included under ``cases/``.

Thin: reads go through ``selectors`` (and so through ``visible_to``), every move through
``services.event_transition`` (the one transition path), photos through
``services.event_attachments_add``. An event out of scope reads as 404; a move the user may
not make is ``Forbidden`` (the 403 page).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts import labels
from dangjian.accounts.models import Department
from dangjian.cases import batch, excel, ratings, selectors, services, sla, tables
from dangjian.cases.classification import classifier
from dangjian.cases.classification.classifier import method_label
from dangjian.cases.flow import EVENT, resolve_department
from dangjian.cases.forms import (
    EventClassForm,
    EventFilterForm,
    MetricsForm,
    TransitionForm,
    add_service_errors,
    follow_up_of,
)
from dangjian.cases.models import (
    ACTION_LABELS,
    FLOW,
    Event,
    EventClass,
    LimitUnit,
    SlaStatus,
    State,
)
from dangjian.core import downloads, scope, tree, workflow
from dangjian.core.choices import label
from dangjian.core.crypto import mask
from dangjian.core.errors import Conflict
from dangjian.core.files import file_response
from dangjian.core.ids import MAX_PK
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden, scoped_object
from dangjian.core.workdays import OFFICE_TZ
from dangjian.territory.models import Area
from dangjian.web import batch as web_batch
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

PAGE_SIZE = 20
MAX_AREA_OPTIONS = 300
MAX_DEPARTMENT_OPTIONS = 300
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COMMUNITY_LEVEL = 4
INBOX_BOXES = {
    "todo": ("待签收", (State.DISPATCHED,)),
    "doing": ("处置中", (State.HANDLING, State.EXTENSION_REQUESTED)),
    "done": ("已处置", (State.HANDLED, State.CLOSED, State.EVALUATED)),
    "returned": ("已退单", (State.RETURNED,)),
}
# Which form fields each move shows (besides the note when the move needs one).
MOVE_FIELDS = {
    "open": ("class_code",),
    "dispatch": ("class_code", "department_id"),
    "redispatch": ("class_code", "department_id"),
    "request_extension": ("extension_days", "extension_hours"),
    "finish": ("photos",),
    "evaluate": ("rating", "call_date", "callee", "call_note"),
    "verify_pass": ("resolution",),
}
OPEN_DISPATCH = "open_dispatch"  # 立案 then 派遣, one form (not a move of the flow)
DANGER_MOVES = {"cancel", "return", "verify_fail", "refuse_extension", "escalate", "reopen"}


def _require(user, action: str, message: str) -> None:
    if not user.can(action):
        raise Forbidden(message)


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _day_start(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(0, 0), tzinfo=OFFICE_TZ)


def area_choices(user) -> list[tuple[int, str]]:
    """The areas down to the community level the user sees events in, indented by level."""
    reach = scope.reach_of(user, "cases.view")
    if not reach.area_paths:
        return []
    q = None
    for start, end in tree.merge_ranges(list(reach.area_paths)):
        part = Area.objects.filter(path__gte=start, path__lt=end)
        q = part if q is None else q | part
    rows = (
        q.filter(level__lte=COMMUNITY_LEVEL)
        .order_by("path")
        .values_list("pk", "name", "depth")[:MAX_AREA_OPTIONS]
    )
    rows = list(rows)
    top = min((d for _pk, _n, d in rows), default=0)
    return [(pk, "\u3000" * (d - top) + name) for pk, name, d in rows]


def department_choices(user) -> list[tuple[int, str]]:
    """Departments the user's events may be dispatched to: in their subtree or above it;
    a department user's own."""
    reach = scope.reach_of(user, "cases.view")
    qs = Department.objects.filter(active=True).only("pk", "name", "area_path")
    if reach.area_paths:
        paths = set()
        cond = None
        for start, end in tree.merge_ranges(list(reach.area_paths)):
            paths.update(tree.ancestors_of(start))
            part = qs.filter(area_path__gte=start, area_path__lt=end)
            cond = part if cond is None else cond | part
        cond = cond | qs.filter(area_path__in=paths)
        qs = cond
    elif reach.department_ids:
        qs = qs.filter(pk__in=reach.department_ids)
    else:
        return []
    rows = qs.order_by("area_path", "name").values_list("pk", "name", "area_path")
    rows = list(rows[:MAX_DEPARTMENT_OPTIONS])
    found = labels.department_labels(rows)
    return [(pk, found[pk]) for pk, _name, _path in rows]


def event_departments(event: Event) -> list[tuple[int, str]]:
    """The departments that may take ``event``: those serving its area
    (``accounts.departments``)."""
    from dangjian.accounts.departments import serving_q

    rows = list(
        Department.objects.filter(serving_q(event.area_path), active=True)
        .distinct()
        .order_by("-area_path", "name")
        .values_list("pk", "name", "area_path")
    )
    found = labels.department_labels(rows)
    return [(pk, found[pk]) for pk, _name, _path in rows]


def _decorate(events, now) -> list[Event]:
    events = labels.label_departments(events)
    for e in events:
        e.sla_code = sla.status(e, now)
        e.sla_label = label(SlaStatus, e.sla_code)
    return events


# --- the list -------------------------------------------------------------------------------------


def _filtered(request, user):
    form = EventFilterForm(
        request.GET or None, areas=area_choices(user), departments=department_choices(user)
    )
    if form.is_bound and not form.is_valid():
        # A filter that does not parse (an area out of reach among them) shows nothing.
        return form, Event.objects.none()
    try:
        qs = selectors.event_list(user, **form.selector_args())
    except ValidationError as exc:
        add_service_errors(form, exc, {"sla": "sla"})
        return form, Event.objects.none()
    data = getattr(form, "cleaned_data", {})
    if data.get("date_from"):
        qs = qs.filter(reported_at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        qs = qs.filter(reported_at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    return form, qs


@console_view
@L.exportable
def event_list(request):
    user = request.user
    _require(user, "cases.view", "您没有查看网格事件的权限")
    form, qs = _filtered(request, user)
    listed = L.listing_of(request, tables.EVENTS)
    qs = listed.order(qs)
    now = timezone.now()
    if listed.exporting:
        return listed.export(qs.select_related("grid"), prepare=lambda c: _decorate(c, now))
    page = paginate(request, qs, PAGE_SIZE)
    rows = _decorate(list(page.object_list), now)
    data = getattr(form, "cleaned_data", {})
    can_batch = user.can("cases.dispatch") and bool(
        scope.reach_of(user, "cases.dispatch").area_paths
    )
    for e in rows:
        e.batchable = can_batch and e.state in batch.DISPATCH_MOVE
    return render(
        request,
        "cases/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": any(v not in (None, "") for v in data.values()),
            "has_inbox": bool(scope.reach_of(user, "cases.handle").department_ids),
            "can_intake": user.can("cases.dispatch") and user.can("cases.create"),
            "listing": listed,
            "batch_departments": department_choices(user) if can_batch else [],
        },
    )


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_PK else None


@console_view
@require_POST
def event_batch_dispatch(request):
    """Dispatch the ticked events to one department (``cases.batch``: all or nothing, each
    refused row named)."""
    return web_batch.batch_post(
        request,
        prefix="/cases/",
        default="console:cases:list",
        run=lambda: batch.event_batch_dispatch(
            actor=request.user,
            event_ids=web_batch.posted_ids(request, "event_ids"),
            department_id=_int(request.POST.get("department_id")),
            note=request.POST.get("note") or "",
        ),
        done=lambda moved: f"已将{len(moved)}件事件派遣至“{moved[0].department.name}”",
    )


# --- the department's inbox -------------------------------------------------------------------


@console_view
@L.exportable
def inbox(request):
    """The events dispatched to the user's department(s), by where they stand."""
    user = request.user
    departments = scope.reach_of(user, "cases.handle").department_ids
    if not departments:
        listed = L.listing_of(request, tables.INBOX)
        if listed.exporting:  # no department, no rows: the export says so (audited, 0 rows)
            return listed.export([])
        return render(request, "cases/inbox.html", {"rows": [], "boxes": [], "no_department": True})
    box = request.GET.get("box") or "todo"
    if box not in INBOX_BOXES:
        box = "todo"
    qs = selectors.event_list(user).filter(
        department_id__in=departments, state__in=INBOX_BOXES[box][1]
    )
    if box in ("todo", "doing"):
        qs = qs.order_by("deadline", "id")
    listed = L.listing_of(request, tables.INBOX)
    qs = listed.order(qs)
    if listed.exporting:
        now = timezone.now()
        return listed.export(qs.select_related("grid"), prepare=lambda c: _decorate(c, now))
    page = paginate(request, qs, PAGE_SIZE)
    rows = _decorate(list(page.object_list), timezone.now())
    counts = dict(
        selectors.event_list(user)
        .filter(department_id__in=departments)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    boxes = [
        {"code": code, "label": lab, "count": sum(counts.get(s, 0) for s in states)}
        for code, (lab, states) in INBOX_BOXES.items()
    ]
    return render(
        request,
        "cases/inbox.html",
        {"page": page, "rows": rows, "box": box, "boxes": boxes, "listing": listed},
    )


# --- one event --------------------------------------------------------------------------------------


def _move_forms(user, event: Event, bound: dict | None = None) -> list[dict]:
    """The moves ``user`` may make on ``event`` now, each with its form."""
    out = []
    departments = None
    for allowed in workflow.allowed_actions(EVENT, user, event):
        action = allowed["action"]
        move = FLOW[action]
        fields = list(MOVE_FIELDS.get(action, ()))
        if action == "evaluate" and ratings.rates_own_report(user, event):
            fields = ["rating"]  # the reporter's own rating: no follow-up call
        if action == "request_extension":
            # One question: how much longer, in the unit the event's own time limit runs in.
            hours = event.limit_unit == LimitUnit.WORKHOURS
            fields = ["extension_hours" if hours else "extension_days"]
        if "department_id" in fields and departments is None:
            departments = event_departments(event)
        form = (bound or {}).get(action) or TransitionForm(
            initial={"action": action}, departments=departments or ()
        )
        out.append(
            {
                "action": action,
                "label": move.label,
                "form": form,
                "fields": fields,
                "needs_note": "note" in move.needs,
                "danger": action in DANGER_MOVES,
            }
        )
        if action == "open":
            # 立案并派遣 in one step (issue 18): the same two moves, one form, one transaction.
            if departments is None:
                departments = event_departments(event)
            combined = (bound or {}).get(OPEN_DISPATCH) or TransitionForm(
                initial={"action": OPEN_DISPATCH}, departments=departments or ()
            )
            out.append(
                {
                    "action": OPEN_DISPATCH,
                    "label": "立案并派遣",
                    "form": combined,
                    "fields": ["class_code", "department_id"],
                    "needs_note": False,
                    "danger": False,
                }
            )
    return out


def _suggestion(event: Event) -> dict | None:
    """The class suggested from the text (with its confidence) and the department it goes
    to by default, for the dispatcher."""
    found, _toks = classifier.suggest(event.description)
    if found.code is None:
        return None
    klass = EventClass.objects.filter(pk=found.pk).first()
    # The department history used most for the class (a trained model), else the default.
    name = getattr(found, "department_name", "") or (klass.department_name if klass else "")
    dept = resolve_department(event, name)
    method = getattr(found, "method", "")
    return {
        "code": found.code,
        "name": found.name,
        "confidence": found.confidence,
        "percent": round(found.confidence * 100),
        "keywords": found.keywords,
        "department": dept,
        "department_label": labels.department_label(dept),
        "limit": sla.limit_text(klass.limit_value, klass.limit_unit) if klass else "",
        "method": method_label(method) if method else "",
    }


def _detail(request, event: Event, *, bound=None, error: str = "", status: int = 200):
    user = request.user
    now = timezone.now()
    extras = selectors.event_detail_extras(user, event)
    attachments = selectors.attachment_list(user, event)
    steps = extras["steps"]
    by_step: dict[int, list] = {}
    for a in attachments:
        if a.step_id:
            by_step.setdefault(a.step_id, []).append(a)
    for s in steps:
        s.action_label = ACTION_LABELS.get(s.action, s.action)
        s.to_state_label = label(State, s.to_state) if s.to_state else ""
        s.sla_label = label(SlaStatus, s.sla_status)
        s.photos = by_step.get(s.pk, [])
    event.sla_code = sla.status(event, now)
    event.sla_label = label(SlaStatus, event.sla_code)
    labels.label_departments([event])
    labels.label_departments(extras["notices"])
    mine = event.reporter_id == user.pk
    moves = _move_forms(user, event, bound)
    show_suggestion = any(m["action"] in ("open", "dispatch", "redispatch") for m in moves)
    return render(
        request,
        "cases/detail.html",
        {
            "event": event,
            "reporter_name": (
                services.ANONYMOUS_NAME if event.anonymous and not mine else event.reporter_name
            ),
            "reporter_phone": mask("phone", event.reporter_phone),
            "steps": steps,
            "notices": extras["notices"],
            "duplicates": extras["duplicates"],
            "photos": [a for a in attachments if not a.step_id],
            "moves": moves,
            "suggestion": _suggestion(event) if show_suggestion else None,
            "limit": sla.limit_text(event.limit_value, event.limit_unit),
            "pending_extension": sla.limit_text(
                event.pending_extension_value, event.pending_extension_unit
            ),
            "error": error,
            "can_attach": event.state not in (State.CANCELLED, State.CLOSED, State.EVALUATED),
        },
        status=status,
    )


@console_view
@require_GET
@scoped_object("event_id", selectors.event_get)
def event_detail(request, event):
    return _detail(request, event)


@console_view
@require_POST
def event_transition(request, event_id: int):
    """One move through the one transition service; a finish may carry the handler's photos
    (stored on the finish step in the same transaction: a bad photo refuses the move)."""
    user = request.user
    event = selectors.event_get(user, _pk(event_id))
    form = TransitionForm(
        request.POST, request.FILES, departments=event_departments(event) if event else ()
    )
    action = request.POST.get("action", "")
    if not form.is_valid():
        return _detail(request, event, bound={action: form}, status=422)
    data = form.cleaned_data
    dept_id = data.get("department_id")
    try:
        with transaction.atomic():
            if action == OPEN_DISPATCH:
                event = services.event_transition(
                    actor=user,
                    event=event,
                    action="open",
                    note="",
                    class_code=data.get("class_code") or "",
                )
                if not dept_id:
                    raise ValidationError({"department_id": ["请选择承办部门"]})
            moved = services.event_transition(
                actor=user,
                event=event,
                action="dispatch" if action == OPEN_DISPATCH else action,
                note=data.get("note") or "",
                class_code=data.get("class_code") or "",
                department=Department(pk=dept_id) if dept_id else None,
                extension_days=data.get("extension_days"),
                extension_hours=data.get("extension_hours"),
                rating=data.get("rating") or "",
                follow_up=follow_up_of(data),
                resolution=data.get("resolution") or "",
            )
            photos = data.get("photos") or []
            if photos:
                if action != "finish":
                    raise ValidationError({"photos": ["只有“处置完毕”可以附处置照片"]})
                step = moved.steps.order_by("-id").first()
                services.event_attachments_add(actor=user, event=moved, uploads=photos, step=step)
    except ValidationError as exc:
        add_service_errors(form, exc, {"file": "photos"})
        event = selectors.event_get(user, event.pk)
        return _detail(request, event, bound={action: form}, status=422)
    except Conflict as exc:
        event = selectors.event_get(user, event.pk)
        return _detail(request, event, error=exc.message, status=409)
    messages.success(
        request, "已立案并派遣" if action == OPEN_DISPATCH else f"已{FLOW[action].label}"
    )
    try:
        selectors.event_get(user, moved.pk)
    except Http404:
        # The move took the event out of the user's sight (a department's return).
        back = (
            "console:cases:inbox"
            if scope.reach_of(user, "cases.handle").department_ids
            else "console:cases:list"
        )
        return redirect(reverse(back))
    return redirect(reverse("console:cases:detail", args=[moved.pk]))


@console_view
@require_POST
def event_attach(request, event_id: int):
    user = request.user
    event = selectors.event_get(user, _pk(event_id))
    try:
        services.event_attachments_add(
            actor=user, event=event, uploads=request.FILES.getlist("file")
        )
    except ValidationError as exc:
        return _detail(request, event, error="；".join(exc.messages), status=422)
    except Conflict as exc:
        return _detail(request, event, error=exc.message, status=409)
    messages.success(request, "照片已上传")
    return redirect(reverse("console:cases:detail", args=[event.pk]))


@console_view
@require_GET
def attachment(request, event_id: int, attachment_id: int):
    found = selectors.attachment_get(request.user, _pk(event_id), _pk(attachment_id))
    return file_response(found.file)


# --- the taxonomy ---------------------------------------------------------------------------------


def _may_configure(user) -> bool:
    reach = scope.reach_of(user, "cases.configure")
    return any(tree.depth_of(p) == 1 for p in reach.area_paths)


def _class_form(klass: EventClass, data=None, prefix=None) -> EventClassForm:
    return EventClassForm(
        data,
        prefix=prefix,
        initial={
            "code": klass.code,
            "name": klass.name,
            "kind": klass.kind,
            "department_name": klass.department_name,
            "limit_value": klass.limit_value,
            "limit_unit": klass.limit_unit,
            "keywords": " ".join(klass.keywords or []),
            "active": klass.active,
            "sort": klass.sort,
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def taxonomy(request):
    """The event and facility classes: default department, time limit, keywords. A city-level
    ``cases.configure`` grant edits them (the services say so too)."""
    user = request.user
    _require(user, "cases.view", "您没有查看事件类别的权限")
    can_edit = _may_configure(user)
    classes = list(EventClass.objects.order_by("sort", "id"))
    new_form = EventClassForm(initial={"active": True, "limit_unit": "workdays"}, prefix="new")
    edit_pk = None
    edit_form = None
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise Forbidden("只有市级管理员可以维护事件类别")
        target = request.POST.get("class_id")
        try:
            if target:
                klass = next((c for c in classes if str(c.pk) == target), None)
                if klass is None:
                    raise Http404("未找到")
                edit_pk = klass.pk
                edit_form = _class_form(klass, request.POST, prefix=f"c{klass.pk}")
                if edit_form.is_valid():
                    services.event_class_update(
                        actor=user, event_class=klass, **edit_form.values(creating=False)
                    )
                    messages.success(request, f"已保存“{klass.name}”")
                    return redirect(reverse("console:cases:taxonomy"))
            else:
                new_form = EventClassForm(request.POST, prefix="new")
                if new_form.is_valid():
                    created = services.event_class_create(
                        actor=user, **new_form.values(creating=True)
                    )
                    messages.success(request, f"已新增类别“{created.name}”")
                    return redirect(reverse("console:cases:taxonomy"))
        except ValidationError as exc:
            add_service_errors(edit_form if target else new_form, exc)
        status = 422
    rows = []
    for c in classes:
        c.limit_label = sla.limit_text(c.limit_value, c.limit_unit)
        c.form = (
            edit_form
            if c.pk == edit_pk
            else (_class_form(c, prefix=f"c{c.pk}") if can_edit else None)
        )
        c.open = c.pk == edit_pk
        rows.append(c)
    return render(
        request,
        "cases/taxonomy.html",
        {
            "rows": rows,
            "can_edit": can_edit,
            "new_form": new_form,
            "new_open": status == 422 and edit_pk is None,
        },
        status=status,
    )


# --- metrics --------------------------------------------------------------------------------------


def _metrics_form(request, user) -> MetricsForm:
    form = MetricsForm(
        request.GET or None, areas=area_choices(user), departments=department_choices(user)
    )
    if form.is_bound:
        form.is_valid()
    return form


@console_view
@require_GET
def metrics(request):
    user = request.user
    _require(user, "cases.view", "您没有查看事件统计的权限")
    form = _metrics_form(request, user)
    figures = None
    if not form.errors:
        try:
            figures = selectors.event_metrics(user, **form.selector_args())
            rows = [figures["totals"], *figures["by_class"], *figures["by_department"]]
            for f in [*rows, *figures["by_child"]]:
                for rate in ("closure", "on_time", "response", "resolution", "satisfaction"):
                    value = f[f"{rate}_rate"]
                    f[f"{rate}_pct"] = "—" if value is None else f"{value * 100:.1f}%"
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "cases/metrics.html",
        {"form": form, "figures": figures, "export_query": _query_without(request, "page")},
    )


@console_view
@require_GET
def metrics_export(request):
    user = request.user
    _require(user, "cases.view", "您没有导出事件统计的权限")
    form = _metrics_form(request, user)
    back = f"{reverse('console:cases:metrics')}?{_query_without(request)}"
    if form.errors:
        messages.error(request, "统计条件有误，请修改后再导出")
        return redirect(back)
    try:
        content = excel.metrics_export(actor=user, **form.selector_args())
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(back)
    return downloads.attachment(content, "网格事件统计.xlsx", stamp=True)
