"""Demo events of the grid event closed loop, planned in memory and written in bulk.

``seed_events(b, users, progress)`` is called once by ``dangjian.demo.generator.seed`` for
both scales: about 200,000 events over the last two years at city scale (``CITY_EVENTS``), a
few hundred in the small city (``SMALL_EVENTS``). Each event walks the workflow of
``models.FLOW`` as people do: reported by grid workers on patrol, residents, members, visits
and departments; most opened and dispatched the same day to the department named by its
class (the township's 环卫所, 城管执法中队, 市政所 ... created here, or the county's 住建局);
signed for; a few returned (退单) and redispatched, extended, escalated, failed at
verification, reopened; handled mostly on time (deadlines by ``sla.deadline_for``, i.e.
``core.workdays``), some overdue; closed, and most rated. The closure rate of the opened events
lands near Putian's 96.3% (the recent ones still running, a few stuck overdue).

Descriptions are drawn by ``demo.case_texts`` (per-class phrases, places and tails, a few
filed under another class than their words suggest); the household visits by
``demo.case_visits``. Tokens go through
``text.tokens`` (per fragment, cached), the phone through the EncryptedField and
``crypto.blind_index`` like the services write them. The history (``EventStep``) is written
for every event of the small city, and at city scale for the events of the last
``CITY_HISTORY_DAYS`` and the ones still open (the older closed ones keep their moments on the
event row). Rows are written with one ``executemany`` per batch (``_Table``), with explicit ids
(PostgreSQL's sequences moved past them after). Deterministic for a scale, relative to today.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts import labels
from dangjian.accounts.models import Department
from dangjian.cases import overdue, sla
from dangjian.cases.classification import classifier, text
from dangjian.cases.models import (
    CLOSED_STATES,
    RATED_SOURCES,
    RUNNING_STATES,
    Event,
    EventClass,
    EventNotice,
    EventStep,
    LimitUnit,
    Rating,
    Resolution,
    SlaStatus,
    Source,
    State,
)
from dangjian.core import crypto, tree
from dangjian.core.workdays import OFFICE_TZ
from dangjian.demo import names
from dangjian.demo.case_texts import CLASS_MIX, describe, final_class
from dangjian.demo.case_visits import seed_visits
from dangjian.demo.city_geo import point_in

CITY_EVENTS = 200_000
SMALL_EVENTS = 400
DAYS = 730
# At city scale the step-by-step history is written for the events of the last months and the
# ones still open (the older closed ones keep their moments on the event row).
CITY_HISTORY_DAYS = 120
STEP_COLUMNS = (
    "id",
    "event_id",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_name",
    "note",
    "sla_status",
    "deadline",
    "department_name",
    "data",
    "at",
)
BATCH = 2000
# The demo resident's and member's closed reports waiting for their rating are this old at least.
SETTLED_AGE_DAYS = 60

# Township departments by the classes' default department names (DOMAIN.md: each class names
# its department); 住建局 at the county.
TOWNSHIP_DEPARTMENTS = (
    "环卫所",
    "城管执法中队",
    "市政所",
    "应急办",
    "综治中心",
    "园林所",
    "民政办",
)
COUNTY_DEPARTMENTS = ("住建局",)

SOURCE_MIX = {
    Source.PATROL: 58,
    Source.RESIDENT: 25,
    Source.MEMBER: 6,
    Source.VISIT: 6,
    Source.DEPARTMENT: 5,
}
RATINGS = {Rating.SATISFIED: 83, Rating.BASIC: 12, Rating.DISSATISFIED: 5}


class _Tokens:
    """``text.tokens`` per fragment, cached: a description is a few fragments."""

    def __init__(self, words: set[str]):
        self.words = words
        self.cache: dict[str, list[str]] = {}

    def __call__(self, *parts: str) -> str:
        out: list[str] = []
        seen: set[str] = set()
        for p in parts:
            toks = self.cache.get(p)
            if toks is None:
                toks = self.cache[p] = text.tokens(p, self.words)
            for t in toks:
                if t not in seen:
                    seen.add(t)
                    out.append(t)
        return " ".join(out)


class _Deadlines:
    """``sla.deadline_for`` cached per (date, after office hours, limit) for working days."""

    def __init__(self):
        self.cache: dict = {}

    def __call__(self, start: dt.datetime, value: int, unit: str) -> dt.datetime:
        if unit == LimitUnit.WORKHOURS:
            return sla.deadline_for(start, value, unit)
        local = start.astimezone(OFFICE_TZ)
        key = (local.date(), local.hour >= 18, value)
        found = self.cache.get(key)
        if found is None or found <= start:
            found = self.cache[key] = sla.deadline_for(start, value, unit)
        return found


def _office_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment of ``day``: mostly daytime (patrols, calls), a few in the evening."""
    hour = rng.choices(range(7, 22), [2, 6, 9, 9, 8, 5, 7, 8, 8, 7, 5, 4, 3, 2, 1])[0]
    return dt.datetime.combine(day, dt.time(hour, rng.randrange(60)), tzinfo=OFFICE_TZ)


def _departments(b) -> dict:
    """The departments the classes name, at every township (and 住建局 at every county),
    unsaved; keyed by (area path, name)."""
    rng = random.Random(f"dangjian-demo-departments-{b.scale}")
    out = {}
    for county in b.kids[b.city.path]:
        for name in COUNTY_DEPARTMENTS:
            out[(county.path, name)] = county
        for township in b.kids[county.path]:
            for name in TOWNSHIP_DEPARTMENTS:
                out[(township.path, name)] = township
    rows = {}
    for (path, name), area in out.items():
        phone = names.mobile(rng)
        rows[(path, name)] = Department(
            name=name,
            area=area,
            area_path=path,
            phone=phone,
            phone_index=crypto.blind_index("phone", phone),
        )
    return rows


def seed_events(b, users: dict, progress: bool = True) -> dict:
    """Plan and write the demo events of the city ``b`` (a ``demo.city_builder.CityBuilder``
    already written); ``users`` are the demo accounts by username. Returns the counts."""
    started = time.perf_counter()
    scale_n = (CITY_EVENTS if b.scale == "city" else SMALL_EVENTS) * b.times
    rng = random.Random(f"dangjian-demo-events-{b.scale}")
    now = timezone.now()
    today = timezone.localdate()
    classes = {c.code: c for c in EventClass.objects.filter(active=True)}
    rule_list = text.rules()
    tok = _Tokens(text.keyword_set(rule_list))
    deadlines = _Deadlines()

    depts = _departments(b)
    Department.objects.bulk_create(list(depts.values()), batch_size=BATCH)
    demo_county = b.demo["county"]
    county_city_mgmt = Department.objects.filter(
        area=demo_county, name=b.demo["department_name"]
    ).first()
    # The history names each department with its areas, as live steps do (one query).
    named = [*depts.values(), *([county_city_mgmt] if county_city_mgmt else [])]
    found = labels.department_labels((i, d.name, d.area_path) for i, d in enumerate(named))
    for i, d in enumerate(named):
        d.history_label = found[i][:100]

    grids = b.areas[5]
    kids = b.kids
    weights = [max(g.households, 1) for g in grids]
    codes, class_weights = zip(*[(c, w) for c, w in CLASS_MIX.items() if c in classes], strict=True)
    sources, source_weights = zip(*SOURCE_MIX.items(), strict=True)
    ratings, rating_weights = zip(*RATINGS.items(), strict=True)
    grid_worker = users.get("demo-grid")
    resident = users.get("demo-resident")
    member = users.get("demo-member")
    demo_grid = b.demo["grid"]

    events_t = _Table(Event, now)
    steps_t = _Table(EventStep, now, STEP_COLUMNS)
    adapt_dt = _datetime_adapter()
    history_from = now - dt.timedelta(days=CITY_HISTORY_DAYS) if b.scale == "city" else None
    next_event = (Event.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_step = (EventStep.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    events: list[tuple] = []
    steps: list[tuple] = []
    stats: Counter = Counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=scale_n, desc="写入演示事件", unit="件", unit_scale=True, leave=False)

    # Slightly more events lately (the platform grows): day offsets drawn with a ramp.
    day_weights = [1 + 0.5 * i / DAYS for i in range(DAYS)]
    day_list = [today - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    chosen_days = rng.choices(day_list, day_weights, k=scale_n)
    chosen_grids = rng.choices(grids, weights, k=scale_n)
    if scale_n >= 20:
        # The demo grid gets its share, so the demo accounts see events of their own.
        for i in range(0, scale_n, max(scale_n // 60, 1)):
            chosen_grids[i] = demo_grid
    # The demo resident and member each have a report closed and waiting for their rating
    # (an older one of the demo grid, walked straight through to closure).
    settled = _settled_reports(
        [i for i in range(scale_n) if chosen_grids[i] is demo_grid],
        chosen_days,
        today,
        [(resident, Source.RESIDENT), (member, Source.MEMBER)],
    )
    notices: list = []

    geo_rng = random.Random(f"dangjian-demo-event-points-{b.scale}")
    for i in range(scale_n):
        grid = chosen_grids[i]
        units = kids.get(grid.path) or []
        where = rng.choice(units) if units and rng.random() < 0.3 else grid
        code = rng.choices(codes, class_weights)[0]
        desc, parts = describe(rng, code)
        final = classes[final_class(rng, code)]
        reported = _office_moment(rng, chosen_days[i])
        if reported > now:
            reported = now - dt.timedelta(minutes=rng.randrange(5, 120))
        source = rng.choices(sources, source_weights)[0]
        reporter = None
        if i in settled:
            reporter, source = settled[i]
        elif grid is demo_grid:
            # The demo accounts' own reports: the grid worker's patrols, the resident's and
            # the member's reports (a visit's or a department's report is nobody's of theirs).
            reporter = {
                Source.PATROL: grid_worker,
                Source.RESIDENT: resident,
                Source.MEMBER: member,
            }.get(source)
        phone = names.mobile(rng) if source == Source.RESIDENT else ""
        township = b.by_path[grid.path[: 3 * tree.STEP_WIDTH]]
        county = b.by_path[grid.path[: 2 * tree.STEP_WIDTH]]
        ev = _Plan(events_t.defaults)
        ev.id = next_event
        next_event += 1
        ev.description = desc
        ev.place = parts[0]
        ev.area_id, ev.area_path, ev.grid_id = where.pk, where.path, grid.pk
        # A point in the grid (its own generator: the rest of the demo stays as it was).
        ev.lng, ev.lat = point_in(geo_rng, grid.boundary)
        ev.event_class_id = final.pk
        ev.class_source = "dispatcher"
        ev.tokens = tok(*parts)
        ev.fingerprint = text.fingerprint(desc)
        ev.dispatch_area_id, ev.dispatch_area_path = township.pk, township.path
        ev.dispatch_name = township.name
        ev.source = source
        ev.reporter_id = reporter.pk if reporter else None
        ev.reporter_name = (
            (reporter.real_name if reporter else names.person_name(rng))
            if source != Source.DEPARTMENT
            else "部门巡查"
        )
        ev.anonymous = source == Source.RESIDENT and rng.random() < 0.1
        # Encrypted on writing (the row writer's adapter) and indexed as the services do.
        ev.reporter_phone = phone or ""
        ev.reporter_phone_index = crypto.blind_index("phone", phone) if phone else ""
        ev.reported_at = reported
        dept = _department_for(depts, final, township, county)
        if (
            county is demo_county
            and county_city_mgmt
            and final.code in ("advertising", "street_order")
        ):
            dept = county_city_mgmt
        history = _walk(
            rng, ev, final, dept, county, now, deadlines, ratings, rating_weights, i in settled
        )
        events.append(events_t.row(ev.__dict__))
        if ev.overdue_at is not None:
            # The 超期通报 the sweep or the late move would have written (the same rows).
            notices.append(
                overdue.notice(
                    event_id=ev.id,
                    deadline=ev.deadline,
                    department_id=ev.department_id,
                    at=ev.overdue_at,
                )
            )
        if history_from is None or reported >= history_from or ev.state not in CLOSED_STATES:
            for action, before, after, at, note, status, deadline, dept_name, data in history:
                steps.append(
                    (
                        next_step,
                        ev.id,
                        action,
                        before,
                        after,
                        None,
                        _actor(action, ev),
                        note,
                        status,
                        adapt_dt(deadline),
                        dept_name,
                        json.dumps(data, ensure_ascii=False) if data else "{}",
                        adapt_dt(at),
                    )
                )
                next_step += 1
            stats["steps"] += len(history)
        stats[ev.state] += 1
        if len(events) >= BATCH:
            events_t.write(events)
            steps_t.write(steps)
            EventNotice.objects.bulk_create(notices, batch_size=BATCH)
            if bar is not None:
                bar.update(len(events))
            events, steps, notices = [], [], []
    events_t.write(events)
    steps_t.write(steps)
    EventNotice.objects.bulk_create(notices, batch_size=BATCH)
    if bar is not None:
        bar.update(len(events))
        bar.close()
    _reset_sequences()
    written = time.perf_counter()
    model = classifier.train(audited=False)  # the demo.seed audit row records it
    opened = sum(
        v for k, v in stats.items() if k in State.values and k not in ("collected", "cancelled")
    )
    closed = stats[State.CLOSED] + stats[State.EVALUATED]
    visit_counts = seed_visits(b, users, rng=random.Random(f"dangjian-demo-visits-{b.scale}"))
    return {
        **visit_counts,
        "events": scale_n,
        "event_departments": len(depts),
        "events_closed": closed,
        "events_closure_rate": round(closed / opened, 4) if opened else None,
        "event_steps": stats["steps"],
        "classifier_version": model.version if model else None,
        "classifier_accuracy": model.evaluation if model else None,
        "event_seconds": round(written - started, 2),
        "classifier_seconds": round(time.perf_counter() - written, 2),
    }


def _department_for(depts, klass, township, county):
    name = klass.department_name
    return depts.get((township.path, name)) or depts.get((county.path, name))


class _Plan:
    """An event being planned: its columns by attribute name (plus a few helpers)."""

    def __init__(self, defaults: dict):
        self.__dict__.update(defaults)
        self.dept = None
        self.dispatch_name = ""


class _Table:
    """Rows of ``model`` written with one ``executemany`` per batch: values by attribute
    name, the model's defaults for the rest, datetimes, dates and JSON adapted the way the
    backend's fields adapt them (UTC text on SQLite)."""

    def __init__(self, model, now, columns: tuple[str, ...] | None = None):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        if columns is not None:
            # Rows built as tuples in this order by the caller.
            by_name = {f.attname: f for f in self.fields}
            assert set(columns) == set(by_name), f"{model.__name__} columns changed"
            self.fields = [by_name[c] for c in columns]
        self.defaults = {}
        for f in self.fields:
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            else:
                self.defaults[f.attname] = f.get_default()
        qn = connection.ops.quote_name
        cols = ", ".join(qn(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {qn(model._meta.db_table)} ({cols}) VALUES ({marks})"
        sqlite = connection.vendor == "sqlite"
        self.adapters = []
        for f in self.fields:
            kind = f.get_internal_type()
            if isinstance(f, crypto.EncryptedField):
                # Encrypted as the field's own get_prep_value does (a fresh nonce per value).
                self.adapters.append(lambda v: crypto.encrypt(v) if v else (v or ""))
            elif kind == "JSONField":
                self.adapters.append(lambda v: None if v is None else json.dumps(v))
            elif kind == "DateTimeField" and sqlite:
                self.adapters.append(
                    lambda v: None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))
                )
            elif kind == "DateField" and sqlite:
                self.adapters.append(lambda v: None if v is None else v.isoformat())
            else:
                self.adapters.append(None)
        self.attnames = [f.attname for f in self.fields]

    def row(self, values: dict) -> tuple:
        defaults = self.defaults
        out = []
        for name, adapt in zip(self.attnames, self.adapters, strict=True):
            v = values[name] if name in values else defaults.get(name)
            out.append(adapt(v) if adapt is not None else v)
        return tuple(out)

    def write(self, rows: list[tuple]) -> None:
        if rows:
            with connection.cursor() as cur:
                cur.executemany(self.sql, rows)


def _datetime_adapter():
    """Aware datetimes as the backend's DateTimeField stores them (UTC text on SQLite)."""
    if connection.vendor != "sqlite":
        return lambda v: v

    def adapt(v):
        return None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))

    return adapt


def _reset_sequences() -> None:
    """After writing explicit ids: move PostgreSQL's sequences past them."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [Event, EventStep])
    if statements:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)


def _actor(action: str, ev) -> str:
    if action in ("collect", "evaluate"):
        return "匿名群众" if ev.anonymous else ev.reporter_name
    if action in ("accept", "return", "request_extension", "finish"):
        return ev.dept.name if ev.dept else "承办部门"
    return f"{ev.dispatch_name}指挥中心"


NOTES = {
    "cancel": ["不属于网格事件受理范围", "重复上报", "信息不全，无法核实"],
    "return": ["非本部门职责", "地址不在本辖区", "应由上级部门处理"],
    "request_extension": ["需协调多个部门", "需等待材料到货", "天气原因无法施工"],
    "finish": ["已处理完毕", "已现场整改", "已清理完毕", "已协调解决", "已答复当事人"],
    "verify_fail": ["现场仍未整改到位", "群众反映问题依旧"],
    "escalate": ["街道无法协调，请区里统筹"],
    "reopen": ["群众反映问题复发"],
}


def _settled_reports(indexes, days, today, people) -> dict:
    """Event index → (reporter, source) for each of ``people`` whose account exists: one of
    the demo grid's reports at least ``SETTLED_AGE_DAYS`` old, each its own."""
    old = [i for i in indexes if (today - days[i]).days >= SETTLED_AGE_DAYS]
    out = {}
    for i, (user, source) in zip(old, [p for p in people if p[0] is not None], strict=False):
        out[i] = (user, source)
    return out


def _walk(rng, ev, klass, dept, county, now, deadlines, ratings, rating_weights, settle=False):
    """Move ``ev`` through the workflow as far as ``now`` allows; the history rows.

    ``settle``: straight through to closure, on time and not rated (the random draws are
    made all the same, so the other events come out as without it). A running event past
    its deadline is overdue from five minutes after it."""
    steps: list[tuple] = []
    t = ev.reported_at
    state = State.COLLECTED
    steps.append(("collect", "", state, t, "", SlaStatus.NOT_STARTED, None, "", {}))

    def step(action, to, at, status, note="", data=None):
        nonlocal state
        steps.append(
            (
                action,
                state,
                to,
                at,
                note,
                status,
                ev.deadline,
                getattr(ev.dept, "history_label", ev.dept.name) if ev.dept else "",
                data or {},
            )
        )
        state = to

    def done():
        ev.state = state
        if state in RUNNING_STATES and ev.deadline and now > ev.deadline and not ev.overdue_at:
            ev.overdue_at = ev.deadline + dt.timedelta(minutes=5)
        return steps

    if rng.random() < 0.02 and not settle:
        at = t + dt.timedelta(minutes=rng.randrange(20, 600))
        if at <= now:
            step("cancel", State.CANCELLED, at, SlaStatus.NOT_STARTED, rng.choice(NOTES["cancel"]))
        return done()
    t += dt.timedelta(minutes=rng.randrange(5, 240))
    if t > now:
        return done()
    ev.opened_at = t
    step("open", State.OPENED, t, SlaStatus.NOT_STARTED)
    if rng.random() < 0.01 and not settle:
        # Escalated: the county dispatches.
        t += dt.timedelta(minutes=rng.randrange(30, 600))
        if t > now:
            return done()
        step("escalate", State.ESCALATED, t, SlaStatus.NOT_STARTED, NOTES["escalate"][0])
        ev.dispatch_area_id, ev.dispatch_area_path = county.pk, county.path
        ev.dispatch_name = county.name
        ev.escalation_count = 1

    def dispatch(action, at):
        ev.dept, ev.department_id = dept, dept.pk
        ev.limit_value, ev.limit_unit = klass.limit_value, klass.limit_unit
        ev.dispatched_at = at
        ev.first_dispatched_at = ev.first_dispatched_at or at
        ev.deadline = deadlines(at, klass.limit_value, klass.limit_unit)
        ev.chase_at = ev.deadline - (ev.deadline - at) / 4
        ev.accepted_at = None
        step(
            action,
            State.DISPATCHED,
            at,
            SlaStatus.NOT_STARTED if action == "dispatch" else SlaStatus.STOPPED,
            data={"department_id": dept.pk, "department_name": dept.name},
        )

    t += dt.timedelta(minutes=rng.randrange(5, 90))
    if t > now:
        return done()
    dispatch("dispatch", t)
    if rng.random() < 0.04 and not settle:
        t += dt.timedelta(minutes=rng.randrange(30, 1440))
        if t > now:
            return done()
        ev.deadline = ev.chase_at = None
        ev.return_count = 1
        step("return", State.RETURNED, t, SlaStatus.NORMAL, rng.choice(NOTES["return"]))
        t += dt.timedelta(minutes=rng.randrange(30, 600))
        if t > now:
            return done()
        dispatch("redispatch", t)
    if rng.random() < 0.012 and not settle:
        # Never signed for: still waiting (or long overdue).
        return done()
    t += dt.timedelta(minutes=rng.randrange(5, 600))
    if t > now:
        return done()
    ev.accepted_at = t
    step("accept", State.HANDLING, t, _status(ev, t))
    span = ev.deadline - ev.dispatched_at
    if rng.random() < 0.03 and not settle:
        at = ev.dispatched_at + span * rng.uniform(0.3, 0.7)
        if at > now:
            return done()
        step(
            "request_extension",
            State.EXTENSION_REQUESTED,
            at,
            _status(ev, at),
            rng.choice(NOTES["request_extension"]),
            {"extension": "3个工作日"},
        )
        at += dt.timedelta(minutes=rng.randrange(30, 600))
        if at > now:
            return done()
        ev.deadline = sla.extended(ev.deadline, 3, LimitUnit.WORKDAYS)
        ev.extension_count = 1
        step(
            "grant_extension", State.HANDLING, at, _status(ev, at), data={"extension": "3个工作日"}
        )
        span = ev.deadline - ev.dispatched_at
    if rng.random() < 0.014 and not settle:
        # Stuck: still being handled, past its deadline.
        if now > ev.deadline:
            ev.overdue_at = ev.deadline + dt.timedelta(minutes=5)
        return done()
    late = rng.random() < 0.08 and not settle
    share = rng.uniform(1.02, 2.5) if late else rng.uniform(0.1, 0.97)
    handled = max(ev.dispatched_at + span * share, ev.accepted_at + dt.timedelta(minutes=10))
    if handled > now:
        if now > ev.deadline:
            ev.overdue_at = ev.deadline + dt.timedelta(minutes=5)
        return done()
    if handled > ev.deadline:
        ev.overdue_at = ev.deadline + dt.timedelta(minutes=5)
    status = _status(ev, handled)
    ev.handled_at = handled
    ev.on_time = handled <= ev.deadline
    ev.handling_seconds = int((handled - ev.dispatched_at).total_seconds())
    step("finish", State.HANDLED, handled, status, rng.choice(NOTES["finish"]))
    t = handled + dt.timedelta(minutes=rng.randrange(30, 2880))
    if rng.random() < 0.03 and t <= now and not settle:
        step("verify_fail", State.HANDLING, t, _done_status(ev), rng.choice(NOTES["verify_fail"]))
        t += dt.timedelta(minutes=rng.randrange(60, 1440))
        if t > now:
            ev.on_time = ev.handled_at = ev.handling_seconds = None
            return done()
        ev.handled_at = t
        ev.on_time = t <= ev.deadline
        ev.handling_seconds = int((t - ev.dispatched_at).total_seconds())
        step("finish", State.HANDLED, t, _status(ev, t), rng.choice(NOTES["finish"]))
        t += dt.timedelta(minutes=rng.randrange(30, 1440))
    if t > now:
        return done()
    ev.closed_at = t
    # Most problems solved; some only answered (a request beyond what can be done).
    ev.resolution = Resolution.SOLVED if rng.random() < 0.9 else Resolution.ANSWERED
    step("verify_pass", State.CLOSED, t, _done_status(ev), data={"resolution": ev.resolution})
    # Patrol finds and departments' own reports have no reporter to rate them.
    if ev.source in RATED_SOURCES and rng.random() < 0.72 and not settle:
        t += dt.timedelta(minutes=rng.randrange(10, 4320))
        if t <= now:
            ev.rating = rng.choices(ratings, rating_weights)[0]
            ev.evaluated_at = t
            step("evaluate", State.EVALUATED, t, _done_status(ev), data={"rating": ev.rating})
    return done()


def _status(ev: Event, at: dt.datetime) -> str:
    if ev.deadline is None:
        return SlaStatus.STOPPED
    if at > ev.deadline:
        return SlaStatus.OVERDUE
    if ev.chase_at and at >= ev.chase_at:
        return SlaStatus.CHASE
    return SlaStatus.NORMAL


def _done_status(ev: Event) -> str:
    return SlaStatus.MET if ev.on_time else SlaStatus.LATE
