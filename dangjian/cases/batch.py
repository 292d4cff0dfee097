"""Batch moves on the events list (issue 18): a street's staff dispatch several events to one
department at once.

All or nothing, with a report per row: every chosen event goes through the one transition
service (``services.event_transition``: the flow's state, side and field checks, its history,
its audit row, the department's to-do), each in a savepoint; when any of them is refused the
whole batch is rolled back and the refusal of every refused row is answered at once. A staffer
who ticked ten events for 城管 must not be left guessing which seven went: they untick the rows
named and send again.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from dangjian.accounts.models import Department
from dangjian.cases import selectors, services
from dangjian.cases.models import Event, State
from dangjian.core import audit
from dangjian.core.errors import Conflict
from dangjian.core.scope import Forbidden

MAX_BATCH = 100
# The move that dispatches an event from where it stands.
DISPATCH_MOVE = {
    State.OPENED: "dispatch",
    State.ESCALATED: "dispatch",
    State.RETURNED: "redispatch",
}


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


@transaction.atomic
def event_batch_dispatch(
    *, actor, event_ids: list[int], department_id: int | None, note: str = ""
) -> list[Event]:
    """Dispatch every event of ``event_ids`` to the department ``department_id``; refused as a
    whole (422, ``event_ids`` naming each refused event and why) when any one is refused."""
    ids = list(dict.fromkeys(int(i) for i in event_ids))
    if not ids:
        raise ValidationError({"event_ids": ["请勾选要派遣的事件"]})
    if len(ids) > MAX_BATCH:
        raise ValidationError({"event_ids": [f"一次最多派遣{MAX_BATCH}件事件"]})
    if not department_id:
        raise ValidationError({"department_id": ["请选择承办部门"]})
    if not actor.can("cases.dispatch"):
        raise Forbidden("您没有派遣事件的权限")
    found = {e.pk: e for e in selectors.event_list(actor).filter(pk__in=ids)}
    if len(found) != len(ids):
        raise Http404("未找到")  # an event out of scope reads as absent, as everywhere
    moved, refused = [], []
    for pk in ids:
        event = found[pk]
        action = DISPATCH_MOVE.get(event.state)
        if action is None:
            refused.append(f"事件{pk}：状态为“{event.get_state_display()}”，不能派遣")
            continue
        try:
            with transaction.atomic():
                moved.append(
                    services.event_transition(
                        actor=actor,
                        event=event,
                        action=action,
                        note=note,
                        department=Department(pk=department_id),
                    )
                )
        except (ValidationError, Conflict, Forbidden, Http404) as exc:
            refused.append(f"事件{pk}：{_message(exc)}")
    if refused:
        transaction.set_rollback(True)
        raise ValidationError(
            {"event_ids": [f"未派遣任何事件（{len(refused)}件不能派遣）", *refused]}
        )
    dept = moved[0].department
    audit.record(
        actor=actor,
        action="event.batch_dispatch",
        object_type="accounts.department",
        object_id=str(dept.pk),
        object_repr=f"批量派遣{len(moved)}件事件至{dept.name}",
        area_path=dept.area_path,
        after={"event_ids": [e.pk for e in moved], "department_id": dept.pk},
    )
    return moved
