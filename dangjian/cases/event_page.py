"""``GET /api/v1/cases/`` read as tuples: the events list's count and page, each statement
compiled once per shape (``core.scope.compiled``), and the answer's dicts built straight from
the rows.

Through the ORM, a page of twenty events was about 120 model instances (the event and its six
related rows, ``select_related``) and two statements built and compiled per request: most of
the list's CPU time. The statements here are compiled by the ORM from the same filters
``selectors.event_list`` applies (the user's scope, then state, class, department, "mine"),
so they read the same rows in the same order; a list with any other filter (area, clock
status, text, period, stage) goes the ORM way (``fast_page`` answers None), and so does a
shape the stand-ins cannot compile. ``FAST_PATH = False`` sends every list the ORM way (the
tests compare both answers byte for byte).
"""

from __future__ import annotations

from django.utils.translation import get_language

from dangjian.accounts import labels
from dangjian.cases import sla
from dangjian.cases.models import (
    ClassSource,
    Event,
    Rating,
    Resolution,
    SlaStatus,
    Source,
    State,
)
from dangjian.cases.selectors import clean_search, list_states
from dangjian.cases.services import ANONYMOUS_NAME
from dangjian.core import choices, scope
from dangjian.core.crypto import mask
from dangjian.territory.models import Area

FAST_PATH = True

# The columns a list answer reads, in this order (``_row_out`` reads them by position).
COLUMNS = (
    "id",
    "state",
    "description",
    "place",
    "lng",
    "lat",
    "area_id",
    "area__name",
    "grid_id",
    "grid__name",
    "event_class__code",
    "event_class__name",
    "event_class__kind",
    "class_source",
    "suggested_class__code",
    "suggested_class__name",
    "suggestion_confidence",
    "dispatch_area_id",
    "dispatch_area__name",
    "department_id",
    "department__name",
    "department__area_path",
    "source",
    "reporter_id",
    "reporter_name",
    "anonymous",
    "reporter_phone",
    "me_too_count",
    "limit_value",
    "limit_unit",
    "deadline",
    "chase_at",
    "pending_extension_value",
    "pending_extension_unit",
    "on_time",
    "rating",
    "resolution",
    "return_count",
    "extension_count",
    "escalation_count",
    "reopen_count",
    "reported_at",
    "opened_at",
    "dispatched_at",
    "accepted_at",
    "handled_at",
    "closed_at",
    "evaluated_at",
)
_DEPARTMENT = COLUMNS.index("department_id")


def fast_page(
    user,
    *,
    state: str | None = None,
    class_code: str | None = None,
    department: int | None = None,
    q: str | None = None,
    mine: bool = False,
    **orm_only,
) -> _EventPage | None:
    """The list of ``selectors.event_list`` with these filters, as ``paginate`` reads it
    (``count()`` and a slice of answer dicts); None when only the ORM path answers it: a
    search text, or any of the selector's other filters (area, clock status, period, stage)."""
    given = any(value not in (None, "") for value in orm_only.values())
    if not FAST_PATH or given or clean_search(q):
        return None
    states = list_states(state) if state else None
    if states == []:  # "state=," filters on nothing: the ORM answers it without a statement
        return None
    found = scope.keyed_terms(Event, user, "cases.view")
    if found is None:
        return None
    terms, shape, values = found
    values = [*values, *(states or ())]
    if class_code:
        values.append(class_code)
    if department is not None:
        values.append(department)
    if mine:
        values.append(user.pk)
    using = Event._default_manager.db
    filters = (len(states) if states else 0, bool(class_code), department is not None, mine)

    def build(stand):
        qs = Event._default_manager.filter(scope.terms_q(scope.terms_stand_in(terms, stand)))
        if states:
            qs = qs.filter(state__in=[stand.text() for _ in states])
        if class_code:
            qs = qs.filter(event_class__code=stand.text())
        if department is not None:
            qs = qs.filter(department_id=stand.number())
        if mine:
            qs = qs.filter(reporter_id=stand.number())
        return qs

    try:
        counted = scope.compiled(
            ("cases.events.count", using, shape, filters), using, build, count=True
        )
    except scope.NotCompilable:
        return None
    return _EventPage(user, build, (using, shape, filters), values, counted)


class _EventPage:
    """The list for ``paginate``: ``count()`` and a page slice, already serialized."""

    def __init__(self, user, build, key, values, counted):
        self.user, self.build, self.key = user, build, key
        self.values, self.counted = values, counted

    def count(self) -> int:
        return self.counted.run(self.values)[0][0]

    def __getitem__(self, bounds: slice) -> list[dict]:
        b = (bounds.start, bounds.stop)
        using = self.key[0]
        statement = scope.compiled(
            ("cases.events.page", *self.key, b),
            using,
            lambda stand: self.build(stand).order_by("-id").values_list(*COLUMNS)[b[0] : b[1]],
        )
        rows = scope.in_join_order(using, lambda cursor: statement.run(self.values, cursor))
        return rows_out(rows, self.user)


def rows_out(rows: list, user) -> list[dict]:
    """The answer dicts (``api.event_out``) of a page's rows (tuples of ``COLUMNS``)."""
    from django.utils import timezone

    departments = {}
    for r in rows:
        if r[_DEPARTMENT] and r[_DEPARTMENT] not in departments:
            departments[r[_DEPARTMENT]] = (r[_DEPARTMENT], r[_DEPARTMENT + 1], r[_DEPARTMENT + 2])
    found = _department_labels(departments.values()) if departments else {}
    language = get_language()
    names = {c: choices.labels(c, language) for c in _CHOICES}
    now = timezone.now()
    user_pk = getattr(user, "pk", None) if user is not None else None
    zone = timezone.get_current_timezone()

    def iso(value):  # ``core.api.iso`` of a datetime, with the time zone looked up once
        return None if value is None else value.astimezone(zone).isoformat()

    return [_row_out(r, user_pk, now, names, found, iso) for r in rows]


_CHOICES = (State, SlaStatus, ClassSource, Source, Rating, Resolution)


def _department_labels(rows) -> dict[int, str]:
    """``labels.department_labels`` of ``(pk, name, area_path)`` rows, its one statement (the
    names of the areas in the labels) compiled once per number of areas."""
    rows = list(rows)
    paths = sorted({p for _pk, _name, path in rows for p in labels.label_paths(path)})
    names: dict[str, str] = {}
    if paths:
        using = Area._default_manager.db
        try:
            statement = scope.compiled(
                ("cases.events.area_names", using, len(paths)),
                using,
                lambda stand: Area._default_manager.filter(
                    path__in=[stand.text() for _ in paths]
                ).values_list("path", "name"),
            )
        except scope.NotCompilable:
            return labels.department_labels(rows)
        names = dict(statement.run(paths))
    return {pk: labels.format_label(name, path, names) for pk, name, path in rows}


def _row_out(r: tuple, user_pk, now, names: dict, departments: dict, iso) -> dict:
    (
        pk,
        state,
        description,
        place,
        lng,
        lat,
        area_id,
        area_name,
        grid_id,
        grid_name,
        class_code,
        class_name,
        class_kind,
        class_source,
        suggested_code,
        suggested_name,
        suggestion_confidence,
        dispatch_area_id,
        dispatch_area_name,
        department_id,
        department_name,
        _department_path,
        source,
        reporter_id,
        reporter_name,
        anonymous,
        reporter_phone,
        me_too_count,
        limit_value,
        limit_unit,
        deadline,
        chase_at,
        pending_value,
        pending_unit,
        on_time,
        rating,
        resolution,
        return_count,
        extension_count,
        escalation_count,
        reopen_count,
        reported_at,
        opened_at,
        dispatched_at,
        accepted_at,
        handled_at,
        closed_at,
        evaluated_at,
    ) = r
    mine = bool(user_pk is not None and reporter_id and reporter_id == user_pk)
    status = sla.status_of(state, deadline, chase_at, on_time, now)
    return {
        "id": pk,
        "state": state,
        "state_label": names[State].get(state, state),
        "sla_status": status,
        "sla_status_label": names[SlaStatus].get(status, status),
        "description": description,
        "place": place,
        "lng": lng,
        "lat": lat,
        "area_id": area_id,
        "area_name": area_name,
        "grid_id": grid_id,
        "grid_name": grid_name,
        "class_code": class_code,
        "class_label": class_name,
        "class_kind": class_kind,
        "class_source": class_source,
        "class_source_label": (
            names[ClassSource].get(class_source, class_source) if class_source else ""
        ),
        "suggested_class_code": suggested_code,
        "suggested_class_label": suggested_name,
        "suggestion_confidence": suggestion_confidence,
        "dispatch_area_id": dispatch_area_id,
        "dispatch_area_name": dispatch_area_name,
        "department_id": department_id,
        "department_name": department_name if department_id else None,
        "department_label": departments.get(department_id, "") if department_id else None,
        "source": source,
        "source_label": names[Source].get(source, source),
        "reporter_name": ANONYMOUS_NAME if anonymous and not mine else reporter_name,
        "anonymous": anonymous,
        "reporter_phone": mask("phone", reporter_phone),
        "is_mine": mine,
        "me_too_count": me_too_count,
        "limit_label": sla.limit_text(limit_value, limit_unit),
        "deadline": iso(deadline),
        "chase_at": iso(chase_at),
        "overdue": status == SlaStatus.OVERDUE,
        "pending_extension": sla.limit_text(pending_value, pending_unit),
        "on_time": on_time,
        "rating": rating,
        "rating_label": names[Rating].get(rating, rating) if rating else "",
        "resolution": resolution,
        "resolution_label": names[Resolution].get(resolution, resolution) if resolution else "",
        "return_count": return_count,
        "extension_count": extension_count,
        "escalation_count": escalation_count,
        "reopen_count": reopen_count,
        "reported_at": iso(reported_at),
        "opened_at": iso(opened_at),
        "dispatched_at": iso(dispatched_at),
        "accepted_at": iso(accepted_at),
        "handled_at": iso(handled_at),
        "closed_at": iso(closed_at),
        "evaluated_at": iso(evaluated_at),
    }
