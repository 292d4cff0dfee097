"""Household visits (驻点直联, Kaiping): visit teams of a village or community, visit records per
household, the requests raised on a visit (each becomes an event through
``services.event_create``) and the coverage per village and week (households visited /
households).

Writes are keyword-only, atomic, validated in full (Chinese messages per field), scoped and
audited, like ``services``; reads take the acting user and read through ``visible_to``.

Permissions: a team is set up by whoever may dispatch over the village (``cases.dispatch``:
the secretary and above); a visit is recorded with ``cases.visit`` (grid workers and up) over
the household's grid or unit; lists and coverage need ``cases.view``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import User, UserKind
from dangjian.cases import services
from dangjian.cases.models import Event, Source, VisitRecord, VisitTeam
from dangjian.core import audit, crypto, scope, tree
from dangjian.core.validation import Errors, clean_free_text, clean_text
from dangjian.territory.models import Area, AreaKind, Household

VILLAGE_KINDS = (AreaKind.VILLAGE, AreaKind.COMMUNITY)
MAX_NAME = 100
MAX_LABEL = 100
MAX_NOTES = 2000
MAX_REQUESTS = 10
MAX_WEEKS = 12
EARLIEST = dt.date(2000, 1, 1)
WEEKDAYS = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _household_key(household_pk: int | None, area_pk: int, label: str) -> str:
    """A listed household's id, or the unit and the door's blind index (the door label is
    encrypted at rest: the key must not hold it; the index ignores spaces as this did)."""
    if household_pk:
        return f"h{household_pk}"
    return f"a{area_pk}:{crypto.blind_index('address', label)}"


def visit_reach(user) -> tuple[str, ...]:
    """The area paths where ``user`` may visit households (``cases.visit``)."""
    return scope.reach_of(user, "cases.visit").area_paths


def door_shown(record: VisitRecord, reach: tuple[str, ...]) -> str:
    """A visit's door label as shown: whole to who may visit there (``visit_reach``: the grid
    worker, the team), masked to the others (it is an address, encrypted at rest)."""
    if any(record.area_path.startswith(p) for p in reach):
        return record.household_label
    return crypto.mask("address", record.household_label)


# --- teams -------------------------------------------------------------------------------------


def _people(errors, field: str, ids, village: Area, kind: str) -> list[User]:
    """Users of a team: members live in the village; staff work in it or above it."""
    ids = list(dict.fromkeys(ids or []))
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        errors.add(field, "应为用户编号列表")
        return []
    if not ids:
        return []
    found = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    bad = []
    for i in ids:
        u = found.get(i)
        if u is None or not u.area_path:
            bad.append(i)
            continue
        inside = tree.is_within(u.area_path, village.path)
        above = tree.is_within(village.path, u.area_path)
        if kind == "members" and not (inside and u.kind in (UserKind.MEMBER, UserKind.STAFF)):
            bad.append(i)
        elif kind == "staff" and not ((inside or above) and u.kind == UserKind.STAFF):
            bad.append(i)
    if bad:
        who = "本村(社区)的党员或网格员" if kind == "members" else "本村(社区)或上级的工作人员"
        errors.add(field, f"用户{'、'.join(str(b) for b in bad[:5])}不是{who}")
    return [found[i] for i in ids if i in found and i not in bad]


@transaction.atomic
def team_create(
    *,
    actor,
    area: Area,
    name: str,
    weekday: int | None = None,
    member_ids=(),
    staff_ids=(),
) -> VisitTeam:
    """A visit team of a village or community (驻点直联小组)."""
    village = scope.get_visible(
        Area.objects.defer("boundary"),
        actor,
        "cases.dispatch",
        view_action="cases.view",
        pk=area.pk,
    )
    errors = Errors()
    if village.kind not in VILLAGE_KINDS:
        errors.add(
            "area_id", f"走访小组须建在村或社区，“{village.name}”是{village.get_kind_display()}"
        )
    name = clean_text(name)
    if not name:
        errors.add("name", "请填写小组名称")
    elif len(name) > MAX_NAME:
        errors.add("name", f"小组名称不能超过{MAX_NAME}个字")
    elif VisitTeam.objects.filter(area=village, name=name).exists():
        errors.add("name", "本村(社区)已有同名走访小组")
    if weekday is not None and (
        isinstance(weekday, bool) or not isinstance(weekday, int) or weekday not in WEEKDAYS
    ):
        errors.add("weekday", "固定走访日应为1（周一）到7（周日）")
    members = _people(errors, "member_ids", member_ids, village, "members")
    staff = _people(errors, "staff_ids", staff_ids, village, "staff")
    if not errors and not members and not staff:
        errors.add("member_ids", "走访小组至少要有一名成员")
    errors.check()
    team = VisitTeam.objects.create(
        area=village, area_path=village.path, name=name, weekday=weekday
    )
    team.members.set(members)
    team.staff.set(staff)
    audit.record(
        actor=actor,
        action="visit_team.create",
        obj=team,
        after={
            "area": village.pk,
            "name": name,
            "weekday": weekday,
            "members": [u.pk for u in members],
            "staff": [u.pk for u in staff],
        },
    )
    scope.assert_visible(team, actor, "cases.view")
    return team


def teams_of(user, action: str):
    """The teams in ``user``'s reach for ``action``, and the teams they are on (the
    ``Team`` kinds ``VisitTeam`` declares)."""
    return VisitTeam.objects.visible_to(user, action)


def team_list(user, *, area: int | None = None):
    qs = teams_of(user, "cases.view")
    if area is not None:
        node = scope.get_visible(Area.objects.only("pk", "path"), user, "cases.view", pk=area)
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    people = User.objects.only("pk", "username", "real_name", "kind").order_by("pk")
    return (
        qs.select_related("area")
        .defer("area__boundary")
        .prefetch_related(Prefetch("members", people), Prefetch("staff", people))
        .annotate(record_count=Count("records", distinct=True))
        .order_by("area_path", "id")
    )


def team_get(user, pk: int) -> VisitTeam:
    found = team_list(user).filter(pk=pk).first()
    if found is None:
        raise Http404("未找到")
    return found


# --- visit records -------------------------------------------------------------------------------


@transaction.atomic
def visit_record(
    *,
    actor,
    team: VisitTeam,
    visited_on: dt.date | None = None,
    household: Household | None = None,
    area: Area | None = None,
    household_label: str = "",
    notes: str = "",
    requests=(),
    visitor_ids=(),
) -> VisitRecord:
    """A visit to one household for ``team``, recorded by ``actor``: a listed household, or a
    door in a grid or unit of the team's village. ``visitor_ids`` are who went, from the
    team's members and staff (the actor alone when none are named). Each request raised
    becomes an event (source "入户走访") through ``services.event_create`` in the
    household's grid or unit; a refused request refuses the whole record (nothing
    half-written)."""
    team_pk = team.pk
    team = teams_of(actor, "cases.visit").select_related("area").filter(pk=team_pk).first()
    if team is None:
        if teams_of(actor, "cases.view").filter(pk=team_pk).exists():
            raise scope.Forbidden("您没有登记走访的权限")
        raise Http404("未找到")
    errors = Errors()
    if not team.active:
        errors.add("team_id", "该走访小组已停用")
    where = None
    label_text = clean_text(household_label)
    if household is not None:
        hh = Household.objects.visible_to(actor, "cases.visit").filter(pk=household.pk).first()
        if hh is None:
            raise Http404("未找到")
        where = Area.objects.defer("boundary").get(pk=hh.unit_id)
        label_text = label_text or hh.door
    elif area is not None:
        where = scope.get_visible(
            Area.objects.defer("boundary"),
            actor,
            "cases.visit",
            view_action="cases.view",
            pk=area.pk,
        )
        if where.kind not in (AreaKind.GRID, AreaKind.UNIT):
            errors.add(
                "area_id", f"住户须在网格或单元内，“{where.name}”是{where.get_kind_display()}"
            )
    else:
        errors.add("household_id", "请选择住户，或填写所在网格/单元和门牌")
    if where is not None and not tree.is_within(where.path, team.area_path):
        errors.add("area_id", f"住户不在“{team.area.name}”范围内")
    if not label_text:
        errors.add("household_label", "请填写门牌")
    elif len(label_text) > MAX_LABEL:
        errors.add("household_label", f"门牌不能超过{MAX_LABEL}个字")
    today = timezone.localdate()
    if visited_on is None:
        visited_on = today
    if not isinstance(visited_on, dt.date) or isinstance(visited_on, dt.datetime):
        errors.add("visited_on", "走访日期格式应为YYYY-MM-DD")
    elif visited_on > today:
        errors.add("visited_on", "走访日期不能晚于今天")
    elif visited_on < EARLIEST:
        errors.add("visited_on", f"走访日期不能早于{EARLIEST.year}年")
    notes = clean_free_text(notes)
    if len(notes) > MAX_NOTES:
        errors.add("notes", f"走访情况不能超过{MAX_NOTES}个字")
    if isinstance(requests, str) or not all(isinstance(r, str) for r in (requests or [])):
        errors.add("requests", "群众诉求应为文本列表")
        requests = []
    asks = [clean_free_text(r) for r in (requests or []) if clean_text(r)]
    if len(asks) > MAX_REQUESTS:
        errors.add("requests", f"一次走访最多登记{MAX_REQUESTS}条诉求")
    for i, ask in enumerate(asks):
        if len(ask) < services.MIN_DESCRIPTION:
            errors.add(f"requests.{i}", f"第{i + 1}条诉求不能少于{services.MIN_DESCRIPTION}个字")
        elif len(ask) > services.MAX_DESCRIPTION:
            errors.add(f"requests.{i}", f"第{i + 1}条诉求不能超过{services.MAX_DESCRIPTION}个字")
    visitors = _visitors(errors, team, actor, visitor_ids)
    errors.check()

    record = VisitRecord.objects.create(
        team=team,
        village_id=team.area_id,
        area=where,
        area_path=where.path,
        household=household if household is not None else None,
        household_label=label_text,
        household_key=_household_key(household.pk if household else None, where.pk, label_text),
        visited_on=visited_on,
        week=week_of(visited_on),
        visitor=visitors[0],
        visitor_name="、".join(services._actor_name(u) for u in visitors)[:150],
        notes=notes,
    )
    record.visitors.set(visitors)
    events = []
    for i, ask in enumerate(asks):
        try:
            ev = services.event_create(
                actor=actor,
                area=where,
                description=ask,
                place=label_text[:200],
                source=Source.VISIT,
            )
        except ValidationError as exc:
            raise ValidationError(
                {f"requests.{i}": [f"第{i + 1}条诉求：{m}" for m in exc.messages]}
            ) from exc
        events.append(ev)
    if events:
        record.events.set(events)
    audit.record(
        actor=actor,
        action="visit.record",
        obj=record,
        after={
            "team": team.pk,
            "area": where.pk,
            "household": record.household_id,
            "household_label": crypto.mask("address", label_text),
            "visited_on": visited_on.isoformat(),
            "visitors": [u.pk for u in visitors],
            "events": [e.pk for e in events],
        },
    )
    scope.assert_visible(record, actor, "cases.view")
    return record


def team_people(team: VisitTeam) -> list[User]:
    """Who may be named as a team's visitors: its members, then its staff."""
    people = User.objects.only("pk", "username", "real_name", "kind").order_by("pk")
    out = list(people.filter(visit_teams=team))
    seen = {u.pk for u in out}
    return out + [u for u in people.filter(visit_teams_as_staff=team) if u.pk not in seen]


def _visitors(errors, team: VisitTeam, actor, ids) -> list[User]:
    """The visitors named, each on ``team`` (or the actor); the actor alone when none."""
    if isinstance(ids, str | bytes) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in (ids or [])
    ):
        errors.add("visitor_ids", "走访人员应为用户编号列表")
        return [actor]
    ids = list(dict.fromkeys(ids or []))
    if not ids:
        return [actor]
    allowed = {u.pk: u for u in team_people(team)}
    allowed.setdefault(actor.pk, actor)
    bad = [i for i in ids if i not in allowed]
    if bad:
        errors.add(
            "visitor_ids",
            f"用户{'、'.join(str(b) for b in bad[:5])}不是“{team.name}”的成员或工作人员",
        )
        return [actor]
    return [allowed[i] for i in ids]


def record_list(
    user,
    *,
    area: int | None = None,
    team: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    qs = VisitRecord.objects.visible_to(user, "cases.view")
    if area is not None:
        node = scope.get_visible(Area.objects.only("pk", "path"), user, "cases.view", pk=area)
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    if team is not None:
        qs = qs.filter(team_id=team)
    if date_from and date_to and date_to < date_from:
        raise _bad("date_to", "结束日期不能早于开始日期")
    if date_from:
        qs = qs.filter(visited_on__gte=date_from)
    if date_to:
        qs = qs.filter(visited_on__lte=date_to)
    return (
        qs.select_related("team", "village", "area")
        .defer("village__boundary", "area__boundary")
        .prefetch_related(Prefetch("events", Event.objects.only("pk", "state", "description")))
        .order_by("-visited_on", "-id")
    )


def record_get(user, pk: int) -> VisitRecord:
    return scope.get_visible(record_list(user), user, "cases.view", pk=pk)


# --- coverage ----------------------------------------------------------------------------------


def coverage_villages(user, *, area: int | None = None):
    """The villages and communities whose coverage ``user`` may read (under ``area``)."""
    qs = Area.objects.visible_to(user, "cases.view").filter(kind__in=VILLAGE_KINDS)
    if area is not None:
        node = scope.get_visible(Area.objects.only("pk", "path"), user, "cases.view", pk=area)
        qs = qs.filter(tree.subtree_q("path", node.path))
    return qs.only("pk", "name", "kind", "path", "households").order_by("path")


def coverage_weeks(week: dt.date | None, weeks: int | None) -> list[dt.date]:
    """The Mondays of the ``weeks`` weeks ending with ``week``'s (this week by default)."""
    n = 1 if weeks is None else weeks
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_WEEKS:
        raise _bad("weeks", f"周数应为1到{MAX_WEEKS}之间的整数")
    day = week or timezone.localdate()
    if not EARLIEST <= day <= dt.date(2099, 12, 31):
        raise _bad("week", f"日期应在{EARLIEST.year}年至2099年之间")
    last = week_of(day)
    return [last - dt.timedelta(weeks=i) for i in range(n - 1, -1, -1)]


def coverage_rows(villages: list[Area], weeks: list[dt.date]) -> list[dict]:
    """Coverage of each village in each week: distinct households visited / households. One
    aggregate query for all the villages and weeks."""
    counts = {
        (r["village_id"], r["week"]): r["n"]
        for r in VisitRecord.objects.filter(village_id__in=[v.pk for v in villages], week__in=weeks)
        .values("village_id", "week")
        .annotate(n=Count("household_key", distinct=True))
        .order_by()
    }
    out = []
    for v in villages:
        cells = []
        for w in weeks:
            visited = counts.get((v.pk, w), 0)
            cells.append(
                {
                    "week": w,
                    "visited": visited,
                    "coverage": round(visited / v.households, 4) if v.households else None,
                }
            )
        out.append({"village": v, "households": v.households, "weeks": cells})
    return out
