"""One function marks an event overdue and writes its 超期通报 (``cases.overdue``): a move made
after the deadline writes the notice as the sweep does, the sweep writes a notice missing for
an event already marked, each once per deadline; the demo's overdue events have theirs."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.cases import services
from dangjian.cases.models import Event, EventNotice
from dangjian.cases.overdue import overdue_pending
from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.demo.generator import seed
from tests.cases.helpers import at, report

pytestmark = pytest.mark.django_db

# An environment event (3 working days) dispatched on Mon 2026-03-02 10:00: deadline
# Thu 2026-03-05 18:00.
DEADLINE = at(2026, 3, 5, 18, 0)


def travel(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def handling(world, actors):
    with travel(at(2026, 3, 2, 9, 0)):
        ev = report(world.resident)
    with travel(at(2026, 3, 2, 10, 0)):
        ev = actors.do(ev, "open")
        ev = actors.do(ev, "dispatch")
        ev = actors.do(ev, "accept")
    assert ev.deadline == DEADLINE
    return ev


def overdue_notices(ev):
    return list(
        EventNotice.objects.filter(event=ev, kind="overdue").values_list(
            "deadline", "department_id", "at"
        )
    )


def test_a_move_at_the_deadline_is_on_time_and_writes_no_notice(handling, actors):
    with travel(DEADLINE):
        ev = actors.do(handling, "finish")
    assert ev.overdue_at is None and ev.on_time is True
    assert overdue_notices(ev) == []


def test_a_move_after_the_deadline_marks_overdue_and_writes_the_notice(handling, actors):
    late = at(2026, 3, 5, 18, 1)
    with travel(late):
        ev = actors.do(handling, "finish")
    ev.refresh_from_db()
    assert ev.overdue_at == late and ev.on_time is False
    assert overdue_notices(ev) == [(DEADLINE, ev.department_id, late)]
    entry = AuditEntry.objects.filter(action="event.finish").get()
    assert entry.after["overdue_at"]
    # The sweep has nothing left to write for it.
    with travel(at(2026, 3, 6, 9, 0)):
        assert services.sla_sweep() == {"chased": 0, "overdue": 0}
    assert len(overdue_notices(ev)) == 1


def test_a_late_move_then_the_sweep_on_a_still_running_event(handling, actors):
    """A chase (the clock keeps running) after the deadline writes the notice: the sweep
    used to skip such an event for good, with no notice at all."""
    late = at(2026, 3, 6, 9, 30)
    with travel(late):
        ev = actors.do(handling, "chase")
    assert ev.state == "handling" and ev.overdue_at == late
    assert overdue_notices(ev) == [(DEADLINE, ev.department_id, late)]
    with travel(at(2026, 3, 6, 10, 0)):
        assert services.sla_sweep()["overdue"] == 0
    assert len(overdue_notices(ev)) == 1


def test_the_sweep_writes_the_notice_missing_for_an_event_already_marked(handling):
    marked = at(2026, 3, 6, 8, 0)
    Event.objects.filter(pk=handling.pk).update(overdue_at=marked)  # marked, no notice
    with travel(at(2026, 3, 6, 9, 0)):
        assert services.sla_sweep() == {"chased": 0, "overdue": 1}
        assert services.sla_sweep() == {"chased": 0, "overdue": 0}
    handling.refresh_from_db()
    assert handling.overdue_at == marked  # the first moment stays
    assert overdue_notices(handling) == [(DEADLINE, handling.department_id, at(2026, 3, 6, 9, 0))]


def test_a_return_after_the_deadline_notices_the_deadline_it_passed(handling, actors):
    late = at(2026, 3, 9, 9, 0)
    with travel(late):
        ev = actors.do(handling, "return")
    assert ev.deadline is None and ev.overdue_at == late
    assert overdue_notices(ev) == [(DEADLINE, ev.department_id, late)]


def test_a_refused_late_move_writes_nothing(handling, actors):
    with travel(at(2026, 3, 6, 9, 0)), pytest.raises(Conflict):
        actors.do(handling, "request_extension", extension_days=2)
    handling.refresh_from_db()
    assert handling.overdue_at is None and handling.state == "handling"
    assert overdue_notices(handling) == []


def test_the_demo_writes_the_notices_of_its_overdue_events():
    seed("small", progress=False)
    overdue = Event.objects.filter(overdue_at__isnull=False)
    assert overdue.count() > 0
    notices = set(EventNotice.objects.filter(kind="overdue").values_list("event_id", "deadline"))
    assert notices == set(overdue.values_list("pk", "deadline"))
    assert len(notices) == overdue.count()
    # every running event past its deadline is marked (nothing left for a late move to find)
    assert list(overdue_pending(timezone.now())) == []
    # The demo resident and member each have a closed report of their own to rate.
    for username in ("demo-resident", "demo-member"):
        user = User.objects.get(username=username)
        waiting = Event.objects.filter(reporter=user, state="closed", rating="")
        assert waiting.exists(), username
        ev = waiting.first()
        services.event_transition(actor=user, event=ev, action="evaluate", rating="satisfied")
        ev.refresh_from_db()
        assert (ev.state, ev.rating) == ("evaluated", "satisfied")
