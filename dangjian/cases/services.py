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

from dangjian.accounts.models import Department, User, UserKind
from dangjian.cases import flow, overdue, sla
from dangjian.cases.classification import classifier, suggestions, text
from dangjian.cases.flow import (  # noqa: F401 (visits reads services._actor_name until it moves)
    ANONYMOUS_NAME,
    _actor_name,
    _class_by_code,
    _is_user,
    _snapshot,
    _step,
)
from dangjian.cases.models import (
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
    SlaStatus,
    Source,
    State,
)
from dangjian.cases.selectors import (
    GRID_LEVEL,
    JustFiled,
    duplicate_candidates,
    reporting_area,
    reporting_reach,
)
from dangjian.core import audit, crypto, scope, tree, workflow
from dangjian.core.choices import label
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_free_text
from dangjian.core.validation import clean_text as _text
from dangjian.core.validators import validate_phone
from dangjian.territory.models import Area

MAX_DESCRIPTION = 1000
MIN_DESCRIPTION = 5
MAX_PLACE = 200
MAX_NAME = 50
SOURCE_OF_KIND = {
    UserKind.STAFF: Source.PATROL,
    UserKind.RESIDENT: Source.RESIDENT,
    UserKind.MEMBER: Source.MEMBER,
    UserKind.DEPARTMENT: Source.DEPARTMENT,
}


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
    body = clean_free_text(description)
    if not body:
        errors.add("description", "请填写事件描述")
    elif len(body) < MIN_DESCRIPTION:
        errors.add("description", f"事件描述不能少于{MIN_DESCRIPTION}个字")
    elif len(body) > MAX_DESCRIPTION:
        errors.add("description", f"事件描述不能超过{MAX_DESCRIPTION}个字")
    place_text = clean_free_text(place)
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
    rule_list = text.rules()
    suggestion, toks = classifier.suggest(body, rule_list)
    if not chosen and ask_class and not suggestion.confident:
        raise ValidationError({"class_code": [suggestions.ask_message(suggestion)]})
    # The checks above only read: the transaction (on SQLite, the turn of every writer) begins
    # here, with the repeat check and what it writes (half the time of a report before).
    with transaction.atomic():
        return _event_file(
            actor=actor,
            body=body,
            place_text=place_text,
            lng=lng,
            lat=lat,
            where=where,
            grid=grid,
            chain=chain,
            chosen=chosen,
            suggestion=suggestion,
            toks=toks,
            source=source,
            intake=intake,
            caller=caller,
            anonymous=anonymous,
            phone=phone,
        )


def _event_file(
    *,
    actor,
    body,
    place_text,
    lng,
    lat,
    where,
    grid,
    chain,
    chosen,
    suggestion,
    toks,
    source,
    intake,
    caller,
    anonymous,
    phone,
) -> Event:
    """``event_create``'s writes, in its transaction: refuses a repeat, files the event, links
    its duplicates, records the step and the audit row."""
    # One reporter's submissions one at a time, so a double submit is caught.
    _lock_reporter(actor)
    now = timezone.now()
    fp = text.fingerprint(body)
    phone_index = crypto.blind_index("phone", phone) if phone else ""
    _refuse_repeat(actor, fp, toks, now, source=source, caller_index=phone_index, place=place_text)

    # The related rows as this report has just read them (the rules, the chain), so that
    # whoever answers with the event reads them without a query; a column not read here is
    # deferred (loaded if asked for), never a default.
    suggested = _read_row(EventClass, suggestion.pk, ("code", "name", "kind"), suggestion)
    dispatch_row = dispatch_area_of(chain)
    event = Event(
        description=body,
        place=place_text,
        lng=lng,
        lat=lat,
        area=where,
        area_path=where.path,
        grid=grid,
        event_class=chosen or suggested,
        class_source=(
            ClassSource.REPORTER if chosen else ClassSource.SUGGESTED if suggestion.pk else ""
        ),
        suggested_class=suggested,
        suggestion_confidence=suggestion.confidence,
        tokens=" ".join(toks),
        fingerprint=fp,
        state=State.COLLECTED,
        dispatch_area=_read_row(Area, dispatch_row["pk"], ("path", "level", "name"), dispatch_row),
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
        grid_pk=grid.pk, class_pk=event.event_class_id, toks=toks, now=now, exclude_pk=event.pk
    )
    EventLink.objects.bulk_create(
        [
            EventLink(low_id=min(ev.pk, event.pk), high_id=max(ev.pk, event.pk), similarity=s)
            for ev, s in duplicates
        ],
        ignore_conflicts=True,
    )
    step = _step(
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
    # ``scope.assert_visible``, by a statement compiled once per shape of the actor's scope.
    if not scope.count_visible(Event, actor, "cases.view", pk=event.pk):
        raise Http404("未找到")
    # What the detail of a report just filed reads (``selectors.event_detail_extras``): its
    # one step and the duplicates linked, instead of reading them back.
    event.just_filed = JustFiled(step=step, duplicates=duplicates)
    return event


def _lock_reporter(actor) -> None:
    """``User.objects.select_for_update().filter(pk=actor.pk).first()``, the row lock of one
    reporter's submissions, by a statement compiled once (in a transaction, as it must be)."""
    using = User._default_manager.db
    statement = scope.compiled(
        ("cases.lock_reporter", using),
        using,
        lambda stand: (
            User._default_manager.select_for_update()
            .filter(pk=stand.number())
            .order_by("pk")
            .values_list("pk")[:1]
        ),
    )
    statement.run([actor.pk])


def _read_row(model, pk, names: tuple[str, ...], source):
    """An instance of ``model`` with ``pk`` and the columns ``names`` as ``source`` (a dict
    or an object) holds them, just read from the database; its other columns are deferred.
    None for no pk."""
    if pk is None:
        return None
    get = source.get if isinstance(source, dict) else lambda n: getattr(source, n)
    # ``from_db`` takes the values of a partial row in the model's column order.
    read = {"id": pk, **{n: get(n) for n in names}}
    columns = [f.attname for f in model._meta.concrete_fields if f.attname in read]
    return model.from_db(model._default_manager.db, columns, [read[c] for c in columns])


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
    # An event that is not open reads as not found: its id must not tell its state (issue 19).
    found = (
        Event.objects.select_for_update()
        .filter(q, pk=event.pk, state__in=list(OPEN_STATES))
        .first()
    )
    if found is None:
        raise Http404("未找到")
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
    """The one transition service of the closed loop: ``flow.EVENT`` run by the kernel's engine
    (``core.workflow.run``): the move against the state (409) and the actor's side (403), the
    move's fields (422), the time and the actor stamped, the clock's status frozen into the
    history, audited. The reporter is told of their report's progress (``todos``)."""
    from dangjian.cases import todos

    with transaction.atomic():
        moved = _event_run(
            actor=actor,
            event=event,
            action=action,
            note=note,
            class_code=class_code,
            department=department,
            extension_days=extension_days,
            extension_hours=extension_hours,
            rating=rating,
            follow_up=follow_up,
            resolution=resolution,
        )
        todos.tell_reporter(moved, action, actor)
    return moved


def _event_run(*, actor, event: Event, action: str, **fields) -> Event:
    return workflow.run(
        flow.EVENT,
        actor=actor,
        pk=event.pk,
        action=action,
        **fields,
    ).obj


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
    # The caller's instance no longer stands for the report as filed: it has photos now.
    event.__dict__.pop("just_filed", None)
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
