"""Writes of the time bank: ordering, the order's moves (through ``flow.ORDER``), the expiry
sweep, corrections of hours (reversing ledger transactions), teams, the talent roster.
Keyword-only, atomic, audited, validated before anything is saved."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import audit, ledger, scope, tree, workflow
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_text, one_line
from dangjian.members.models import Member
from dangjian.territory.models import Area, AreaKind
from dangjian.timebank import flow
from dangjian.timebank.models import (
    OPEN_STATES,
    Order,
    OrderState,
    Participation,
    ServiceClass,
    TalentOffer,
    TeamKind,
    TeamMembership,
    TeamRole,
    VolunteerTeam,
)
from dangjian.timebank.models import ParticipationState as PS

MAX_HELPERS = 20
MAX_WINDOW = dt.timedelta(days=7)
MAX_AHEAD = dt.timedelta(days=90)


def new_order_no(now: dt.datetime | None = None) -> str:
    now = timezone.localtime(now or timezone.now())
    return f"TB{now:%Y%m%d}{secrets.token_hex(4).upper()}"


def _datetime(errors: Errors, field: str, value) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        errors.add(field, f"时间（{field}）格式应为 ISO 8601，如 2026-12-08T09:00:00+08:00")
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _covers(actor, permission: str, path: str) -> bool:
    return any(tree.is_within(path, p) for p in scope.reach_of(actor, permission).area_paths)


def community_of(area: Area) -> Area | None:
    """The village or community an area lies in (itself when it is one)."""
    if area.kind in (AreaKind.COMMUNITY, AreaKind.VILLAGE):
        return area
    prefixes = [area.path[:i] for i in range(tree.STEP_WIDTH, len(area.path), tree.STEP_WIDTH)]
    return (
        Area.objects.filter(path__in=prefixes, kind__in=(AreaKind.COMMUNITY, AreaKind.VILLAGE))
        .order_by("-path")
        .first()
    )


@transaction.atomic
def order_create(
    *,
    actor,
    service_class,
    description,
    starts_at,
    ends_at,
    place="",
    helpers_wanted=1,
    area: Area | None = None,
    talent: TalentOffer | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """A resident's order (群众点单) in their grid, or a booking of a talent (能人榜)."""
    now = now or timezone.now()
    e = Errors()
    if scope.reach_of(actor, "volunteering.order").empty:
        raise scope.Forbidden("您没有点单的权限")
    if service_class not in ServiceClass.values:
        e.add("service_class", "服务类别（service_class）取值无效")
    description = clean_text(description, 500)
    if not description:
        e.add("description", "请填写需求描述（description）")
    place = one_line(place)[:200]
    if not place:
        e.add("place", "请填写服务地点（place）")
    start = _datetime(e, "starts_at", starts_at)
    end = _datetime(e, "ends_at", ends_at)
    if start and end:
        if end <= start:
            e.add("ends_at", "结束时间（ends_at）应晚于开始时间")
        elif end - start > MAX_WINDOW:
            e.add("ends_at", "服务时段不能超过7天")
        if end <= now:
            e.add("ends_at", "结束时间（ends_at）应晚于现在")
        if start - now > MAX_AHEAD:
            e.add("starts_at", "只能预约90天内的服务")
    if isinstance(helpers_wanted, bool) or not isinstance(helpers_wanted, int):
        try:
            helpers_wanted = int(str(helpers_wanted))
        except ValueError:
            helpers_wanted = 0
    if not 1 <= helpers_wanted <= MAX_HELPERS:
        e.add("helpers_wanted", f"需要人数（helpers_wanted）应在1到{MAX_HELPERS}之间")
    if talent is not None:
        talent = TalentOffer.objects.filter(pk=talent.pk, active=True).first()
        if talent is None:
            e.add("talent_id", "能人不存在或已下榜")
        elif talent.user_id == actor.pk:
            e.add("talent_id", "不能预约自己")
        helpers_wanted = 1
    grid = area
    if grid is None:
        grid = getattr(actor, "area", None)
    elif grid.pk:
        grid = Area.objects.filter(pk=grid.pk).first()
        home = community_of(actor.area) if getattr(actor, "area", None) is not None else None
        if grid is not None and not (
            (home is not None and tree.is_within(grid.path, home.path))
            or scope.is_visible(grid, actor, "territory.view")
        ):
            raise Http404("未找到")
    community = community_of(grid) if grid is not None else None
    if grid is None or community is None:
        e.add("area_id", "请选择服务地点所在网格（area_id）")
    elif not (actor.area_path and tree.is_within(actor.area_path, community.path)) and not _covers(
        actor, "volunteering.dispatch", grid.path
    ):
        if not scope.is_visible(grid, actor, "territory.view"):
            raise Http404("未找到")
        e.add("area_id", "只能在本人居住的社区点单")
    if talent is not None and community is not None and talent.community_id != community.pk:
        e.add("talent_id", "只能预约本社区能人榜上的能人")
    e.check()
    order = Order.objects.create(
        no=new_order_no(now),
        service_class=service_class,
        description=description,
        requester=actor,
        requester_name=str(actor)[:50],
        community=community,
        area=grid,
        area_path=grid.path,
        place=place,
        starts_at=start,
        ends_at=end,
        helpers_wanted=helpers_wanted,
        talent=talent,
        state=OrderState.OPEN if talent is not None else OrderState.ORDERED,
        dispatched_at=now if talent is not None else None,
    )
    flow.step(order, actor, "create", "", order.state, "", now)
    audit.record(
        actor=actor,
        action="timebank.order.create",
        obj=order,
        after=audit.snapshot(order, Order.AUDIT_FIELDS),
    )
    if talent is not None:
        from dangjian.core import notify

        notify.notify(
            recipients=[talent.user_id],
            kind="timebank.order",
            title=f"有居民预约了您的服务：{talent.skill}",
            url=f"/m/timebank/orders/{order.pk}/",
            key=f"timebank:book:{order.pk}",
        )
    scope.assert_visible(order, actor, "volunteering.view")
    return order


def order_transition(*, actor, order: Order, action, note="", now=None, **fields) -> Order:
    """Take ``action`` on ``order`` (``flow.ORDER``): 404 out of scope, 403 not one's side,
    409 a wrong state or a refusing guard (full, expired, before check-in), 422 bad fields."""
    ctx = workflow.run(
        flow.ORDER, actor=actor, pk=order.pk, action=action, note=note or "", now=now, **fields
    )
    return ctx.obj


def orders_expire(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """The sweep: orders not yet served whose time window has passed become expired. An order
    with a helper checked in or out waits for the resident's confirmation instead."""
    now = now or timezone.now()
    served = Participation.objects.filter(state__in=(PS.CHECKED_IN, PS.CHECKED_OUT))
    ids = list(
        Order.objects.filter(state__in=OPEN_STATES, ends_at__lte=now)
        .exclude(pk__in=served.values("order_id"))
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            o = Order.objects.select_for_update().filter(pk=pk, state__in=OPEN_STATES).first()
            if (
                o is None
                or o.participations.filter(state__in=(PS.CHECKED_IN, PS.CHECKED_OUT)).exists()
            ):
                continue
            before = o.state
            o.participations.filter(state=PS.ACCEPTED).update(state=PS.NO_SHOW)
            o.state = OrderState.EXPIRED
            o.save(update_fields=["state", "updated_at"])
            flow.step(o, None, "expire", before, o.state, "服务时间已过，订单自动过期", now)
            audit.record(
                actor=None,
                action="timebank.order.expire",
                obj=o,
                before={"state": before},
                after={"state": o.state},
            )
            done += 1
    return done


def _hours(value) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not d.is_finite() or d < 0 or d > flow.MAX_HOURS or d != d.quantize(flow.HOUR):
        return None
    return d


@transaction.atomic
def participation_correct(*, actor, participation: Participation, hours, reason) -> Participation:
    """Correct the hours credited for a confirmed participation: the last ledger transaction
    is reversed and the new hours are posted afresh (ledger rows are never edited)."""
    p = scope.get_visible(
        Participation.objects.select_for_update(of=("self",)).select_related("order__community"),
        actor,
        "volunteering.dispatch",
        view_action="volunteering.view",
        pk=participation.pk,
    )
    e = Errors()
    new = _hours(hours)
    if new is None:
        e.add("hours", f"服务时长（hours）应为0到{flow.MAX_HOURS}之间、最多两位小数的数")
    reason = clean_text(reason, 200)
    if not reason:
        e.add("reason", "请填写更正原因（reason）")
    if not any(
        tree.is_within(p.area_path, a)
        for a in scope.reach_of(actor, "volunteering.dispatch").area_paths
    ):
        raise scope.Forbidden("只有订单所在社区及上级可以更正服务时长")
    e.check()
    if p.state != PS.CONFIRMED:
        raise Conflict("只有已确认的服务可以更正时长")
    if new == p.hours:
        raise ValidationError({"hours": ["更正后的时长与原时长相同"]})
    before = {"hours": f"{p.hours:.2f}"}
    if p.txn_id is not None:
        ledger.reverse(txn=p.txn, memo=f"更正服务时长：{reason}", actor=actor)
    p.corrections += 1
    p.hours = new
    p.txn = flow.post_hours(participation=p, order=p.order, actor=actor)
    p.save(update_fields=["corrections", "hours", "txn"])
    audit.record(
        actor=actor,
        action="timebank.participation.correct",
        obj=p,
        before=before,
        after={"hours": f"{p.hours:.2f}"},
        note=reason,
    )
    return p


# --- teams --------------------------------------------------------------------------------------


def _community_for(actor, area: Area | None, e: Errors, field: str = "community_id"):
    found = Area.objects.filter(pk=area.pk).first() if area is not None and area.pk else None
    if found is not None and not scope.is_visible(found, actor, "territory.view"):
        raise Http404("未找到")
    if found is None or found.kind not in (AreaKind.COMMUNITY, AreaKind.VILLAGE):
        e.add(field, "请选择社区或村（community_id）")
        return None
    if not any(
        tree.is_within(found.path, p)
        for p in scope.reach_of(actor, "volunteering.manage").area_paths
    ):
        raise scope.Forbidden("您没有管理该社区时间银行的权限")
    return found


@transaction.atomic
def team_create(*, actor, community: Area | None, name, kind, description="") -> VolunteerTeam:
    e = Errors()
    found = _community_for(actor, community, e)
    name = one_line(name)[:100]
    if not name:
        e.add("name", "请填写队伍名称（name）")
    if kind not in TeamKind.values:
        e.add("kind", "队伍类型（kind）取值无效")
    if found is not None and name and VolunteerTeam.objects.filter(community=found, name=name):
        e.add("name", "本社区已有同名队伍")
    e.check()
    team = VolunteerTeam.objects.create(
        name=name,
        kind=kind,
        community=found,
        area_path=found.path,
        description=clean_text(description, 500),
    )
    audit.record(actor=actor, action="timebank.team.create", obj=team, after={"name": name})
    scope.assert_visible(team, actor, "volunteering.view")
    return team


@transaction.atomic
def team_member_add(*, actor, team: VolunteerTeam, user: User | None, role="member"):
    team = scope.get_visible(
        VolunteerTeam.objects.select_for_update(),
        actor,
        "volunteering.manage",
        view_action="volunteering.view",
        pk=team.pk,
    )
    e = Errors()
    found = User.objects.filter(pk=user.pk, is_active=True).first() if user and user.pk else None
    if found is None:
        e.add("user_id", "请选择队员账号（user_id）")
    if role not in TeamRole.values:
        e.add("role", "角色（role）取值无效")
    if found is not None and TeamMembership.objects.filter(team=team, user=found).exists():
        e.add("user_id", "该账号已是本队队员")
    e.check()
    m = TeamMembership.objects.create(
        team=team,
        user=found,
        member=Member.objects.filter(user_id=found.pk).first(),
        role=role,
        joined_on=timezone.localdate(),
    )
    audit.record(
        actor=actor,
        action="timebank.team.member_add",
        obj=team,
        after={"user": found.pk, "role": role},
    )
    return m


# --- the talent roster ----------------------------------------------------------------------------


def _talent_fields(e: Errors, *, service_class, skill, description, available) -> dict:
    if service_class not in ServiceClass.values:
        e.add("service_class", "服务类别（service_class）取值无效")
    skill = one_line(skill)[:100]
    if not skill:
        e.add("skill", "请填写特长（skill）")
    return {
        "service_class": service_class,
        "skill": skill,
        "description": clean_text(description, 500),
        "available": one_line(available)[:100],
    }


def _talent_person(actor, person: User | None, e: Errors) -> User | None:
    """Who goes on the roster: the actor themselves, or (staff with ``volunteering.manage``
    over where they live) a resident or member of a community the actor manages."""
    if person is None or not person.pk or person.pk == actor.pk:
        return actor
    found = User.objects.filter(pk=person.pk, is_active=True).select_related("area").first()
    if found is None:
        e.add("user_id", "请选择登记能人榜的账号（user_id）")
        return None
    if not scope.is_visible(found, actor, "volunteering.manage"):
        raise scope.Forbidden("只能为本人管理的社区居民登记能人榜")
    return found


@transaction.atomic
def talent_offer(
    *,
    actor,
    service_class,
    skill,
    description="",
    available="",
    community: Area | None = None,
    user: User | None = None,
) -> TalentOffer:
    """A resident or member puts themselves on their community's talent roster (能人榜); or
    the community's staff put ``user`` (one living there) on it."""
    e = Errors()
    if not getattr(actor, "pk", None):
        raise scope.Forbidden()
    person = _talent_person(actor, user, e)
    home = community or getattr(person, "area", None)
    found = community_of(home) if home is not None else None
    if person is not None and (
        found is None or not (person.area_path and tree.is_within(person.area_path, found.path))
    ):
        e.add("community_id", "只能登记到本人居住的社区能人榜")
    fields = _talent_fields(
        e, service_class=service_class, skill=skill, description=description, available=available
    )
    if (
        found is not None
        and fields["skill"]
        and TalentOffer.objects.filter(community=found, user=person, skill=fields["skill"])
    ):
        e.add("skill", "已登记过该特长")
    e.check()
    offer = TalentOffer.objects.create(
        community=found,
        area_path=person.area_path,
        user=person,
        member=Member.objects.filter(user_id=person.pk).first(),
        name=str(person)[:50],
        **fields,
    )
    audit.record(
        actor=actor, action="timebank.talent.offer", obj=offer, after={"skill": offer.skill}
    )
    return offer


TALENT_FIELDS = ("service_class", "skill", "description", "available", "active")


@transaction.atomic
def talent_update(*, actor, talent: TalentOffer, data: dict) -> TalentOffer:
    """Edit an entry of the roster, or retire it (``active`` false: off the roster, no new
    bookings; its orders stay) and put it back: the talent themselves, or the community's
    staff (``volunteering.manage``). Only the fields ``data`` names change."""
    t = scope.get_visible(
        TalentOffer.objects.select_for_update(), actor, "volunteering.view", pk=talent.pk
    )
    if t.user_id != actor.pk and not _covers(actor, "volunteering.manage", t.area_path):
        raise scope.Forbidden("只有本人或社区管理人员可以修改能人榜登记")
    before = {f: str(getattr(t, f)) for f in TALENT_FIELDS}
    e = Errors()
    fields = _talent_fields(
        e,
        **{
            f: data[f] if f in data else getattr(t, f)
            for f in ("service_class", "skill", "description", "available")
        },
    )
    if (
        fields["skill"]
        and fields["skill"] != t.skill
        and TalentOffer.objects.filter(community_id=t.community_id, user_id=t.user_id)
        .filter(skill=fields["skill"])
        .exists()
    ):
        e.add("skill", "已登记过该特长")
    e.check()
    for f, v in fields.items():
        setattr(t, f, v)
    if "active" in data:
        t.active = data["active"] not in (False, "0", "false", "", None)
    t.save()
    b, a = audit.diff(before, {f: str(getattr(t, f)) for f in TALENT_FIELDS})
    if a:
        action = "timebank.talent.update"
        if "active" in a and len(a) == 1:
            action = "timebank.talent.restore" if t.active else "timebank.talent.retire"
        audit.record(actor=actor, action=action, obj=t, before=b, after=a)
    return t
