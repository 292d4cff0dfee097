"""The state machine, parametrized from the declared table: every (state, action) pair is
either a legal move (the declared target, history with the frozen clock status, audited) or
an illegal one (409 in Chinese, nothing changed)."""

from __future__ import annotations

import pytest
import time_machine

from dangjian.cases.models import ACTION_LABELS, FLOW, Event, EventStep, SlaStatus, State
from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from tests.cases.helpers import FIELDS, at, path_to, report

pytestmark = pytest.mark.django_db

PAIRS = [(s, a) for s in State.values for a in FLOW]
NOW = at(2025, 6, 10, 10, 0)  # a Tuesday


def _ids(pair):
    return f"{pair[0]}-{pair[1]}"


def test_every_state_is_reachable_and_every_move_leads_somewhere_declared():
    for state in State.values:
        assert path_to(state) is not None
    for action, m in FLOW.items():
        assert m.sources <= set(State.values), action
        assert m.target is None or m.target in State.values, action
        assert action in ACTION_LABELS
    # the terminal states
    assert not [a for a, m in FLOW.items() if State.CANCELLED in m.sources]


@pytest.mark.parametrize("pair", PAIRS, ids=[_ids(p) for p in PAIRS])
def test_move(pair, world, actors):
    state, action = pair
    m = FLOW[action]
    with time_machine.travel(NOW, tick=False):
        event = actors.drive(report(world.resident), state)
        steps = EventStep.objects.filter(event=event).count()
        audits = AuditEntry.objects.count()
        actor = actors.for_move(event, action)
        if state in m.sources:
            moved = actors.do(event, action)
            assert moved.state == (m.target or state)
            step = EventStep.objects.filter(event=event).latest("id")
            assert (step.action, step.from_state, step.to_state) == (
                action,
                state,
                m.target or state,
            )
            assert step.actor_id == actor.pk and step.at == NOW
            assert step.note == FIELDS.get(action, {}).get("note", "")
            assert step.sla_status in SlaStatus.values
            assert AuditEntry.objects.filter(action=f"event.{action}").exists()
        else:
            before = Event.objects.filter(pk=event.pk).values().get()
            with pytest.raises(Conflict) as exc:
                actors.do(event, action)
            assert m.label in exc.value.message and "当前状态为" in exc.value.message
            assert Event.objects.filter(pk=event.pk).values().get() == before
            assert EventStep.objects.filter(event=event).count() == steps
            assert AuditEntry.objects.count() == audits
