"""Writes of the grid event closed loop: each atomic, validated in full before saving (Chinese
messages naming the field), scoped, audited with masked values, and re-checked for
visibility after writing. ``event_transition`` is the one service that moves an event."""

from __future__ import annotations

import datetime as dt
import math
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.http import Http404
from django.utils import timezone

from dangjian.accounts import labels
from dangjian.accounts.models import Department, User, UserKind
from dangjian.cases import overdue, ratings, sla, verification
from dangjian.cases.classification import classifier, suggestions, text
from dangjian.cases.models import (
    FLOW,
    INTAKE_SOURCES,
    OPEN_STATES,
    RUNNING_STATES,
    ClassKind,
    ClassSource,
    Event,
    EventClass,
    EventLink,
    EventMeToo,
    EventNotice,
    EventStep,
    LimitUnit,
    NoticeKind,
    Rating,
    SlaStatus,
    Source,
    State,
)
from dangjian.cases.selectors import (
    GRID_LEVEL,
    duplicate_candidates,
    reporting_area,
    reporting_reach,
)
from dangjian.core import audit, crypto, scope, tree
from dangjian.core.choices import label
from dangjian.core.errors import Conflict
from dangjian.core.validators import validate_phone
from dangjian.territory.models import Area

MAX_DESCRIPTION = 1000
MIN_DESCRIPTION = 5
MAX_PLACE = 200
MAX_NOTE = 500
MAX_NAME = 50
ANONYMOUS_NAME = "匿名群众"
SOURCE_OF_KIND = {
    UserKind.STAFF: Source.PATROL,
    UserKind.RESIDENT: Source.RESIDENT,
    UserKind.MEMBER: Source.MEMBER,
    UserKind.DEPARTMENT: Source.DEPARTMENT,
}


class Errors(dict):
    """Messages per field, collected so one answer names every bad value."""

    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(str(message))

    def check(self) -> None:
        if self:
            raise ValidationError({k: list(v) for k, v in self.items()})


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value) -> str:
    """Stripped text without control characters (PostgreSQL refuses NUL in text)."""
    return "" if value is None else _CONTROL_RE.sub("", str(value)).strip()


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _actor_name(actor) -> str:
    return (str(actor) if _is_user(actor) else "系统")[:150]


def _snapshot(event: Event) -> dict:
    return audit.snapshot(event, Event.AUDIT_FIELDS)


# --- where ----------------------------------------------------------------------------------------


def _ring_contains(ring, lng: float, lat: float) -> bool:
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        if (y1 > lat) != (y2 > lat):
            x = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lng < x:
                inside = not inside
    return inside


def _polygon_contains(rings, lng: float, lat: float) -> bool:
    if not rings or not _ring_contains(rings[0], lng, lat):
        return False
    return not any(_ring_contains(hole, lng, lat) for hole in rings[1:])


def point_in_area(area: Area, lng: float, lat: float) -> bool | None:
    """Whether the point lies in ``area``'s boundary (None: the area has no boundary)."""
    if area.min_lng is None or area.max_lng is None or area.min_lat is None or area.max_lat is None:
        return None
    if not (area.min_lng <= lng <= area.max_lng and area.min_lat <= lat <= area.max_lat):
        return False
    boundary = area.boundary or {}
    try:
        if boundary.get("type") == "Polygon":
            return _polygon_contains(boundary["coordinates"], lng, lat)
        if boundary.get("type") == "MultiPolygon":
            return any(_polygon_contains(p, lng, lat) for p in boundary["coordinates"])
    except (KeyError, TypeError, IndexError, ZeroDivisionError):
        return True  # a malformed boundary: the bounding box has spoken
    return True


def _chain(area: Area) -> list[dict]:
    """The area and its ancestors, root first: pk, path, level, name."""
    paths = [*tree.ancestors_of(area.path), area.path]
    rows = {
        r["path"]: r
        for r in Area.objects.filter(path__in=paths).values("pk", "path", "level", "name")
    }
    return [rows[p] for p in paths if p in rows]


def dispatch_area_of(chain: list[dict]) -> dict:
    """The level that dispatches an event: the deepest node of the chain at or above
    ``CASES_DISPATCH_LEVEL`` (the township or street: "街乡派单")."""
    level = int(sla.setting("CASES_DISPATCH_LEVEL"))
    above = [r for r in chain if r["level"] <= level]
    return above[-1] if above else chain[0]


# --- reporting -------------------------------------------------------------------------------------


def _clean_location(errors: Errors, lng, lat) -> tuple[float | None, float | None]:
    if lng is None and lat is None:
        return None, None
    if lng is None or lat is None:
        errors.add("location", "经度和纬度须同时填写")
        return None, None
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        errors.add("location", "经纬度必须是数字")
        return None, None
    if not (math.isfinite(lng) and -180 <= lng <= 180):
        errors.add("lng", "经度应在-180到180之间")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        errors.add("lat", "纬度应在-90到90之间")
    return lng, lat


def _class_by_code(errors: Errors, field: str, code: str) -> EventClass | None:
    code = _text(code)
    if not code:
        return None
    klass = EventClass.objects.filter(code=code, active=True).first()
    if klass is None:
        errors.add(field, f"事件类别“{code[:32]}”不存在或已停用")
    return klass


@transaction.atomic
def event_create(
    *,
    actor,
    area: Area | None = None,
    description: str = "",
    place: str = "",
    lng: float | None = None,
    lat: float | None = None,
    class_code: str = "",
    anonymous: bool = False,
    reporter_phone: str | None = None,
    source: str = "",
    reporter_name: str = "",
    ask_class: bool = False,
) -> Event:
    """A report (采集上报) in a grid or unit the actor may report in.

    The class is the reporter's choice or, failing that, the suggestion (the dispatcher
    confirms or changes it at opening). With ``ask_class`` (the report forms) a suggestion
    below ``CASES_SUGGESTION_MIN_CONFIDENCE`` is not filed: 422 on ``class_code`` asks the
    reporter to choose. A
    location must lie within the grid's boundary. The same reporter's same report within the
    duplicate window is refused; similar open events of the same class in the grid are linked
    as duplicates (both ways) instead of merged.

    ``source`` defaults to the actor's kind (a grid worker's patrol, a resident's report ...).
    Staff who take a report by phone, from a visitor or from the 12345 hotline
    (``INTAKE_SOURCES``, 代群众登记) name the caller (``reporter_name``, unless the caller
    hides their name: ``anonymous``) and the caller's ``reporter_phone``; that needs
    ``cases.dispatch`` over the area (township or community staff). A household visit's
    request (``Source.VISIT``) needs ``cases.visit`` over it. The same caller's same report
    within the window is refused, not the same staff member's (they take many calls).
    """
    where = reporting_area(actor, area.pk if area is not None else None)
    errors = Errors()
    default_source = SOURCE_OF_KIND.get(getattr(actor, "kind", ""), Source.PATROL)
    source = _text(source) or default_source
    intake = source in INTAKE_SOURCES
    caller = _text(reporter_name)
    if source not in Source.values:
        errors.add("source", f"来源取值无效，可选：{'、'.join(Source.values)}")
    elif intake:
        if not _covers(actor, "cases.dispatch", where.path):
            errors.add("source", "只有街道（乡镇）或村（社区）工作人员可以代群众登记")
        if not caller and not anonymous:
            errors.add("reporter_name", "请填写反映人姓名，或勾选“反映人不愿透露姓名”")
        elif len(caller) > MAX_NAME:
            errors.add("reporter_name", f"反映人姓名不能超过{MAX_NAME}个字")
    elif source == Source.VISIT:
        if not _covers(actor, "cases.visit", where.path):
            errors.add("source", "只有走访人员可以登记入户走访的诉求")
    elif source != default_source:
        errors.add("source", f"您上报的事件来源只能是“{label(Source, default_source)}”")
    body = _text(description)
    if not body:
        errors.add("description", "请填写事件描述")
    elif len(body) < MIN_DESCRIPTION:
        errors.add("description", f"事件描述不能少于{MIN_DESCRIPTION}个字")
    elif len(body) > MAX_DESCRIPTION:
        errors.add("description", f"事件描述不能超过{MAX_DESCRIPTION}个字")
    place_text = _text(place)
    if len(place_text) > MAX_PLACE:
        errors.add("place", f"事发位置不能超过{MAX_PLACE}个字")
    lng, lat = _clean_location(errors, lng, lat)
    chain = _chain(where)
    grid_row = next((r for r in reversed(chain) if r["level"] == GRID_LEVEL), None)
    if grid_row is None:
        errors.add("area_id", "事件位置须在网格之内")
    grid = Area.objects.get(pk=grid_row["pk"]) if grid_row and grid_row["pk"] != where.pk else where
    if lng is not None and lat is not None and "lng" not in errors and "lat" not in errors:
        if point_in_area(grid, lng, lat) is False:
            errors.add("location", f"上报位置不在“{grid.name}”范围内，请核对位置或所选网格")
    chosen = _class_by_code(errors, "class_code", class_code)
    phone = reporter_phone
    if phone is None:
        phone = "" if intake else getattr(actor, "phone", "") or ""
    phone = crypto.normalize("phone", _text(phone))
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            errors.add("reporter_phone", exc.messages[0])
    errors.check()

    # One reporter's submissions one at a time, so a double submit is caught.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    now = timezone.now()
    rule_list = text.rules()
    suggestion, toks = classifier.suggest(body, rule_list)
    if not chosen and ask_class and not suggestion.confident:
        raise ValidationError({"class_code": [suggestions.ask_message(suggestion)]})
    fp = text.fingerprint(body)
    phone_index = crypto.blind_index("phone", phone) if phone else ""
    _refuse_repeat(actor, fp, toks, now, source=source, caller_index=phone_index, place=place_text)

    klass_pk = chosen.pk if chosen else suggestion.pk
    dispatch_row = dispatch_area_of(chain)
    event = Event(
        description=body,
        place=place_text,
        lng=lng,
        lat=lat,
        area=where,
        area_path=where.path,
        grid=grid,
        event_class_id=klass_pk,
        class_source=(
            ClassSource.REPORTER if chosen else ClassSource.SUGGESTED if suggestion.pk else ""
        ),
        suggested_class_id=suggestion.pk,
        suggestion_confidence=suggestion.confidence,
        tokens=" ".join(toks),
        fingerprint=fp,
        state=State.COLLECTED,
        dispatch_area_id=dispatch_row["pk"],
        dispatch_area_path=dispatch_row["path"],
        source=source,
        reporter=actor,
        reporter_name=(
            (caller or ANONYMOUS_NAME)
            if intake
            else (getattr(actor, "real_name", "") or actor.get_username())
        )[:MAX_NAME],
        anonymous=bool(anonymous),
        reporter_phone=phone,
        reporter_phone_index=phone_index,
        reported_at=now,
    )
    event.save()
    duplicates = duplicate_candidates(
        grid_pk=grid.pk, class_pk=klass_pk, toks=toks, now=now, exclude_pk=event.pk
    )
    EventLink.objects.bulk_create(
        [
            EventLink(low_id=min(ev.pk, event.pk), high_id=max(ev.pk, event.pk), similarity=s)
            for ev, s in duplicates
        ],
        ignore_conflicts=True,
    )
    _step(
        event,
        actor,
        "collect",
        "",
        State.COLLECTED,
        "",
        SlaStatus.NOT_STARTED,
        now,
        {
            "suggested_class": suggestion.code,
            "confidence": suggestion.confidence,
            "duplicates": [ev.pk for ev, _s in duplicates],
        },
    )
    audit.record(actor=actor, action="event.create", obj=event, after=_snapshot(event))
    scope.assert_visible(event, actor, "cases.view")
    return event


def _covers(actor, action: str, path: str) -> bool:
    return any(tree.is_within(path, p) for p in scope.reach_of(actor, action).area_paths)


def _refuse_repeat(actor, fp: str, toks: list[str], now, *, source="", caller_index="", place=""):
    """The same reporter's same report again within the window: refused, naming the first.

    For a report taken on a caller's behalf (``INTAKE_SOURCES``) the reporter is the caller:
    the same staff member's similar reports from other callers are duplicates to link, not
    repeats (a caller without a phone is caught by the very same text only, a double submit).
    A visit's request is the household's: only the same text at the same door repeats it.
    """
    window = dt.timedelta(hours=float(sla.setting("CASES_DUPLICATE_WINDOW_HOURS")))
    threshold = float(sla.setting("CASES_REPEAT_SIMILARITY"))
    recent = Event.objects.filter(reporter_id=actor.pk, reported_at__gte=now - window)
    intake = source in INTAKE_SOURCES
    if intake:
        recent = recent.filter(source__in=INTAKE_SOURCES, reporter_phone_index=caller_index)
        if not caller_index:
            threshold = 1.01  # no phone to tell callers apart: the very same text only
    elif source == Source.VISIT:
        recent = recent.filter(source=Source.VISIT, place=place)
        threshold = 1.01
    else:
        recent = recent.exclude(source__in=[*INTAKE_SOURCES, Source.VISIT])
    recent = (
        recent.exclude(state=State.CANCELLED)
        .only("pk", "fingerprint", "tokens", "reported_at")
        .order_by("-reported_at")[:200]
    )
    for ev in recent:
        if ev.fingerprint == fp or text.jaccard(toks, ev.tokens.split()) >= threshold:
            at = timezone.localtime(ev.reported_at).strftime("%Y-%m-%d %H:%M")
            if intake:
                raise Conflict(f"该反映人已于{at}反映过相同的事件（编号{ev.pk}），请勿重复登记")
            raise Conflict(f"您已于{at}上报过相同的事件（编号{ev.pk}），请勿重复提交")


@transaction.atomic
def me_too_add(*, actor, event: Event) -> Event:
    """ "Me too" (我也遇到) on an open event in a grid the actor may report in: counted once
    per person, instead of a second report."""
    reach = reporting_reach(actor)
    q = reach.q()
    if q is None:
        raise Http404("未找到")
    found = Event.objects.select_for_update().filter(q, pk=event.pk).first()
    if found is None:
        raise Http404("未找到")
    if found.state not in OPEN_STATES:
        raise Conflict(f"该事件{label(State, found.state)}，不能再附议")
    if found.reporter_id == actor.pk:
        raise Conflict("这是您本人上报的事件，无需附议")
    if EventMeToo.objects.filter(event=found, user_id=actor.pk).exists():
        raise Conflict("您已附议过该事件")
    EventMeToo.objects.create(event=found, user=actor)
    Event.objects.filter(pk=found.pk).update(me_too_count=F("me_too_count") + 1)
    found.refresh_from_db(fields=["me_too_count", "updated_at"])
    audit.record(
        actor=actor,
        action="event.me_too",
        obj=found,
        after={"me_too_count": found.me_too_count},
        note="我也遇到",
    )
    return found


# --- the one transition service -------------------------------------------------------------------


def _reaches(reach: scope.Reach, event: Event) -> bool:
    """Whether ``reach`` covers ``event`` the way ``Event.scope_fields`` reads it."""
    if any(tree.is_within(event.area_path, p) for p in reach.area_paths):
        return True
    if reach.user_id and event.reporter_id == reach.user_id:
        return True
    return bool(event.department_id) and event.department_id in reach.department_ids


def may(actor, event: Event, action: str) -> bool:
    """Whether ``actor`` may make the move ``action`` on ``event`` now (state and authority)."""
    move = FLOW.get(action)
    if move is None or event.state not in move.sources:
        return False
    return _refusal(actor, event, move) is None


def _refusal(actor, event: Event, move) -> str | None:
    """Why ``actor`` may not make ``move`` on ``event`` (None: they may)."""
    if move.by == "reporter":
        return ratings.refusal(actor, event, move)
    reach = scope.reach_of(actor, move.permission)
    if move.by == "department":
        if event.department_id and event.department_id in reach.department_ids:
            return None
        return f"只有承办部门可以执行“{move.label}”"
    if move.by == "level":
        if any(tree.is_within(event.dispatch_area_path, p) for p in reach.area_paths):
            return None
        return f"只有派遣层级（{event.dispatch_area.name}）及其上级可以执行“{move.label}”"
    if _reaches(reach, event):
        return None
    return f"您没有执行“{move.label}”的权限"


def _resolve_department(event: Event, name: str) -> Department | None:
    """The department called ``name`` serving the event: at the dispatching area or the
    nearest above it; failing that, the nearest below it on the way down to the event."""
    if not name:
        return None
    chain = [*tree.ancestors_of(event.area_path), event.area_path]
    found = list(
        Department.objects.filter(name=name, active=True, area_path__in=chain).defer("phone")
    )
    if not found:
        return None
    found.sort(key=lambda d: -len(d.area_path))
    at_or_above = [d for d in found if tree.is_within(event.dispatch_area_path, d.area_path)]
    return (at_or_above or found)[0]


def _explicit_department(errors: Errors, event: Event, department) -> Department | None:
    dept = (
        Department.objects.filter(pk=department.pk, active=True).defer("phone").first()
        if department is not None and department.pk
        else None
    )
    if dept is None or not tree.is_within(event.area_path, dept.area_path):
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


@transaction.atomic
def event_transition(
    *,
    actor,
    event: Event,
    action: str,
    note: str = "",
    class_code: str = "",
    department: Department | None = None,
    extension_days: int | None = None,
    extension_hours: int | None = None,
    rating: str = "",
    follow_up: dict | None = None,
    resolution: str = "",
) -> Event:
    """The one transition service of the closed loop (``FLOW``): checks the move against the
    state (409) and the actor's authority (403), validates the move's fields (422), stamps
    the time and the actor, freezes the clock's status into the history, and audits.

    The clock starts at a dispatch (a new deadline at each), stops at a return or an
    escalation, moves with a granted extension; the department's report of the result
    freezes whether it was on time. A rating is the reporter's own, or staff's with the
    follow-up call it comes from (``follow_up``: ``call_date``, ``callee``, ``call_note``;
    ``ratings``).
    """
    ev = scope.get_visible(
        Event.objects.select_for_update(of=("self",)).select_related(
            "dispatch_area", "department", "event_class"
        ),
        actor,
        "cases.view",
        pk=event.pk,
    )
    move = FLOW.get(action)
    if move is None:
        allowed = "、".join(f"{a}（{m.label}）" for a, m in FLOW.items())
        raise ValidationError(
            {"action": [f"不支持的操作“{_text(action)[:24]}”，可用操作：{allowed}"]}
        )
    if ev.state not in move.sources:
        raise Conflict(f"当前状态为“{label(State, ev.state)}”，不能执行“{move.label}”")
    refusal = _refusal(actor, ev, move)
    if refusal:
        raise scope.Forbidden(refusal)

    now = timezone.now()
    errors = Errors()
    note = _text(note)
    if len(note) > MAX_NOTE:
        errors.add("note", f"说明不能超过{MAX_NOTE}个字")
    elif "note" in move.needs and not note:
        errors.add("note", NOTE_REQUIRED.get(action, "请填写说明"))
    klass = _class_by_code(errors, "class_code", class_code)
    dept = None
    if department is not None:
        if action not in ("dispatch", "redispatch"):
            errors.add("department_id", f"“{move.label}”不能指定承办部门")
        else:
            dept = _explicit_department(errors, ev, department)
    if klass is not None and action not in ("open", "dispatch", "redispatch"):
        errors.add("class_code", f"“{move.label}”不能修改事件类别")
    extension = None
    if "extension" in move.needs:
        extension = _extension(errors, extension_days, extension_hours)
    elif extension_days or extension_hours:
        errors.add("extension_days", f"“{move.label}”不需要填写延期时长")
    rating = _text(rating)
    if "rating" in move.needs:
        if rating not in Rating.values:
            errors.add(
                "rating", "请选择评价：satisfied（满意）、basic（基本满意）或dissatisfied（不满意）"
            )
    elif rating:
        errors.add("rating", f"“{move.label}”不需要填写评价")
    follow = ratings.clean_follow_up(errors, actor, ev, action, follow_up)
    resolution = verification.clean_resolution(errors, move, resolution)
    if action in ("open", "dispatch", "redispatch") and klass is None and ev.event_class_id is None:
        errors.add("class_code", "请选择事件类别")
    errors.check()

    frozen = sla.status(ev, now)
    before = _snapshot(ev)
    from_state = ev.state
    overdue.mark_if_late(ev, now)
    data: dict = {"follow_up": follow} if follow else {}
    if klass is not None and klass.pk != ev.event_class_id:
        data["class_code"] = klass.code
        ev.event_class = klass
        ev.class_source = ClassSource.DISPATCHER
    EFFECTS[action](
        ev,
        now=now,
        dept=dept,
        extension=extension,
        rating=rating,
        resolution=resolution,
        note=note,
        data=data,
        errors=errors,
    )
    errors.check()
    if move.target is not None:
        ev.state = move.target
    ev.save()
    _step(ev, actor, action, from_state, ev.state, note, frozen, now, data)
    b, a = audit.diff(before, _snapshot(ev))
    if follow:
        a = {**(a or {}), "follow_up": ratings.audit_copy(follow)}
    audit.record(actor=actor, action=f"event.{action}", obj=ev, before=b, after=a, note=note)
    scope.assert_visible(ev, actor, "cases.view")
    return ev


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
        dept = _resolve_department(ev, klass.department_name)
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
assert set(EFFECTS) == set(FLOW), "every move of FLOW needs its effect"


# --- the clock's sweep ----------------------------------------------------------------------------


@transaction.atomic
def sla_sweep(*, now=None) -> dict:
    """Chase the running events whose chase window has opened and mark those past their
    deadline overdue (``overdue.overdue_mark``, as a late move does), each notice once per
    deadline: set-based, idempotent."""
    now = now or timezone.now()
    running = Event.objects.filter(state__in=RUNNING_STATES, deadline__isnull=False)
    chased = list(
        running.filter(chase_at__lte=now, deadline__gte=now)
        .exclude(
            Exists(
                EventNotice.objects.filter(
                    event=OuterRef("pk"), kind=NoticeKind.CHASE, deadline=OuterRef("deadline")
                )
            )
        )
        .values_list("pk", "deadline", "department_id")
    )
    EventNotice.objects.bulk_create(
        [
            EventNotice(event_id=pk, kind=NoticeKind.CHASE, deadline=d, department_id=dept, at=now)
            for pk, d, dept in chased
        ],
        ignore_conflicts=True,
    )
    late = list(overdue.overdue_pending(now))
    marked = overdue.overdue_mark(rows=late, now=now)
    result = {"chased": len(chased), "overdue": marked}
    if chased or marked:
        audit.record(
            actor=None,
            action="event.sla_sweep",
            object_type="cases.event",
            object_repr="事件时限巡检",
            note=f"临期催办{len(chased)}件，超期{marked}件",
            after={
                **result,
                "chased_ids": [r[0] for r in chased][:200],
                "overdue_ids": [r[0] for r in late][:200],
            },
        )
    return result


# --- the taxonomy, per deployment ---------------------------------------------------------------


def _taxonomy_admin(actor) -> None:
    """Only a city-level grant with ``cases.configure`` edits the city's taxonomy."""
    reach = scope.reach_of(actor, "cases.configure")
    if not any(tree.depth_of(p) == 1 for p in reach.area_paths):
        raise scope.Forbidden("只有市级管理员可以维护事件类别")


_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def _clean_class(errors: Errors, values: dict, instance: EventClass | None) -> dict:
    out = {}
    if instance is None or "code" in values:
        code = _text(values.get("code"))
        if not _CODE_RE.match(code):
            errors.add("code", "代码须为2到32位小写字母、数字或下划线，以字母开头")
        elif (
            EventClass.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists()
        ):
            errors.add("code", "该代码已被使用")
        out["code"] = code
    if instance is None or "name" in values:
        name = _text(values.get("name"))
        if not name:
            errors.add("name", "请填写类别名称")
        elif len(name) > 50:
            errors.add("name", "类别名称不能超过50个字")
        out["name"] = name
    if instance is None or "kind" in values:
        kind = _text(values.get("kind"))
        if kind not in ClassKind.values:
            errors.add("kind", "大类应为event（事件）或facility（部件）")
        out["kind"] = kind
    if "department_name" in values or instance is None:
        dept = _text(values.get("department_name"))
        if len(dept) > 100:
            errors.add("department_name", "默认承办部门名称不能超过100个字")
        out["department_name"] = dept
    if instance is None or "limit_unit" in values:
        unit = _text(values.get("limit_unit"))
        if unit not in LimitUnit.values:
            errors.add("limit_unit", "时限单位应为workdays（工作日）或workhours（工作小时）")
        out["limit_unit"] = unit
    if instance is None or "limit_value" in values:
        value = values.get("limit_value")
        unit = out.get("limit_unit") or getattr(instance, "limit_unit", "")
        low = 1 if unit == LimitUnit.WORKHOURS else 0
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 480:
            errors.add("limit_value", f"处置时限应为{low}到480之间的整数")
        out["limit_value"] = value
    if "keywords" in values or instance is None:
        raw = values.get("keywords") or []
        if not isinstance(raw, list | tuple) or not all(isinstance(k, str) for k in raw):
            errors.add("keywords", "关键词应为文本列表")
            raw = []
        words = []
        for k in raw:
            k = _text(k)
            if k and k not in words:
                words.append(k[:20])
        out["keywords"] = words
    if "active" in values:
        out["active"] = bool(values["active"])
    if "sort" in values:
        out["sort"] = (
            values["sort"] if isinstance(values["sort"], int) and 0 <= values["sort"] < 30000 else 0
        )
    return out


@transaction.atomic
def event_class_create(*, actor, **values) -> EventClass:
    """A deployment's own class (矛盾纠纷, 疫情防控 ...)."""
    _taxonomy_admin(actor)
    errors = Errors()
    clean = _clean_class(errors, values, None)
    if not errors and EventClass.objects.filter(kind=clean["kind"], name=clean["name"]).exists():
        errors.add("name", "该大类下已有同名类别")
    errors.check()
    klass = EventClass.objects.create(**clean)
    audit.record(actor=actor, action="event_class.create", obj=klass, after=audit.snapshot(klass))
    return klass


@transaction.atomic
def event_class_update(*, actor, event_class: EventClass, **changes) -> EventClass:
    _taxonomy_admin(actor)
    klass = EventClass.objects.select_for_update().get(pk=event_class.pk)
    errors = Errors()
    clean = _clean_class(errors, changes, klass)
    if (
        not errors
        and EventClass.objects.filter(
            kind=clean.get("kind", klass.kind), name=clean.get("name", klass.name)
        )
        .exclude(pk=klass.pk)
        .exists()
    ):
        errors.add("name", "该大类下已有同名类别")
    errors.check()
    before = audit.snapshot(klass)
    for k, v in clean.items():
        setattr(klass, k, v)
    klass.save()
    b, a = audit.diff(before, audit.snapshot(klass))
    audit.record(actor=actor, action="event_class.update", obj=klass, before=b, after=a)
    return klass


# --- attachments (photos) -------------------------------------------------------------------------

MAX_ATTACHMENTS = 20


def _attachment_stage(actor, ev: Event) -> str:
    """Whose photo this is, or Forbidden: the reporter's while the event is open, the
    department's while it handles it, or staff's over the event's area."""
    from dangjian.cases.models import DONE_STATES, AttachmentStage

    if ev.state in {State.CANCELLED, State.CLOSED, State.EVALUATED}:
        raise Conflict(f"该事件{label(State, ev.state)}，不能再上传照片")
    if _is_user(actor) and ev.reporter_id == actor.pk:
        return AttachmentStage.REPORT
    dept_reach = scope.reach_of(actor, "cases.handle")
    if ev.department_id and ev.department_id in dept_reach.department_ids:
        if ev.state in RUNNING_STATES or ev.state in DONE_STATES:
            return AttachmentStage.HANDLING
    staff = scope.reach_of(actor, "cases.dispatch")
    if any(tree.is_within(ev.area_path, p) for p in staff.area_paths):
        return AttachmentStage.OTHER
    raise scope.Forbidden("您不能为该事件上传照片")


def _read_uploads(uploads, field: str) -> list[tuple[str, bytes]]:
    """Each upload read and checked by content before anything is stored."""
    from dangjian.core import files

    out = []
    limit = files.max_bytes()
    for n, upload in enumerate(uploads, start=1):
        prefix = f"第{n}张照片：" if len(uploads) > 1 else ""
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                {field: [f"{prefix}文件过大，不能超过 {limit // 1024 // 1024} MB"]}
            )
        upload.seek(0)
        content = upload.read(limit + 1)
        try:
            files.check(content, kinds=("image",), field=field)
        except ValidationError as exc:
            raise ValidationError({field: [prefix + m for m in exc.messages]}) from exc
        out.append((upload.name, content))
    return out


@transaction.atomic
def event_attachments_add(*, actor, event: Event, uploads, step: EventStep | None = None):
    """Photos on an event (and on one of its steps: the department's at ``finish``). Every
    file is checked (an image, not too large) before any is stored; one bad file refuses all.
    Scoped like the event (404 out of scope), audited."""
    from dangjian.cases.models import AttachmentStage, EventAttachment
    from dangjian.core import files

    ev = scope.get_visible(
        Event.objects.select_for_update(of=("self",)), actor, "cases.view", pk=event.pk
    )
    uploads = [u for u in uploads if u]
    if not uploads:
        raise ValidationError({"file": ["请选择要上传的照片"]})
    stage = _attachment_stage(actor, ev)
    if step is not None and step.event_id == ev.pk and step.action == "finish":
        stage = AttachmentStage.HANDLING
    existing = EventAttachment.objects.filter(event_id=ev.pk).count()
    if existing + len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError({"file": [f"每个事件最多{MAX_ATTACHMENTS}张照片，已有{existing}张"]})
    contents = _read_uploads(uploads, "file")
    out = []
    for name, content in contents:
        stored = files.file_store_bytes(actor=actor, name=name, content=content, kinds=("image",))
        out.append(
            EventAttachment.objects.create(
                event=ev,
                step=step if step is not None and step.event_id == ev.pk else None,
                file=stored,
                stage=stage,
                uploaded_by=actor if _is_user(actor) else None,
            )
        )
    audit.record(
        actor=actor,
        action="event.attach",
        obj=ev,
        after={"files": [a.file_id for a in out], "stage": stage},
        note=f"上传{label(AttachmentStage, stage)}{len(out)}张",
    )
    return out
