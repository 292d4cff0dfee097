"""Reads of the grid event closed loop: each takes the acting user and reads through
``Event.objects.visible_to(user, action)`` (or, for reporting, the user's reporting reach)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from dangjian.accounts import labels
from dangjian.accounts.models import Department
from dangjian.cases import reporter_view, sla
from dangjian.cases.classification import classifier, text
from dangjian.cases.models import (
    OPEN_STATES,
    RATED_SOURCES,
    RUNNING_STATES,
    SATISFIED_RATINGS,
    Event,
    EventClass,
    EventStep,
    Resolution,
    SlaStatus,
    State,
)
from dangjian.core import scope, tree
from dangjian.core.months import next_month
from dangjian.core.validation import ALL_CONTROL_RE
from dangjian.core.validators import parse_month
from dangjian.core.workdays import OFFICE_TZ
from dangjian.territory.models import LEVEL_OF, Area, AreaKind

GRID_LEVEL = LEVEL_OF[AreaKind.GRID]
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def clean_search(q: str | None) -> str:
    return ALL_CONTROL_RE.sub("", q or "").strip()[:50]


# --- where a user may report ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportingReach:
    """Subtrees a user may report events in: their grants' areas for ``cases.create``, and for
    members and residents (who reach only themselves) the grid they live in.

    Not a read scope (``Event.scope_fields`` is): where one may *create* an event, asked of an
    area before the event exists; so it stays this one named selector, beside ``core.scope``
    (docs/decisions.md, "Every reach kind declared")."""

    area_paths: tuple[str, ...] = ()
    home_grid_path: str = ""
    # A member or resident (reaching only themselves) without a home grid on file.
    homeless: bool = False

    @property
    def empty(self) -> bool:
        return not (self.area_paths or self.home_grid_path)

    def covers(self, path: str) -> bool:
        if any(tree.is_within(path, p) for p in self.area_paths):
            return True
        return bool(self.home_grid_path) and tree.is_within(path, self.home_grid_path)

    def q(self, field: str = "area_path") -> Q | None:
        paths = list(self.area_paths) + ([self.home_grid_path] if self.home_grid_path else [])
        return scope.subtrees_q(field, paths)


def reporting_reach(user) -> ReportingReach:
    return _reporting_reach(user)[0]


def _reporting_reach(user, *, whole: bool = False) -> tuple[ReportingReach, Area | None]:
    """``reporting_reach`` and, with ``whole``, the home grid read whole (the area a resident
    reports in by default): one statement for both."""
    reach = scope.reach_of(user, "cases.create")
    home, grid = "", None
    if reach.user_id and getattr(user, "area_path", ""):
        if whole:
            grid = _home_grid(user.area_path)
            home = grid.path if grid is not None else ""
        else:
            home = grid_of_path(user.area_path) or ""
    found = ReportingReach(tuple(reach.area_paths), home, bool(reach.user_id and not home))
    return found, grid


def _grids_above(path: str):
    chain = [*tree.ancestors_of(path), path]
    return Area.objects.filter(path__in=chain, level=GRID_LEVEL).order_by("-path")


def _home_grid(path: str) -> Area | None:
    """``_grids_above(path).first()``, its statement compiled once per depth of ``path``."""
    chain = [*tree.ancestors_of(path), path]
    using = Area._default_manager.db
    try:
        statement = scope.compiled(
            ("cases.home_grid", using, len(chain)),
            using,
            lambda stand: Area._default_manager.filter(
                path__in=[stand.text() for _ in chain], level=GRID_LEVEL
            ).order_by("-path")[:1],
        )
    except scope.NotCompilable:
        return _grids_above(path).first()
    rows = statement.run(chain)
    if not rows:
        return None
    return Area.from_db(using, [f.attname for f in Area._meta.concrete_fields], rows[0])


def grid_of_path(path: str) -> str | None:
    """The path of the grid at or above ``path`` (None above the grid level)."""
    return _grids_above(path).values_list("path", flat=True).first()


def reporting_area(user, area_pk: int | None) -> Area:
    """The grid or unit ``user`` reports an event in: 404 outside their reporting reach,
    403 without ``cases.create`` at all, 422 above the grid level."""
    reach, home_grid = _reporting_reach(user, whole=area_pk is None)
    if reach.empty:
        if reach.homeless:
            raise _bad("area_id", "您的账号尚未登记所在网格，请联系社区登记后再上报")
        raise scope.Forbidden("您没有上报事件的权限")
    if area_pk is None:
        if home_grid is not None:
            return home_grid
        grids = list(Area.objects.filter(reach.q("path"), level=GRID_LEVEL).order_by("path")[:2])
        if len(grids) == 1:
            return grids[0]
        raise _bad("area_id", "请选择事件所在的网格或单元")
    area = Area.objects.filter(pk=area_pk).first()
    if area is None or not reach.covers(area.path):
        raise Http404("未找到")
    if area.level < GRID_LEVEL:
        raise _bad("area_id", f"事件位置须为网格或单元，“{area.name}”是{area.get_kind_display()}")
    if area.closed_on is not None:  # a closed area (撤销) receives no new events
        raise _bad("area_id", f"“{area.name}”已于{area.closed_on.isoformat()}撤销，不能上报事件")
    return area


# --- lists and details ----------------------------------------------------------------------------


def _with_related(qs):
    return qs.select_related(
        "event_class", "suggested_class", "department", "area", "grid", "dispatch_area"
    ).defer(
        "area__boundary",
        "grid__boundary",
        "dispatch_area__boundary",
        "department__phone",
        "tokens",
    )


# What a list answer (``api.event_out``) reads of an event's related rows: names and codes.
# Loading them whole (six related rows of twenty-odd columns each) was half the CPU time of
# ``GET /api/v1/cases/``, in building the query and the objects.
_PAGE_RELATED = (
    "area__name",
    "grid__name",
    "dispatch_area__name",
    "event_class__code",
    "event_class__name",
    "event_class__kind",
    "suggested_class__code",
    "suggested_class__name",
    "department__name",
    "department__area_path",
)


def page_columns(qs):
    """``event_list`` as a list answer reads it: every column of the event (but its search
    tokens), and of its related rows only what the answer shows."""
    own = [f.name for f in Event._meta.concrete_fields if f.name != "tokens"]
    return qs.only(*own, *_PAGE_RELATED)


def event_list(
    user,
    *,
    state: str | None = None,
    class_code: str | None = None,
    department: int | None = None,
    area: int | None = None,
    sla_status: str | None = None,
    q: str | None = None,
    mine: bool = False,
    period: str | None = None,
    stage: str | None = None,
):
    """The events ``user`` may see, newest first, filtered by state, class, department, area
    (its subtree), the clock's status (``normal``, ``chase``, ``overdue``), text and "mine";
    ``period`` (``YYYY-MM``) and ``stage`` select the events behind a dashboard figure:
    those opened (立案) in the month that reached the stage (``STAGES``: ``opened``,
    ``closed``, ``satisfied`` ...), or ``reported`` in the month, or ``open`` (立案 and not
    closed, today) or ``overdue_open`` (open past the deadline, today)."""
    qs = Event.objects.visible_to(user, "cases.view")
    qs = _period_stage(qs, period, stage)
    if state:
        qs = qs.filter(state__in=list_states(state))
    if class_code:
        qs = qs.filter(event_class__code=class_code)
    if department is not None:
        qs = qs.filter(department_id=department)
    if area is not None:
        node = scope.get_visible(Area.objects.only("pk", "path"), user, "cases.view", pk=area)
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    if sla_status:
        now = timezone.now()
        running = Q(state__in=RUNNING_STATES, deadline__isnull=False)
        if sla_status == SlaStatus.OVERDUE:
            qs = qs.filter(running, deadline__lt=now)
        elif sla_status == SlaStatus.CHASE:
            qs = qs.filter(running, deadline__gte=now, chase_at__lte=now)
        elif sla_status == SlaStatus.NORMAL:
            qs = qs.filter(running, deadline__gte=now, chase_at__gt=now)
        else:
            raise _bad(
                "sla", "时限状态取值无效，可选：normal（正常）、chase（临期）、overdue（超期）"
            )
    text_q = clean_search(q)
    if text_q:
        qs = qs.filter(Q(description__contains=text_q) | Q(place__contains=text_q))
    if mine:
        qs = qs.filter(reporter_id=user.pk)
    return _with_related(qs).order_by("-id")


def list_states(state: str) -> list[str]:
    """The states of a list's ``state`` filter (comma-separated), 422 for an unknown one."""
    states = [s for s in state.split(",") if s]
    bad = [s[:24] for s in states if s not in State.values][:5]
    if bad:
        raise _bad("state", f"状态取值无效：{'、'.join(bad)}，可选：{'、'.join(State.values)}")
    return states


def _period_stage(qs, period: str | None, stage: str | None):
    if stage and stage not in LIST_STAGES:
        raise _bad("stage", f"阶段（stage）取值无效，可选：{'、'.join(LIST_STAGES)}")
    month = parse_month(period, field="period", label="期间（period）") if period else None
    if stage == "overdue_open":
        return qs.filter(state__in=OPEN_STATES, overdue_at__isnull=False)
    if stage == "open":
        return qs.filter(state__in=OPEN_STATES, opened_at__isnull=False)
    field = "reported_at" if stage == "reported" else "opened_at"
    if stage and stage != "reported":
        qs = qs.filter(STAGES[stage], opened_at__isnull=False)
    if month is not None:
        start = timezone.make_aware(dt.datetime.combine(month, dt.time()))
        end = timezone.make_aware(dt.datetime.combine(next_month(month), dt.time()))
        qs = qs.filter(**{f"{field}__gte": start, f"{field}__lt": end})
    return qs


def event_get(user, pk: int, action: str = "cases.view") -> Event:
    return scope.get_visible(
        _with_related(Event.objects.all()), user, action, view_action="cases.view", pk=pk
    )


@dataclass(frozen=True)
class JustFiled:
    """What ``services.event_create`` wrote beside the event it returns (``event.just_filed``):
    its one step and the duplicates it linked, with their similarity. A report just filed has
    no notice and no photo yet."""

    step: EventStep
    duplicates: list[tuple[Event, float]]


def event_detail_extras(user, event: Event) -> dict:
    """History, notices and the visible duplicate links of one event; for a reader who sees
    it only as its reporter, the reporter's view (``reporter_view``). Of a report just filed
    (``JustFiled``), from what was written: no query but the duplicates' visibility."""
    from dangjian.cases.models import EventLink

    filed = getattr(event, "just_filed", None)
    if filed is not None:
        return _just_filed_extras(user, event, filed)
    links = list(
        EventLink.objects.filter(Q(low_id=event.pk) | Q(high_id=event.pk)).values_list(
            "low_id", "high_id", "similarity"
        )
    )
    others = {(lo if hi == event.pk else hi): s for lo, hi, s in links}
    duplicates = []
    if others:
        visible = _with_related(
            Event.objects.visible_to(user, "cases.view").filter(pk__in=list(others))
        ).order_by("-id")
        duplicates = [(e, others[e.pk]) for e in visible]
    if reporter_view.reporter_only(user, event):
        # The reporter reads the same wherever they read it: the public notes only.
        return {
            "steps": reporter_view.public_steps(user, list(event.steps.all())),
            "notices": [],
            "duplicates": duplicates,
            "reporter_view": True,
        }
    return {
        "steps": list(event.steps.all()),
        "notices": list(event.notices.select_related("department").defer("department__phone")),
        "duplicates": duplicates,
        "reporter_view": False,
    }


def _just_filed_extras(user, event: Event, filed: JustFiled) -> dict:
    linked = {e.pk: (e, similarity) for e, similarity in filed.duplicates}
    duplicates = []
    if linked:
        seen = Event.objects.visible_to(user, "cases.view").filter(pk__in=list(linked))
        duplicates = [linked[pk] for pk in sorted(seen.values_list("pk", flat=True), reverse=True)]
    if reporter_view.reporter_only(user, event):
        steps = reporter_view.public_steps(user, [filed.step])
        return {"steps": steps, "notices": [], "duplicates": duplicates, "reporter_view": True}
    return {"steps": [filed.step], "notices": [], "duplicates": duplicates, "reporter_view": False}


# --- duplicates before submission -----------------------------------------------------------------


def duplicate_candidates(
    *, grid_pk: int, class_pk: int | None, toks: list[str], now=None, exclude_pk=None
) -> list[tuple[Event, float]]:
    """Open events of the same class in the same grid, reported within the window, whose
    tokens are similar enough: (event, similarity), most similar first."""
    if class_pk is None or not toks:
        return []
    now = now or timezone.now()
    window = dt.timedelta(hours=float(sla.setting("CASES_DUPLICATE_WINDOW_HOURS")))
    threshold = float(sla.setting("CASES_DUPLICATE_SIMILARITY"))
    qs = (
        Event.objects.filter(
            grid_id=grid_pk,
            event_class_id=class_pk,
            state__in=OPEN_STATES,
            reported_at__gte=now - window,
        )
        .select_related("event_class")
        .only(
            "pk",
            "description",
            "place",
            "state",
            "reported_at",
            "me_too_count",
            "tokens",
            "event_class__code",
            "event_class__name",
            "event_class__kind",
        )
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    out = []
    for ev in qs.order_by("-reported_at")[:500]:
        similarity = text.jaccard(toks, ev.tokens.split())
        if similarity >= threshold:
            out.append((ev, round(similarity, 4)))
    out.sort(key=lambda p: (-p[1], -p[0].pk))
    return out[:10]


def draft_check(user, *, area_pk: int | None, description: str, class_code: str = "") -> dict:
    """Before a report is submitted: the suggested class and the similar open events in the
    grid, so the reporter can say "me too" instead of reporting again."""
    area = reporting_area(user, area_pk)
    body = (description or "").strip()
    if not body:
        raise _bad("description", "请填写事件描述")
    suggestion, toks = classifier.suggest(body[:1000])
    klass = None
    if class_code:
        klass = EventClass.objects.filter(code=class_code, active=True).first()
        if klass is None:
            raise _bad("class_code", f"事件类别“{class_code[:32]}”不存在或已停用")
    class_pk = klass.pk if klass else suggestion.pk
    grid_path = area.path if area.level == GRID_LEVEL else grid_of_path(area.path)
    grid = Area.objects.only("pk").get(path=grid_path)
    return {
        "area": area,
        "suggestion": suggestion,
        "duplicates": duplicate_candidates(grid_pk=grid.pk, class_pk=class_pk, toks=toks),
    }


# --- metrics -------------------------------------------------------------------------------------


def _day_start(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(0, 0), tzinfo=OFFICE_TZ)


_CLOSED = Q(closed_at__isnull=False)
# Only reports someone can rate count for the satisfaction rate (not patrol finds).
_RATED = Q(source__in=RATED_SOURCES)

# What each count of the metrics counts among the events opened in the period: the one
# definition the metrics, the dashboard's roll-ups and the list behind a figure
# (``event_list(stage=...)``) share.
STAGES = {
    "opened": Q(),
    "dispatched": Q(first_dispatched_at__isnull=False),
    "responded": Q(accepted_at__isnull=False),
    "closed": _CLOSED,
    "closed_on_time": _CLOSED & Q(on_time=True),
    "solved": _CLOSED & Q(resolution=Resolution.SOLVED),
    "evaluated": _RATED & ~Q(rating=""),
    "satisfied": _RATED & Q(rating__in=SATISFIED_RATINGS),
    "overdue": Q(overdue_at__isnull=False),
}
# Stages of the list that are not counts of an opened cohort: reported in the period (by
# ``reported_at``), open now (立案, not closed: the dashboard's 未办结事件) and open past the
# deadline now (the dashboard's 超期未办结).
LIST_STAGES = (*STAGES, "reported", "open", "overdue_open")


def _counts(opened: Q) -> dict:
    """The aggregate expressions of the metrics, over the events opened in the period. The
    handling time is summed (with its own count) so that groups can be added up exactly."""
    closed = opened & _CLOSED
    out = {k: Count("pk", filter=opened & q) for k, q in STAGES.items()}
    out["handling_sum"] = Sum("handling_seconds", filter=closed)
    out["handling_n"] = Count("handling_seconds", filter=closed)
    return out


COUNT_KEYS = (
    "opened",
    "dispatched",
    "responded",
    "closed",
    "closed_on_time",
    "solved",
    "evaluated",
    "satisfied",
    "overdue",
    "handling_sum",
    "handling_n",
)


def _add(into: dict, row: dict) -> None:
    for key in COUNT_KEYS:
        into[key] = into.get(key, 0) + int(row.get(key) or 0)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _finish(row: dict) -> dict:
    timed = int(row.get("handling_n") or 0)
    seconds = int(row.get("handling_sum") or 0) / timed if timed else None
    out = {k: int(row.get(k) or 0) for k in COUNT_KEYS if not k.startswith("handling_")}
    out.update(
        {
            "closure_rate": _rate(out["closed"], out["opened"]),
            "on_time_rate": _rate(out["closed_on_time"], out["closed"]),
            "response_rate": _rate(out["responded"], out["dispatched"]),
            "resolution_rate": _rate(out["solved"], out["closed"]),
            "satisfaction_rate": _rate(out["satisfied"], out["evaluated"]),
            "avg_handling_hours": round(float(seconds) / 3600, 2) if seconds is not None else None,
        }
    )
    return out


GROUP_BY = {
    "": "按类别和承办部门",
    "class": "按类别",
    "department": "按承办部门",
    "child": "按下级区域",
}


def _metrics_node_path(user, node_path: str | None) -> str:
    """The node whose children the metrics are grouped by: the one asked for, else the
    deepest area above everything the user reaches (the roots' level when nothing is common)."""
    if node_path is not None:
        return node_path
    paths = list(scope.reach_of(user, "cases.view").area_paths)
    if not paths:
        return ""
    common = min(paths, key=len)
    while common and not all(p.startswith(common) for p in paths):
        common = common[: -tree.STEP_WIDTH]
    return common


def event_metrics(
    user,
    *,
    area: int | None = None,
    department: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    group_by: str = "",
) -> dict:
    """The closed loop's figures for a node and a period, overall and grouped.

    ``group_by``: ``""`` by class and by department, ``class``, ``department``, or ``child``:
    by the children of the node (a city's counties, a county's streets, a street's
    communities …; events on the node itself as 本级).

    One aggregate statement grouped by (class, department) — and by the child's path prefix
    (``Substr(area_path)``) when grouping by child — reads the events once; the totals and the
    groups are added up from its rows, and the few class, department and area names are read
    apart (three statements were three passes over a city's events).

    The cohort is the events opened (立案) in the period (``date_from`` to ``date_to``, both
    inclusive, office time zone); ``reported`` counts the reports collected in it. Closure
    rate (办结率) = closed / opened (accepted); on-time rate = handled within the limit /
    closed; response rate = signed for by the department / dispatched; resolution rate (解决率)
    = closed as solved (已解决) / closed; satisfaction rate = satisfied or basically satisfied /
    evaluated, counting only reports someone can rate (``RATED_SOURCES``: not patrol finds or
    departments' own reports); the average handling time runs from the last dispatch to the
    department's report, over the closed events.
    """
    if group_by not in GROUP_BY:
        raise _bad(
            "group_by", "分组方式应为class（按类别）、department（按承办部门）或child（按下级区域）"
        )
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise _bad(name, f"日期应在{EARLIEST.year}年至{LATEST.year}年之间")
    if date_from and date_to and date_to < date_from:
        raise _bad("date_to", "结束日期不能早于开始日期")
    base = Event.objects.visible_to(user, "cases.view")
    node = None
    node_path = None
    if area is not None:
        a = scope.get_visible(
            Area.objects.only("pk", "path", "name", "kind"), user, "cases.view", pk=area
        )
        base = base.filter(tree.subtree_q("area_path", a.path))
        node = {"id": a.pk, "name": a.name, "kind": a.kind}
        node_path = a.path
    if department is not None:
        base = base.filter(department_id=department)
    period_opened = Q(opened_at__isnull=False)
    period_reported = Q()
    if date_from:
        period_opened &= Q(opened_at__gte=_day_start(date_from))
        period_reported &= Q(reported_at__gte=_day_start(date_from))
    if date_to:
        end = _day_start(date_to + dt.timedelta(days=1))
        period_opened &= Q(opened_at__lt=end)
        period_reported &= Q(reported_at__lt=end)
    if date_from or date_to:
        base = base.filter(period_opened | period_reported)
    reported = Count("pk", filter=period_reported) if period_reported else Count("pk")
    keys = ["event_class_id", "department_id"]
    child_len = 0
    if group_by == "child":
        child_len = len(_metrics_node_path(user, node_path)) + tree.STEP_WIDTH
        base = base.annotate(child=Substr("area_path", 1, child_len))
        keys.append("child")
    groups = list(
        base.order_by().values(*keys).annotate(reported=reported, **_counts(period_opened))
    )
    totals: dict = {"reported": 0}
    per_class: dict[int | None, dict] = {}
    per_department: dict[int, dict] = {}
    per_child: dict[str, dict] = {}
    for g in groups:
        totals["reported"] += g["reported"]
        _add(totals, g)
        if not g["opened"]:
            continue  # reported in the period, opened outside it: not in the cohort
        if group_by in ("", "class"):
            _add(per_class.setdefault(g["event_class_id"], {}), g)
        if group_by in ("", "department") and g["department_id"] is not None:
            _add(per_department.setdefault(g["department_id"], {}), g)
        if group_by == "child":
            _add(per_child.setdefault(g["child"], {}), g)
    return {
        "node": node,
        "date_from": date_from,
        "date_to": date_to,
        "group_by": group_by,
        "totals": {"reported": totals.pop("reported"), **_finish(totals)},
        "by_class": _class_rows(per_class),
        "by_department": _department_rows(per_department),
        "by_child": _child_rows(per_child, child_len),
    }


def _class_rows(per_class: dict) -> list[dict]:
    if not per_class:
        return []
    classes = {
        c.pk: c
        for c in EventClass.objects.filter(pk__in=[k for k in per_class if k is not None]).only(
            "pk", "code", "name", "kind", "sort"
        )
    }

    def class_order(pk):
        c = classes.get(pk)
        return (1, 0, "") if c is None else (0, c.sort, c.code)

    return [
        {
            "code": classes[pk].code if pk in classes else "",
            "name": classes[pk].name if pk in classes else "未分类",
            "kind": classes[pk].kind if pk in classes else "",
            **_finish(per_class[pk]),
        }
        for pk in sorted(per_class, key=class_order)
    ]


def _department_rows(per_department: dict) -> list[dict]:
    if not per_department:
        return []
    rows = {
        pk: (name, path)
        for pk, name, path in Department.objects.filter(pk__in=list(per_department)).values_list(
            "pk", "name", "area_path"
        )
    }
    found = labels.department_labels((pk, n, p) for pk, (n, p) in rows.items())
    return [
        {"id": pk, "name": rows[pk][0], "label": found[pk], **_finish(per_department[pk])}
        for pk in sorted(per_department, key=lambda pk: (rows[pk][1], rows[pk][0], pk))
    ]


def _child_rows(per_child: dict, child_len: int) -> list[dict]:
    """One row per child node; events on the node itself (a path shorter than a child's) as
    本级, first."""
    if not per_child:
        return []
    areas = {
        path: (pk, name, kind)
        for pk, path, name, kind in Area.objects.filter(
            path__in=[p for p in per_child if len(p) == child_len]
        ).values_list("pk", "path", "name", "kind")
    }
    out = []
    for path in sorted(per_child, key=lambda p: (len(p) == child_len, p)):
        pk, name, kind = areas.get(path, (None, "本级", ""))
        out.append({"id": pk, "name": name, "kind": kind, **_finish(per_child[path])})
    return out


# --- attachments (photos) -------------------------------------------------------------------------


def attachment_list(user, event: Event):
    """The photos of an event already read as visible to ``user`` (none yet of a report just
    filed: ``JustFiled``)."""
    from dangjian.cases.models import EventAttachment

    if getattr(event, "just_filed", None) is not None:
        return []
    return list(
        EventAttachment.objects.filter(event_id=event.pk)
        .select_related("file", "step")
        .order_by("id")
    )


def attachment_get(user, event_pk: int, attachment_pk: int):
    """One photo, after its event is checked visible to ``user`` (404 otherwise)."""
    from dangjian.cases.models import EventAttachment

    event = scope.get_visible(Event.objects.only("pk"), user, "cases.view", pk=event_pk)
    found = (
        EventAttachment.objects.filter(event_id=event.pk, pk=attachment_pk)
        .select_related("file")
        .first()
    )
    if found is None:
        raise Http404("未找到")
    return found
