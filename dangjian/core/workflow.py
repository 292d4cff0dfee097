"""One workflow engine: a flow declared as data and one runner.

A ``Flow`` names its states (a ``TextChoices``), its actions (label, source states, target
state or ``None`` when the state stays, the permission the actor needs, the *side* that may
take it, the fields it needs and its guards) and its sides: each side is a function
``(actor, obj, action) -> refusal message or None`` (cases' "level"/"department"/…, dues'
"branch"/"next_level").

``run`` is the one way a workflow moves, in one transaction:

1. lock the row (``select_for_update``, through ``scope.get_visible`` with the flow's view
   permission: out of scope reads as absent, 404);
2. an unknown action → 422 (``action``, listing the actions);
3. a state the action does not start from → 409 (``Conflict``);
4. a side or role that may not act → 403 (``scope.Forbidden``);
5. bad fields (the flow's ``clean``) → 422;
6. a failing guard → 409 (``GuardRefused``: a ``Conflict`` naming the rule and, where it
   applies, the date or figure that would satisfy it);
7. the action's effect (it may still refuse: a ``Conflict``, or field errors), the new state,
   the flow's history row, the audit row (``core.audit``), the warnings; then visibility is
   checked again (``scope.assert_visible``).

``allowed_actions`` lists the actions a caller may take now (state, side and permission; no
guards), the list details answer and console buttons render from.

The kernel imports no app: flows live in the apps and hand it their models and functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from dangjian.core import audit, scope
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors


@dataclass(frozen=True)
class Refusal:
    """Why a guard refuses: the rule's name, the message users read and, where it applies,
    the date or figure that would satisfy the rule."""

    rule: str
    message: str
    satisfy: Any = None


class GuardRefused(Conflict):
    """A guard refused the move (409), naming its rule."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass
class Context:
    """One run of one action: what the flow's clean, guards, effect, history and audit see."""

    flow: Flow
    actor: Any
    obj: Any
    action: str
    move: Action
    note: str
    fields: dict
    now: dt.datetime
    errors: Errors = field(default_factory=Errors)
    from_state: str = ""
    values: dict = field(default_factory=dict)  # cleaned fields, the flow's own
    data: dict = field(default_factory=dict)  # what the history row keeps
    warnings: list[str] = field(default_factory=list)
    before: dict | None = None


Guard = Callable[[Context], "Refusal | None"]
Side = Callable[[Any, Any, "Action"], "str | None"]


@dataclass(frozen=True)
class Action:
    """One legal move: from any of ``sources`` to ``target`` (None: the state stays)."""

    label: str
    sources: frozenset[str]
    target: str | None
    permission: str
    side: str
    needs: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = ()


def _unknown(flow: Flow, action) -> str:
    allowed = "、".join(f"{a}（{m.label}）" for a, m in flow.actions.items())
    return f"不支持的操作，可用操作：{allowed}"


def _wrong_state(flow: Flow, obj, move: Action) -> str:
    state = getattr(obj, flow.state_field)
    return f"当前状态为“{flow.states(state).label}”，不能执行“{move.label}”"


@dataclass(frozen=True)
class Flow:
    """A workflow declared as data; the app's functions do what is its own.

    - ``queryset``: the rows (with what the sides and effects read), locked by the runner;
    - ``view_permission``: the lock reads through ``visible_to(actor, view_permission)``;
    - ``act_permission``: when set, the lock reads through it instead, and an actor who sees
      the row (``view_permission``) without it is refused at once (403);
    - ``state_check(flow, obj, action, move)``: a refusal message when the object's state does
      not allow the action (default: the state in the action's sources, ``state_message``);
    - ``clean(ctx)``: validates the fields into ``ctx.errors`` / ``ctx.values``;
    - ``effects[action](ctx)``: the action's own change of the object (optional);
    - ``save(ctx)``: writes the object (default: ``obj.save()``);
    - ``history(ctx)``: writes the flow's history row (optional);
    - ``audit(ctx)``: the keyword arguments of ``audit.record`` (default: the state's change);
    - ``snapshot(obj)``: what the audit diff compares (default: the state);
    - ``unknown_message`` / ``state_message``: each workflow's own wording.
    """

    name: str
    states: type[models.TextChoices]
    actions: dict[str, Action]
    sides: dict[str, Side]
    queryset: Callable[[], models.QuerySet]
    view_permission: str
    state_field: str = "state"
    act_permission: str | None = None
    state_check: Callable[[Flow, Any, str, Action], str | None] | None = None
    clean: Callable[[Context], None] | None = None
    effects: dict[str, Callable[[Context], None]] = field(default_factory=dict)
    save: Callable[[Context], None] | None = None
    history: Callable[[Context], None] | None = None
    audit: Callable[[Context], dict] | None = None
    snapshot: Callable[[Any], dict] | None = None
    unknown_message: Callable[[Flow, Any], str] = _unknown
    state_message: Callable[[Flow, Any, Action], str] = _wrong_state

    def __post_init__(self):
        for name, move in self.actions.items():
            if move.side not in self.sides:
                raise ValueError(f"{self.name}.{name}: unknown side {move.side!r}")
            if move.target is not None and move.target not in self.states.values:
                raise ValueError(f"{self.name}.{name}: unknown target {move.target!r}")
        if set(self.effects) - set(self.actions):
            raise ValueError(f"{self.name}: effects of undeclared actions")


def state_refusal(flow: Flow, obj, action: str) -> str | None:
    """Why ``obj``'s state does not allow ``action`` (None: it does)."""
    move = flow.actions[action]
    if flow.state_check is not None:
        return flow.state_check(flow, obj, action, move)
    if getattr(obj, flow.state_field) not in move.sources:
        return flow.state_message(flow, obj, move)
    return None


def refusal(flow: Flow, actor, obj, action: str) -> str | None:
    """Why ``actor``'s side may not take ``action`` on ``obj`` (None: it may)."""
    move = flow.actions[action]
    return flow.sides[move.side](actor, obj, move) or None


def may(flow: Flow, actor, obj, action: str) -> bool:
    """Whether ``actor`` may take ``action`` on ``obj`` now (state and side; no guards)."""
    if flow.actions.get(action) is None or state_refusal(flow, obj, action) is not None:
        return False
    return refusal(flow, actor, obj, action) is None


def allowed_actions(flow: Flow, actor, obj) -> list[dict]:
    """The actions ``actor`` may take on ``obj`` now, in the flow's order."""
    return [
        {"action": a, "label": m.label} for a, m in flow.actions.items() if may(flow, actor, obj, a)
    ]


def _default_snapshot(flow: Flow, obj) -> dict:
    return {"state": getattr(obj, flow.state_field)}


def run(
    flow: Flow,
    *,
    actor,
    pk=None,
    obj=None,
    queryset: models.QuerySet | None = None,
    action,
    note: str = "",
    now: dt.datetime | None = None,
    **fields,
) -> Context:
    """Take ``action`` on the row ``pk`` (or ``obj``) for ``actor``; see the module docstring.
    Returns the run's context: ``.obj`` the moved row, ``.warnings`` what the caller shows."""
    with transaction.atomic():
        qs = queryset if queryset is not None else flow.queryset()
        row = scope.get_visible(
            qs.select_for_update(of=("self",)),
            actor,
            flow.act_permission or flow.view_permission,
            view_action=flow.view_permission,
            pk=pk if pk is not None else obj.pk,
        )
        move = flow.actions.get(action) if isinstance(action, str) else None
        if move is None:
            raise ValidationError({"action": [flow.unknown_message(flow, action)]})
        message = state_refusal(flow, row, action)
        if message:
            raise Conflict(message)
        message = refusal(flow, actor, row, action)
        if message:
            raise scope.Forbidden(message)
        ctx = Context(
            flow=flow,
            actor=actor,
            obj=row,
            action=action,
            move=move,
            note=note,
            fields=fields,
            now=now or timezone.now(),
        )
        if flow.clean is not None:
            flow.clean(ctx)
        ctx.errors.check()
        for guard in move.guards:
            refused = guard(ctx)
            if refused is not None:
                raise GuardRefused(refused)
        snap = flow.snapshot or (lambda o: _default_snapshot(flow, o))
        ctx.before = snap(row)
        ctx.from_state = getattr(row, flow.state_field)
        effect = flow.effects.get(action)
        if effect is not None:
            effect(ctx)
        ctx.errors.check()
        if move.target is not None:
            setattr(row, flow.state_field, move.target)
        if flow.save is not None:
            flow.save(ctx)
        else:
            row.save()
        if flow.history is not None:
            flow.history(ctx)
        if flow.audit is not None:
            record = flow.audit(ctx)
        else:
            before, after = audit.diff(ctx.before, snap(row))
            record = {"action": f"{flow.name}.{action}", "before": before, "after": after}
        if record:
            audit.record(actor=actor, obj=row, note=record.pop("note", ctx.note), **record)
        scope.assert_visible(row, actor, flow.view_permission)
    return ctx
