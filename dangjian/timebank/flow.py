"""The order workflow (点单 → 派单 → 接单 → 签到/签退 → 确认) declared as data and run by
``core.workflow``: states, actions, sides, guards, each move's effect and the history row.

Sides: ``community`` (reach over the order's place for the action: the community and above),
``requester`` (the resident who ordered), ``either`` (one of those two), ``helper`` (a member the
order is open to: checked in to its community, in the team it went to, or the talent booked),
``participant`` (a helper who accepted it). Accepting runs under the order's row lock: the
capacity and the once-per-helper rule are checked there, so parallel acceptances never oversell.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from dangjian.core import audit, ledger, notify, scope, tree, workflow
from dangjian.core.validation import clean_text
from dangjian.core.workflow import Action, Refusal
from dangjian.members.models import CommunityCheckin, Member
from dangjian.timebank.models import (
    Order,
    OrderState,
    OrderStep,
    Participation,
    TeamMembership,
    VolunteerTeam,
)
from dangjian.timebank.models import ParticipationState as PS

S = OrderState
MAX_HOURS = Decimal("12")
HOUR = Decimal("0.01")
ACTIVE = (PS.ACCEPTED, PS.CHECKED_IN, PS.CHECKED_OUT)
SERVING = (S.OPEN, S.STAFFED)

notify.declare_kind("timebank.order", "时间银行订单")


# --- sides -------------------------------------------------------------------------------------


def _covers(actor, permission: str, order: Order) -> bool:
    reach = scope.reach_of(actor, permission)
    return any(tree.is_within(order.area_path, p) for p in reach.area_paths)


def _side_community(actor, order, move) -> str | None:
    if _covers(actor, move.permission, order):
        return None
    return f"只有订单所在社区及上级可以执行“{move.label}”"


def _side_requester(actor, order, move) -> str | None:
    if actor is not None and actor.pk == order.requester_id:
        return None
    return f"只有点单群众本人可以执行“{move.label}”"


def _side_either(actor, order, move) -> str | None:
    if _side_requester(actor, order, move) is None or _covers(actor, move.permission, order):
        return None
    return f"只有点单群众或订单所在社区可以执行“{move.label}”"


def open_to(actor, order: Order) -> bool:
    """Whether ``order`` is open to ``actor`` as a helper (its state aside)."""
    if actor is None or not getattr(actor, "pk", None):
        return False
    if order.talent_id is not None:
        return order.talent.user_id == actor.pk
    if scope.reach_of(actor, "volunteering.accept").empty:
        return False
    if order.team_id is not None:
        return TeamMembership.objects.filter(team_id=order.team_id, user_id=actor.pk).exists()
    if order.open_to_checked_in:
        return CommunityCheckin.objects.filter(
            member__user_id=actor.pk, community_id=order.community_id
        ).exists()
    return False


def _side_helper(actor, order, move) -> str | None:
    if actor is not None and actor.pk == order.requester_id:
        return "不能承接自己的订单"
    if open_to(actor, order):
        return None
    return "该订单未向您开放接单"


def _mine(actor, order: Order) -> Participation | None:
    if actor is None or not getattr(actor, "pk", None):
        return None
    return next((p for p in order.participations.all() if p.user_id == actor.pk), None)


def _side_participant(actor, order, move) -> str | None:
    p = _mine(actor, order)
    if p is not None and p.state in ACTIVE:
        return None
    return f"只有已接单的志愿者可以执行“{move.label}”"


# --- guards ---------------------------------------------------------------------------------------


def _not_expired(ctx) -> Refusal | None:
    if ctx.obj.ends_at <= ctx.now:
        return Refusal("order_expired", "订单服务时间已过，不能接单", ctx.obj.ends_at)
    return None


def _not_taken(ctx) -> Refusal | None:
    if _mine(ctx.actor, ctx.obj) is not None:
        return Refusal("accept_once", "您已接过此订单，每人每单只能接一次")
    return None


def _capacity(ctx) -> Refusal | None:
    o = ctx.obj
    if o.accepted_count >= o.helpers_wanted:
        return Refusal("capacity", f"订单已满员（需要{o.helpers_wanted}人）", o.helpers_wanted)
    return None


def _checked_in(ctx) -> Refusal | None:
    p = _mine(ctx.actor, ctx.obj)
    if p is None or p.state != PS.CHECKED_IN:
        return Refusal("check_out_after_in", "尚未签到，不能签退")
    return None


def _not_checked_in(ctx) -> Refusal | None:
    p = _mine(ctx.actor, ctx.obj)
    if p is None or p.state != PS.ACCEPTED:
        return Refusal("check_in_once", "已签到，不能重复签到")
    return None


def _served(ctx) -> Refusal | None:
    states = [p.state for p in ctx.obj.participations.all()]
    if PS.CHECKED_IN in states:
        return Refusal("all_checked_out", "还有志愿者在服务中（未签退），暂不能确认")
    if PS.CHECKED_OUT not in states:
        return Refusal("served", "还没有志愿者完成签到签退，不能确认")
    return None


def _nobody_served(ctx) -> Refusal | None:
    states = {p.state for p in ctx.obj.participations.all()}
    if states & {PS.CHECKED_IN, PS.CHECKED_OUT}:
        return Refusal("nobody_served", "已有志愿者签到服务，不能取消订单")
    return None


FLOW_ACTIONS: dict[str, Action] = {
    "dispatch": Action(
        "派单", frozenset({S.ORDERED}), S.OPEN, "volunteering.dispatch", "community"
    ),
    "accept": Action(
        "接单",
        frozenset(SERVING),
        None,
        "volunteering.accept",
        "helper",
        guards=(_not_expired, _not_taken, _capacity),
    ),
    "check_in": Action(
        "签到",
        frozenset(SERVING),
        None,
        "volunteering.view",
        "participant",
        guards=(_not_checked_in,),
    ),
    "check_out": Action(
        "签退",
        frozenset(SERVING),
        None,
        "volunteering.view",
        "participant",
        guards=(_checked_in,),
    ),
    "withdraw": Action(
        "退单",
        frozenset(SERVING),
        None,
        "volunteering.view",
        "participant",
        needs=("note",),
        guards=(_not_checked_in,),
    ),
    "no_show": Action(
        "登记未到场",
        frozenset(SERVING),
        None,
        "volunteering.view",
        "either",
        needs=("participation_id",),
    ),
    "confirm": Action(
        "确认并评价",
        frozenset(SERVING),
        S.COMPLETED,
        "volunteering.view",
        "requester",
        needs=("rating",),
        guards=(_served,),
    ),
    "cancel": Action(
        "取消订单",
        frozenset({S.ORDERED, *SERVING}),
        S.CANCELLED,
        "volunteering.view",
        "either",
        needs=("note",),
        guards=(_nobody_served,),
    ),
}
ACTION_LABELS = {"create": "点单", "expire": "过期"} | {a: m.label for a, m in FLOW_ACTIONS.items()}


# --- fields ---------------------------------------------------------------------------------------


def _coord(ctx, name: str, low: int, high: int) -> Decimal | None:
    value = ctx.fields.get(name)
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value)).quantize(Decimal("0.000001"))
    except Exception:
        d = None
    if d is None or not d.is_finite() or not low <= d <= high:
        ctx.errors.add(name, f"坐标（{name}）应为{low}到{high}之间的数")
        return None
    return d


def _clean(ctx) -> None:
    f, e, v = ctx.fields, ctx.errors, ctx.values
    note = clean_text(ctx.note, 500)
    ctx.note = note
    if "note" in ctx.move.needs and not note:
        e.add("note", "请填写原因（note）")
    if ctx.action == "dispatch":
        team_id = f.get("team_id")
        if team_id not in (None, ""):
            try:
                team = VolunteerTeam.objects.filter(pk=int(team_id), active=True).first()
            except (TypeError, ValueError):
                team = None
            if team is None or not tree.is_within(ctx.obj.area_path, team.area_path):
                e.add("team_id", "志愿服务队不存在、已停用或不属于订单所在社区")
            v["team"] = team
        else:
            v["team"] = None
            if not f.get("open_to_checked_in", True):
                e.add(
                    "team_id", "请选择派单队伍（team_id），或向报到党员开放（open_to_checked_in）"
                )
    elif ctx.action in ("check_in", "check_out"):
        v["lat"] = _coord(ctx, "lat", -90, 90)
        v["lng"] = _coord(ctx, "lng", -180, 180)
    elif ctx.action == "confirm":
        rating = f.get("rating")
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            try:
                rating = int(str(rating)) if str(rating).isdigit() else None
            except ValueError:
                rating = None
            if rating is None or not 1 <= rating <= 5:
                e.add("rating", "评价星级（rating）应为1到5的整数")
        v["rating"] = rating
        v["comment"] = clean_text(f.get("comment"), 500)
    elif ctx.action == "no_show":
        pid = f.get("participation_id")
        found = None
        if isinstance(pid, int) and not isinstance(pid, bool):
            found = next((p for p in ctx.obj.participations.all() if p.pk == pid), None)
        if found is None or found.state != PS.ACCEPTED:
            e.add("participation_id", "请选择已接单但未签到的志愿者（participation_id）")
        v["participation"] = found


# --- effects --------------------------------------------------------------------------------------


def _dispatch(ctx) -> None:
    o = ctx.obj
    o.team = ctx.values["team"]
    o.open_to_checked_in = o.team is None
    o.dispatched_at = ctx.now
    if o.team is not None:
        ids = list(TeamMembership.objects.filter(team=o.team).values_list("user_id", flat=True))
        ctx.data["team"] = o.team.name
        notify.notify(
            recipients=ids,
            kind="timebank.order",
            title=f"新的服务订单：{o.get_service_class_display()}",
            body=o.description[:100],
            url=f"/m/timebank/orders/{o.pk}/",
            key=f"timebank:dispatch:{o.pk}",
        )


def _accept(ctx) -> None:
    o, actor = ctx.obj, ctx.actor
    member = Member.objects.filter(user_id=actor.pk).only("pk", "org_path", "work_unit").first()
    p = Participation.objects.create(
        order=o,
        user=actor,
        name=str(actor)[:50],
        member=member,
        org_path=member.org_path if member else "",
        work_unit=member.work_unit if member else "",
        area_path=o.area_path,
        team=o.team,
        accepted_at=ctx.now,
    )
    o.accepted_count += 1
    if o.accepted_count >= o.helpers_wanted:
        o.state = S.STAFFED
    ctx.data["participation_id"] = p.pk
    notify.notify(
        recipients=[o.requester_id],
        kind="timebank.order",
        title=f"您的订单{o.no}已有志愿者接单",
        url=f"/m/timebank/orders/{o.pk}/",
        key=f"timebank:accept:{p.pk}",
    )


def _check(ctx, which: str) -> None:
    p = _mine(ctx.actor, ctx.obj)
    setattr(p, f"check_{which}_at", ctx.now)
    setattr(p, f"check_{which}_lat", ctx.values.get("lat"))
    setattr(p, f"check_{which}_lng", ctx.values.get("lng"))
    p.state = PS.CHECKED_IN if which == "in" else PS.CHECKED_OUT
    if which == "out":
        p.hours = hours_between(p.check_in_at, ctx.now)
    p.save()
    ctx.data["participation_id"] = p.pk


def hours_between(start, end) -> Decimal:
    seconds = Decimal(int((end - start).total_seconds()))
    hours = (seconds / Decimal(3600)).quantize(HOUR, rounding=ROUND_HALF_UP)
    return max(Decimal(0), min(hours, MAX_HOURS))


def _release(o: Order, p: Participation, state: str) -> None:
    p.state = state
    p.save(update_fields=["state"])
    o.accepted_count -= 1
    if o.state == S.STAFFED:
        o.state = S.OPEN


def _withdraw(ctx) -> None:
    p = _mine(ctx.actor, ctx.obj)
    _release(ctx.obj, p, PS.CANCELLED)
    ctx.data["participation_id"] = p.pk


def _no_show(ctx) -> None:
    p = ctx.values["participation"]
    _release(ctx.obj, p, PS.NO_SHOW)
    ctx.data["participation_id"] = p.pk


def community_account(o: Order):
    return ledger.account_open(
        ledger="timebank",
        code=f"timebank:community:{o.community_id}",
        name=f"{o.community.name}时间银行",
        area_path=o.community.path,
        allow_negative=True,
    )


def helper_account(user):
    return ledger.account_open(
        ledger="timebank",
        code=f"timebank:user:{user.pk}",
        name=f"{user}的时间账户",
        owner=user,
        area_path=user.area_path or "",
    )


def post_hours(*, participation: Participation, order: Order, actor):
    """Credit a participation's hours (none posted for zero hours)."""
    p = participation
    if p.hours <= 0:
        return None
    key = ledger.idempotency_key("timebank", "participation", f"{p.pk}:{p.corrections}")
    return ledger.post(
        ledger="timebank",
        key=key,
        kind="service_hours",
        entries=[(community_account(order), -p.hours), (helper_account(p.user), p.hours)],
        memo=f"{order.no} 志愿服务时长",
        occurred_on=timezone.localdate(p.check_out_at or timezone.now()),
        actor=actor,
    )


def _confirm(ctx) -> None:
    o = ctx.obj
    o.rating = ctx.values["rating"]
    o.rating_comment = ctx.values["comment"]
    o.confirmed_at = ctx.now
    credited = []
    for p in o.participations.all():
        if p.state == PS.ACCEPTED:
            p.state = PS.NO_SHOW
            p.save(update_fields=["state"])
        elif p.state == PS.CHECKED_OUT:
            p.state = PS.CONFIRMED
            p.confirmed_at = ctx.now
            p.txn = post_hours(participation=p, order=o, actor=ctx.actor)
            p.save(update_fields=["state", "confirmed_at", "txn"])
            credited.append(p)
    ctx.data["hours"] = {str(p.pk): f"{p.hours:.2f}" for p in credited}
    for p in credited:
        notify.notify(
            recipients=[p.user_id],
            kind="timebank.order",
            title=f"服务时长{p.hours:.2f}小时已存入时间账户",
            url="/m/timebank/hours/",
            key=f"timebank:confirm:{p.pk}",
        )


def _cancel(ctx) -> None:
    o = ctx.obj
    o.cancel_reason = ctx.note
    people = [o.requester_id]
    for p in o.participations.all():
        if p.state == PS.ACCEPTED:
            p.state = PS.CANCELLED
            p.save(update_fields=["state"])
            people.append(p.user_id)
    o.accepted_count = 0
    notify.notify(
        recipients=[u for u in people if u != getattr(ctx.actor, "pk", None)],
        kind="timebank.order",
        title=f"订单{o.no}已取消",
        body=ctx.note,
        url=f"/m/timebank/orders/{o.pk}/",
        key=f"timebank:cancel:{o.pk}",
    )


def step(order, actor, action, from_state, to_state, note, at) -> OrderStep:
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return OrderStep.objects.create(
        order=order,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=user,
        actor_name=(str(user) if user else "系统")[:150],
        note=note[:500],
        at=at,
    )


def _history(ctx) -> None:
    step(ctx.obj, ctx.actor, ctx.action, ctx.from_state, ctx.obj.state, ctx.note, ctx.now)


def _snapshot(order) -> dict:
    return audit.snapshot(order, Order.AUDIT_FIELDS)


def _queryset():
    return Order.objects.select_related("community", "talent", "team").prefetch_related(
        "participations__user"
    )


ORDER = workflow.Flow(
    name="timebank.order",
    states=OrderState,
    actions=FLOW_ACTIONS,
    sides={
        "community": _side_community,
        "requester": _side_requester,
        "either": _side_either,
        "helper": _side_helper,
        "participant": _side_participant,
    },
    queryset=_queryset,
    view_permission="volunteering.view",
    clean=_clean,
    effects={
        "dispatch": _dispatch,
        "accept": _accept,
        "check_in": lambda ctx: _check(ctx, "in"),
        "check_out": lambda ctx: _check(ctx, "out"),
        "withdraw": _withdraw,
        "no_show": _no_show,
        "confirm": _confirm,
        "cancel": _cancel,
    },
    history=_history,
    snapshot=_snapshot,
)
