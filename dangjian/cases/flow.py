"""The grid event closed loop on the kernel's engine (``core.workflow``): ``models.FLOW`` is the
data; this module declares its sides, its fields, each move's effect, the history row
(``EventStep``) and the audit row, and ``EVENT`` is the flow ``services.event_transition`` runs.

The clock starts at a dispatch (a new deadline at each), stops at a return or an escalation,
moves with a granted extension; the department's report of the result freezes whether it was
on time. A rating is the reporter's own, or staff's with the follow-up call it comes from
(``follow_up``: ``call_date``, ``callee``, ``call_note``; ``ratings``).
"""

from __future__ import annotations

from django.utils import timezone

from dangjian.accounts import departments, labels
from dangjian.accounts.models import Department
from dangjian.cases import overdue, ratings, sla, verification
from dangjian.cases.models import (
    FLOW,
    ClassSource,
    Event,
    EventClass,
    EventNotice,
    EventStep,
    LimitUnit,
    NoticeKind,
    Rating,
    State,
)
from dangjian.core import audit, scope, tree, workflow
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_free_text, clean_text
from dangjian.territory.models import Area

MAX_NOTE = 500
ANONYMOUS_NAME = "匿名群众"


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _actor_name(actor) -> str:
    return (str(actor) if _is_user(actor) else "系统")[:150]


def _snapshot(event: Event) -> dict:
    return audit.snapshot(event, Event.AUDIT_FIELDS)


def _class_by_code(errors: Errors, field: str, code: str) -> EventClass | None:
    code = clean_text(code)
    if not code:
        return None
    klass = EventClass.objects.filter(code=code, active=True).first()
    if klass is None:
        errors.add(field, f"事件类别“{code[:32]}”不存在或已停用")
    return klass


# --- the sides --------------------------------------------------------------------------------------


def _reaches(reach: scope.Reach, event: Event) -> bool:
    """Whether ``reach`` covers ``event`` the way ``Event.scope_fields`` reads it."""
    if any(tree.is_within(event.area_path, p) for p in reach.area_paths):
        return True
    if reach.user_id and event.reporter_id == reach.user_id:
        return True
    return bool(event.department_id) and event.department_id in reach.department_ids


def _side_level(actor, event: Event, move) -> str | None:
    reach = scope.reach_of(actor, move.permission)
    if any(tree.is_within(event.dispatch_area_path, p) for p in reach.area_paths):
        return None
    return f"只有派遣层级（{event.dispatch_area.name}）及其上级可以执行“{move.label}”"


def _side_department(actor, event: Event, move) -> str | None:
    reach = scope.reach_of(actor, move.permission)
    if event.department_id and event.department_id in reach.department_ids:
        return None
    return f"只有承办部门可以执行“{move.label}”"


def _side_scope(actor, event: Event, move) -> str | None:
    if _reaches(scope.reach_of(actor, move.permission), event):
        return None
    return f"您没有执行“{move.label}”的权限"


# --- departments, the history row, the fields ---------------------------------------------------------


def resolve_department(event: Event, name: str) -> Department | None:
    """The department called ``name`` serving the event (``accounts.departments``): the one
    whose served area nearest the event is at or above the dispatching area; failing that,
    the nearest below it on the way down to the event."""
    if not name:
        return None
    found = list(
        Department.objects.filter(departments.serving_q(event.area_path), name=name, active=True)
        .distinct()
        .defer("phone")
    )
    if not found:
        return None
    paths = departments.served_paths(found)
    nearest = {d.pk: departments.nearest_served(paths[d.pk], event.area_path) or "" for d in found}
    found.sort(key=lambda d: -len(nearest[d.pk]))
    at_or_above = [d for d in found if tree.is_within(event.dispatch_area_path, nearest[d.pk])]
    return (at_or_above or found)[0]


def _explicit_department(errors: Errors, event: Event, department) -> Department | None:
    dept = (
        Department.objects.filter(pk=department.pk, active=True).defer("phone").first()
        if department is not None and department.pk
        else None
    )
    serves = dept is not None and departments.nearest_served(
        departments.served_paths([dept])[dept.pk], event.area_path
    )
    if not serves:
        errors.add("department_id", "承办部门不存在、已停用或不服务于事件所在区域")
        return None
    return dept


def _step(event, actor, action, from_state, to_state, note, sla_status, at, data=None):
    name = _actor_name(actor)
    if event.anonymous and _is_user(actor) and actor.pk == event.reporter_id:
        name = ANONYMOUS_NAME
    return EventStep.objects.create(
        event=event,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor if _is_user(actor) else None,
        actor_name=name,
        note=note[:MAX_NOTE],
        sla_status=sla_status,
        deadline=event.deadline,
        department_name=labels.department_label(event.department)[:100],
        data=data or {},
        at=at,
    )


def _extension(errors: Errors, days, hours) -> tuple[int, str] | None:
    given = [(v, u) for v, u in ((days, LimitUnit.WORKDAYS), (hours, LimitUnit.WORKHOURS)) if v]
    if len(given) != 1:
        errors.add(
            "extension_days",
            "请填写延期的工作日数（extension_days）或工作小时数（extension_hours），二者选一",
        )
        return None
    value, unit = given[0]
    limit = int(
        sla.setting(
            "CASES_MAX_EXTENSION_DAYS"
            if unit == LimitUnit.WORKDAYS
            else "CASES_MAX_EXTENSION_HOURS"
        )
    )
    field = "extension_days" if unit == LimitUnit.WORKDAYS else "extension_hours"
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        errors.add(field, f"延期时长应在1到{limit}之间")
        return None
    return value, unit


# --- each move's own effect -------------------------------------------------------------------------

NOTE_REQUIRED = {
    "cancel": "请填写不予立案的理由",
    "return": "请填写退单理由",
    "request_extension": "请填写延期理由",
    "refuse_extension": "请填写不同意延期的理由",
    "finish": "请填写处置情况",
    "verify_fail": "请填写核查不通过的原因",
    "escalate": "请填写上报理由",
    "reopen": "请填写重新启动的原因",
}


# Each move's own effect on the event, after the common checks; an effect may still refuse
# (a Conflict, or a field error collected in ``errors``) before anything is saved.


def _open(ev: Event, *, now, **kw) -> None:
    ev.opened_at = now


def _cancel(ev: Event, **kw) -> None:
    pass


def _dispatch(ev: Event, *, now, dept, data, errors, **kw) -> None:
    klass = ev.event_class
    if dept is None:
        dept = resolve_department(ev, klass.department_name)
        if dept is None:
            errors.add(
                "department_id",
                f"未找到“{klass.name}”的默认承办部门“{klass.department_name or '未设置'}”，"
                "请指定承办部门",
            )
            return
    ev.department = dept
    ev.limit_value, ev.limit_unit = klass.limit_value, klass.limit_unit
    ev.dispatched_at = now
    ev.first_dispatched_at = ev.first_dispatched_at or now
    ev.deadline = sla.deadline_for(now, klass.limit_value, klass.limit_unit)
    ev.chase_at = sla.chase_moment(now, ev.deadline)
    ev.overdue_at = None
    ev.accepted_at = None
    ev.on_time = None
    ev.handled_at = None
    ev.handling_seconds = None
    data.update(
        {
            "department_id": dept.pk,
            "department_name": dept.name,
            "limit": sla.limit_text(ev.limit_value, ev.limit_unit),
        }
    )


def _accept(ev: Event, *, now, **kw) -> None:
    ev.accepted_at = now


def _return(ev: Event, *, data, **kw) -> None:
    data["department_name"] = ev.department.name if ev.department_id else ""
    ev.deadline = None
    ev.chase_at = None
    ev.pending_extension_value, ev.pending_extension_unit = None, ""
    ev.return_count += 1


def _request_extension(ev: Event, *, now, extension, data, **kw) -> None:
    if ev.deadline is None or now > ev.deadline:
        at = timezone.localtime(ev.deadline).strftime("%Y-%m-%d %H:%M") if ev.deadline else ""
        raise Conflict(f"已超过处置期限（{at}），不能再申请延期")
    limit = int(sla.setting("CASES_MAX_EXTENSIONS"))
    if ev.extension_count >= limit:
        raise Conflict(f"该事件已延期{ev.extension_count}次，不能再申请延期（最多{limit}次）")
    ev.pending_extension_value, ev.pending_extension_unit = extension
    data["extension"] = sla.limit_text(*extension)


def _grant_extension(ev: Event, *, now, data, **kw) -> None:
    value, unit = ev.pending_extension_value, ev.pending_extension_unit
    ev.deadline = sla.extended(ev.deadline, value, unit)
    ev.chase_at = sla.chase_moment(ev.dispatched_at, ev.deadline)
    if ev.overdue_at and now <= ev.deadline:
        ev.overdue_at = None
    ev.extension_count += 1
    ev.pending_extension_value, ev.pending_extension_unit = None, ""
    data["extension"] = sla.limit_text(value, unit)


def _refuse_extension(ev: Event, **kw) -> None:
    ev.pending_extension_value, ev.pending_extension_unit = None, ""


def _finish(ev: Event, *, now, **kw) -> None:
    ev.handled_at = now
    ev.handling_seconds = max(int((now - ev.dispatched_at).total_seconds()), 0)
    ev.on_time = now <= ev.deadline


def _verify_pass(ev: Event, *, now, resolution, data, **kw) -> None:
    ev.closed_at = now
    ev.resolution = resolution
    data["resolution"] = resolution


def _verify_fail(ev: Event, **kw) -> None:
    ev.on_time = None
    ev.handled_at = None
    ev.handling_seconds = None


def _evaluate(ev: Event, *, now, rating, data, **kw) -> None:
    ev.rating = rating
    ev.evaluated_at = now
    data["rating"] = rating


def _escalate(ev: Event, *, data, **kw) -> None:
    parent = (
        Area.objects.filter(path__in=tree.ancestors_of(ev.dispatch_area_path))
        .order_by("-path")
        .only("pk", "path", "name")
        .first()
    )
    if parent is None:
        raise Conflict(f"“{ev.dispatch_area.name}”已是最高层级，不能再上报")
    ev.dispatch_area, ev.dispatch_area_path = parent, parent.path
    ev.deadline = None
    ev.chase_at = None
    ev.pending_extension_value, ev.pending_extension_unit = None, ""
    ev.escalation_count += 1
    data["dispatch_area"] = parent.name


def _reopen(ev: Event, **kw) -> None:
    for f in ("closed_at", "evaluated_at", "handled_at", "handling_seconds", "on_time"):
        setattr(ev, f, None)
    ev.rating = ev.resolution = ""
    ev.deadline = ev.chase_at = ev.overdue_at = None
    ev.reopen_count += 1


def _chase(ev: Event, *, now, note, **kw) -> None:
    EventNotice.objects.create(
        event=ev,
        kind=NoticeKind.MANUAL,
        deadline=ev.deadline,
        department_id=ev.department_id,
        note=note,
        at=now,
    )


EFFECTS = {
    "open": _open,
    "cancel": _cancel,
    "dispatch": _dispatch,
    "redispatch": _dispatch,
    "accept": _accept,
    "return": _return,
    "request_extension": _request_extension,
    "grant_extension": _grant_extension,
    "refuse_extension": _refuse_extension,
    "finish": _finish,
    "verify_pass": _verify_pass,
    "verify_fail": _verify_fail,
    "evaluate": _evaluate,
    "escalate": _escalate,
    "reopen": _reopen,
    "chase": _chase,
}


# --- the run: fields, the common part of every move, the history and audit rows ----------------------


def _clean(ctx: workflow.Context) -> None:
    ev, action, move, errors, f = ctx.obj, ctx.action, ctx.move, ctx.errors, ctx.fields
    note = ctx.note = clean_free_text(ctx.note)
    if len(note) > MAX_NOTE:
        errors.add("note", f"说明不能超过{MAX_NOTE}个字")
    elif "note" in move.needs and not note:
        errors.add("note", NOTE_REQUIRED.get(action, "请填写说明"))
    klass = _class_by_code(errors, "class_code", f.get("class_code", ""))
    dept = None
    department = f.get("department")
    if department is not None:
        if action not in ("dispatch", "redispatch"):
            errors.add("department_id", f"“{move.label}”不能指定承办部门")
        else:
            dept = _explicit_department(errors, ev, department)
    if klass is not None and action not in ("open", "dispatch", "redispatch"):
        errors.add("class_code", f"“{move.label}”不能修改事件类别")
    days, hours = f.get("extension_days"), f.get("extension_hours")
    extension = None
    if "extension" in move.needs:
        extension = _extension(errors, days, hours)
    elif days or hours:
        errors.add("extension_days", f"“{move.label}”不需要填写延期时长")
    rating = clean_text(f.get("rating", ""))
    if "rating" in move.needs:
        if rating not in Rating.values:
            errors.add(
                "rating", "请选择评价：satisfied（满意）、basic（基本满意）或dissatisfied（不满意）"
            )
    elif rating:
        errors.add("rating", f"“{move.label}”不需要填写评价")
    follow = ratings.clean_follow_up(errors, ctx.actor, ev, action, f.get("follow_up"))
    resolution = verification.clean_resolution(errors, move, f.get("resolution", ""))
    if action in ("open", "dispatch", "redispatch") and klass is None and ev.event_class_id is None:
        errors.add("class_code", "请选择事件类别")
    ctx.values.update(
        klass=klass,
        dept=dept,
        extension=extension,
        rating=rating,
        follow=follow,
        resolution=resolution,
    )


def _effect(ctx: workflow.Context) -> None:
    """Before each move's own effect: the clock's status frozen for the history, a late move
    marks the event overdue, a class chosen with the move."""
    ev, now, v = ctx.obj, ctx.now, ctx.values
    v["frozen"] = sla.status(ev, now)
    overdue.mark_if_late(ev, now)
    if v["follow"]:
        ctx.data["follow_up"] = v["follow"]
    klass = v["klass"]
    if klass is not None and klass.pk != ev.event_class_id:
        ctx.data["class_code"] = klass.code
        ev.event_class = klass
        ev.class_source = ClassSource.DISPATCHER
    EFFECTS[ctx.action](
        ev,
        now=now,
        dept=v["dept"],
        extension=v["extension"],
        rating=v["rating"],
        resolution=v["resolution"],
        note=ctx.note,
        data=ctx.data,
        errors=ctx.errors,
    )


def _history(ctx: workflow.Context) -> None:
    ev = ctx.obj
    _step(
        ev,
        ctx.actor,
        ctx.action,
        ctx.from_state,
        ev.state,
        ctx.note,
        ctx.values["frozen"],
        ctx.now,
        ctx.data,
    )


def _audit(ctx: workflow.Context) -> dict:
    b, a = audit.diff(ctx.before, _snapshot(ctx.obj))
    if ctx.values["follow"]:
        a = {**(a or {}), "follow_up": ratings.audit_copy(ctx.values["follow"])}
    return {"action": f"event.{ctx.action}", "before": b, "after": a}


def _unknown(flow: workflow.Flow, action) -> str:
    allowed = "、".join(f"{a}（{m.label}）" for a, m in flow.actions.items())
    return f"不支持的操作“{clean_text(action)[:24]}”，可用操作：{allowed}"


EVENT = workflow.Flow(
    name="event",
    states=State,
    actions=FLOW,
    sides={
        "level": _side_level,
        "department": _side_department,
        "scope": _side_scope,
        "reporter": ratings.refusal,
    },
    queryset=lambda: Event.objects.select_related("dispatch_area", "department", "event_class"),
    view_permission="cases.view",
    clean=_clean,
    effects=dict.fromkeys(FLOW, _effect),
    history=_history,
    audit=_audit,
    snapshot=_snapshot,
    unknown_message=_unknown,
)
assert set(EFFECTS) == set(FLOW), "every move of FLOW needs its effect"
