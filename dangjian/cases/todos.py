"""The closed loop's to-dos (``core.todo``) and notifications (``core.notify``).

Each item waits on the side of the flow that moves it next (``models.FLOW``):

- the dispatching level (街乡派单, the grant on the event's ``dispatch_area``): events to open,
  to dispatch (again) and extensions to decide;
- the department the event is dispatched to: events to accept and to handle;
- the community and street staff covering the event's area: handled events to verify;
- the reporter: closed reports to rate.

Read through ``selectors.event_list`` (``cases.view`` scope), narrowed to the side.
Notifications: the reporter is told of their report's progress (``tell_reporter``, called by
``services.event_transition``); the deadline sweep tells the department of a deadline
approaching and the department and dispatching level of one passed.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from dangjian.cases import selectors
from dangjian.cases.models import INTAKE_SOURCES, RUNNING_STATES, Event, Source, State
from dangjian.core import notify, scope, todo, tree
from dangjian.core.textmask import mask_text

S = State
MODULE = "基层治理"
KIND_PROGRESS = "cases.progress"
KIND_DEADLINE = "cases.deadline"

PUBLIC_SOURCES = frozenset({Source.RESIDENT, Source.MEMBER})

# The depth of the dispatching level (街乡): staff at it or below verify handled events.
_VERIFY_MIN_DEPTH = 3


def _subject(e: Event) -> str:
    klass = e.event_class.name if e.event_class_id else "未分类"
    where = e.place or e.description
    return mask_text(f"{klass} · {where[:24]}")


def _level(user, states):
    paths = scope.reach_of(user, "cases.dispatch").area_paths
    if not paths:
        return Event.objects.none()
    return selectors.event_list(user).filter(state__in=states, dispatch_area_path__in=paths)


def _department(user, states):
    ids = scope.reach_of(user, "cases.handle").department_ids
    if not ids:
        return Event.objects.none()
    return selectors.event_list(user).filter(state__in=states, department_id__in=ids)


def _verify(user):
    from django.db.models import Q

    paths = [
        p
        for p in scope.reach_of(user, "cases.dispatch").area_paths
        if tree.depth_of(p) >= _VERIFY_MIN_DEPTH
    ]
    if not paths:
        return Event.objects.none()
    q = Q()
    for p in paths:
        q |= tree.subtree_q("area_path", p)
    return selectors.event_list(user).filter(q, state=S.HANDLED)


def _rate(user):
    if not user.can("cases.rate"):
        return Event.objects.none()
    return (
        selectors.event_list(user)
        .filter(state=S.CLOSED, reporter_id=user.pk)
        .exclude(source__in=INTAKE_SOURCES)
    )


QUERIES = {
    "cases.open": ("立案审核", lambda u: _level(u, [S.COLLECTED])),
    "cases.dispatch": (
        "派遣事件",
        lambda u: _level(u, [S.OPENED, S.ESCALATED, S.RETURNED, S.EXTENSION_REQUESTED]),
    ),
    "cases.accept": ("签收事件", lambda u: _department(u, [S.DISPATCHED])),
    "cases.handle": ("处置事件", lambda u: _department(u, [S.HANDLING])),
    "cases.verify": ("核查结案", _verify),
    "cases.rate": ("评价事件", _rate),
}
LABELS = {
    "cases.open": "待立案的事件",
    "cases.dispatch": "待派遣的事件",
    "cases.accept": "待签收的事件",
    "cases.handle": "处置中的事件",
    "cases.verify": "待核查的事件",
    "cases.rate": "待评价的诉求",
}
_TITLES = {
    S.EXTENSION_REQUESTED: "审核延期申请",
    S.RETURNED: "重新派遣事件",
    S.ESCALATED: "派遣上报的事件",
}


def _url(key: str, user, e: Event) -> str:
    if key == "cases.rate" and getattr(user, "phone_only", False):
        return reverse("portal:cases:detail", args=[e.pk])
    return reverse("console:cases:detail", args=[e.pk])


def _source(key: str):
    title, query = QUERIES[key]

    def items(user):
        rows = query(user).order_by("deadline", "id")[: todo_limit()]
        return [
            todo.Todo(
                source=key,
                title=_TITLES.get(e.state, title),
                subject=_subject(e),
                url=_url(key, user, e),
                object_id=e.pk,
                due=e.deadline if e.state in RUNNING_STATES else None,
            )
            for e in rows
        ]

    def count(user):
        return query(user).count()

    return items, count


def todo_limit() -> int:
    return 200


def declare() -> None:
    for key in QUERIES:
        items, count = _source(key)
        todo.declare(key, label=LABELS[key], items=items, count=count, module=MODULE)
    notify.declare_kind(KIND_PROGRESS, "诉求办理进度")
    notify.declare_kind(KIND_DEADLINE, "事件处置期限提醒")
    notify.declare_sweep("cases", deadline_sweep)


# --- notifications ----------------------------------------------------------------------------

_PROGRESS = {
    "open": ("您上报的事件已受理", "已立案，将派遣相关部门处置。"),
    "finish": ("您上报的事件已处置", "承办部门已处置完毕，待核查结案。"),
    "verify_pass": ("您上报的事件已办结", "事件已核查结案，欢迎对办理结果进行评价。"),
}


def tell_reporter(event: Event, action: str, actor=None) -> int:
    """The reporter's own account is told of their report's progress (accepted, handled,
    closed): residents' and members' own reports, not a grid worker's patrol nor a report
    staff entered for a caller; never for the reporter's own move."""
    said = _PROGRESS.get(action)
    if said is None or not event.reporter_id or event.source not in PUBLIC_SOURCES:
        return 0
    if actor is not None and getattr(actor, "pk", None) == event.reporter_id:
        return 0
    title, body = said
    return notify.notify(
        recipients=[event.reporter_id],
        kind=KIND_PROGRESS,
        title=title,
        body=f"{_subject(event)}：{body}",
        url=reverse("portal:cases:detail", args=[event.pk]),
        key=f"cases.progress:{event.pk}:{action}:{event.updated_at:%Y%m%d%H%M%S%f}",
    )


def deadline_sweep(*, now=None) -> int:
    """Running events: the department is told once per deadline when the chase window opens,
    and with the dispatching level once when the deadline has passed."""
    from dangjian.accounts.recipients import department_holders, nearest_holders

    now = now or timezone.now()
    running = Event.objects.filter(state__in=RUNNING_STATES, deadline__isnull=False).select_related(
        "event_class"
    )
    made = 0
    for e in running.filter(chase_at__lte=now, deadline__gte=now).order_by("id")[:2000]:
        made += notify.notify(
            recipients=department_holders("cases.handle", e.department_id),
            kind=KIND_DEADLINE,
            title="事件处置期限临近",
            body=f"{_subject(e)}：请于{timezone.localtime(e.deadline):%Y-%m-%d %H:%M}前处置完毕。",
            url=reverse("console:cases:detail", args=[e.pk]),
            key=f"cases.deadline:{e.pk}:{e.deadline:%Y%m%d%H%M}:near",
        )
    for e in running.filter(deadline__lt=now).order_by("id")[:2000]:
        who = [
            *department_holders("cases.handle", e.department_id),
            *nearest_holders("cases.dispatch", path=e.dispatch_area_path),
        ]
        made += notify.notify(
            recipients=who,
            kind=KIND_DEADLINE,
            title="事件已超过处置期限",
            body=f"{_subject(e)}：期限为{timezone.localtime(e.deadline):%Y-%m-%d %H:%M}，请尽快处置。",
            url=reverse("console:cases:detail", args=[e.pk]),
            key=f"cases.deadline:{e.pk}:{e.deadline:%Y%m%d%H%M}:late",
        )
    return made
