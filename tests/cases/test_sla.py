"""Time limits: deadlines over statutory holidays and make-up workdays, the chase and overdue
sweep, a return stopping the clock, extensions before and after the deadline, the clock's
status frozen into the history."""

from __future__ import annotations

import pytest
import time_machine
from django.test import override_settings

from dangjian.cases import services, sla
from dangjian.cases.models import Event, EventClass, EventNotice, EventStep, SlaStatus
from dangjian.cases.tasks import sla_sweep_task
from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from tests.cases.helpers import at, report

pytestmark = pytest.mark.django_db


def travel(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def handling(world, actors):
    """An environment event (3 working days) dispatched on 2025-09-30 10:00 and signed for."""
    with travel(at(2025, 9, 28, 9, 0)):
        ev = report(world.resident)
    with travel(at(2025, 9, 30, 10, 0)):
        ev = actors.do(ev, "open")
        ev = actors.do(ev, "dispatch")
        ev = actors.do(ev, "accept")
    return ev


def test_three_working_days_over_national_day(handling):
    ev = handling
    assert ev.event_class.code == "environment" and ev.department.name == "环卫所"
    assert (ev.limit_value, ev.limit_unit) == (3, "workdays")
    # 10-01 … 10-08 are the holiday; 10-09, 10-10 and the make-up Saturday 10-11 count.
    assert ev.deadline == at(2025, 10, 11, 18, 0)
    # The chase window is the last quarter of the 28.5 office hours: 10-11 08:52:30.
    assert ev.chase_at == at(2025, 10, 11, 8, 52, 30)
    assert sla.status(ev, at(2025, 10, 5, 12, 0)) == SlaStatus.NORMAL


def test_the_sunday_make_up_day_counts(world, actors):
    with travel(at(2025, 9, 26, 10, 0)):  # Friday
        ev = actors.drive(report(world.resident), "dispatched")
    # 09-27 is a Saturday off; the Sunday 09-28 is a make-up working day: 28, 29, 30.
    assert ev.deadline == at(2025, 9, 30, 18, 0)
    assert sla.deadline_for(at(2025, 9, 26, 10, 0), 1, "workdays") == at(2025, 9, 28, 18, 0)


def test_working_hours_skip_the_holiday(world, actors):
    # A deployment's own limit in working hours (the seeded 突发事件 is same day).
    EventClass.objects.filter(code="emergency").update(limit_value=2, limit_unit="workhours")
    with travel(at(2025, 9, 30, 16, 0)):
        ev = report(world.resident, "楼下燃气泄漏，闻到很重的煤气味")
        assert ev.event_class.code == "emergency"
        ev = actors.drive(ev, "dispatched")
    # 2 working hours: 16:00–18:00 on 09-30.
    assert ev.deadline == at(2025, 9, 30, 18, 0)
    with travel(at(2025, 9, 30, 17, 0)):
        ev2 = report(world.users["grid"], "十字路口有一辆车起火冒烟", area=world.grid)
        ev2 = actors.drive(ev2, "dispatched")
    # 1 hour on 09-30, then the holiday, then 08:30 + 1 hour on 10-09.
    assert ev2.deadline == at(2025, 10, 9, 9, 30)


def test_same_day_limit_asked_after_office_hours_ends_the_next_working_day():
    assert sla.deadline_for(at(2025, 9, 30, 19, 0), 0, "workdays") == at(2025, 10, 9, 18, 0)
    assert sla.deadline_for(at(2025, 9, 30, 9, 0), 0, "workdays") == at(2025, 9, 30, 18, 0)


def test_office_time_between():
    assert sla.office_time_between(at(2025, 9, 30, 10, 0), at(2025, 10, 9, 9, 0)).seconds == (
        6.5 * 3600
    )
    assert sla.office_time_between(at(2025, 10, 2, 10, 0), at(2025, 10, 3, 10, 0)).seconds == 0


def test_sweep_chases_then_marks_overdue_once(handling):
    ev = handling
    with travel(at(2025, 10, 10, 17, 0)):
        assert services.sla_sweep() == {"chased": 0, "overdue": 0}
        assert not AuditEntry.objects.filter(action="event.sla_sweep").exists()
    with travel(at(2025, 10, 11, 9, 0)):
        assert services.sla_sweep() == {"chased": 1, "overdue": 0}
        assert services.sla_sweep() == {"chased": 0, "overdue": 0}
        ev.refresh_from_db()
        assert sla.status(ev, at(2025, 10, 11, 9, 0)) == SlaStatus.CHASE
    with travel(at(2025, 10, 13, 9, 0)):
        assert services.sla_sweep() == {"chased": 0, "overdue": 1}
        assert services.sla_sweep() == {"chased": 0, "overdue": 0}
    ev.refresh_from_db()
    assert ev.overdue_at == at(2025, 10, 13, 9, 0)
    notices = list(EventNotice.objects.filter(event=ev).values_list("kind", "deadline"))
    assert notices == [("chase", ev.deadline), ("overdue", ev.deadline)]
    assert AuditEntry.objects.filter(action="event.sla_sweep").count() == 2


def test_finishing_late_freezes_overdue_into_the_history(handling, actors):
    with travel(at(2025, 10, 13, 10, 0)):
        ev = actors.do(handling, "finish")
    assert ev.on_time is False and ev.overdue_at == at(2025, 10, 13, 10, 0)
    step = EventStep.objects.filter(event=ev).latest("id")
    assert (step.action, step.sla_status) == ("finish", SlaStatus.OVERDUE)
    assert sla.status(ev, at(2025, 10, 14, 10, 0)) == SlaStatus.LATE
    with travel(at(2025, 10, 14, 10, 0)):
        ev = actors.do(ev, "verify_pass")
    assert ev.closed_at and ev.on_time is False
    # The history froze each move's status at its moment.
    frozen = list(EventStep.objects.filter(event=ev).values_list("action", "sla_status"))
    assert frozen == [
        ("collect", "not_started"),
        ("open", "not_started"),
        ("dispatch", "not_started"),
        ("accept", "normal"),
        ("finish", "overdue"),
        ("verify_pass", "late"),
    ]


def test_on_time_handling(handling, actors):
    with travel(at(2025, 10, 9, 11, 0)):
        ev = actors.do(handling, "finish")
    assert ev.on_time is True
    assert ev.handling_seconds == int(
        (at(2025, 10, 9, 11, 0) - at(2025, 9, 30, 10, 0)).total_seconds()
    )
    assert sla.status(ev, at(2025, 12, 1, 0, 0)) == SlaStatus.MET


def test_a_return_stops_the_clock_and_a_redispatch_starts_a_new_one(handling, actors):
    with travel(at(2025, 10, 9, 9, 0)):
        ev = actors.do(handling, "return")
    assert ev.state == "returned" and ev.deadline is None and ev.chase_at is None
    assert ev.return_count == 1
    assert sla.status(ev, at(2025, 10, 20, 9, 0)) == SlaStatus.STOPPED
    with travel(at(2025, 10, 20, 9, 0)):  # long after the old deadline: nothing is overdue
        assert services.sla_sweep() == {"chased": 0, "overdue": 0}
        ev = actors.do(ev, "redispatch", department=ev.department)
    ev.refresh_from_db()
    assert ev.state == "dispatched" and ev.overdue_at is None
    assert ev.dispatched_at == at(2025, 10, 20, 9, 0)
    assert ev.first_dispatched_at == at(2025, 9, 30, 10, 0)
    assert ev.deadline == at(2025, 10, 23, 18, 0)  # Mon 20 → 21, 22, 23
    steps = list(EventStep.objects.filter(event=ev).values_list("action", "sla_status", "deadline"))
    assert steps[-2] == ("return", "normal", None)
    assert steps[-1] == ("redispatch", "stopped", at(2025, 10, 23, 18, 0))


def test_extension_before_the_deadline_granted(handling, actors):
    with travel(at(2025, 10, 10, 9, 0)):
        ev = actors.do(handling, "request_extension", extension_days=2)
    assert ev.state == "extension_requested" and ev.pending_extension_value == 2
    with travel(at(2025, 10, 10, 15, 0)):
        ev = actors.do(ev, "grant_extension")
    assert ev.state == "handling" and ev.extension_count == 1
    # Two working days after the old deadline (Sat 10-11): Mon 13, Tue 14.
    assert ev.deadline == at(2025, 10, 14, 18, 0)
    assert ev.pending_extension_value is None
    step = EventStep.objects.filter(event=ev).latest("id")
    assert step.data["extension"] == "2个工作日" and step.deadline == ev.deadline


def test_extension_refused_keeps_the_deadline(handling, actors):
    with travel(at(2025, 10, 10, 9, 0)):
        ev = actors.do(handling, "request_extension", extension_days=None, extension_hours=4)
        ev = actors.do(ev, "refuse_extension")
    assert ev.state == "handling" and ev.deadline == at(2025, 10, 11, 18, 0)
    assert ev.extension_count == 0


def test_extension_after_the_deadline_is_refused_and_nothing_changes(handling, actors):
    before = Event.objects.filter(pk=handling.pk).values().get()
    steps = EventStep.objects.count()
    with travel(at(2025, 10, 13, 9, 0)), pytest.raises(Conflict) as exc:
        actors.do(handling, "request_extension", extension_days=2)
    assert "已超过处置期限（2025-10-11 18:00）" in exc.value.message
    assert Event.objects.filter(pk=handling.pk).values().get() == before
    assert EventStep.objects.count() == steps


def test_extension_bounds_and_limit(handling, actors, settings):
    from django.core.exceptions import ValidationError

    with travel(at(2025, 10, 9, 9, 0)):
        for bad in ({"extension_days": 0}, {"extension_days": 10**9}, {}):
            with pytest.raises(ValidationError) as exc:
                services.event_transition(
                    actor=actors.for_move(handling, "request_extension"),
                    event=handling,
                    action="request_extension",
                    note="需要时间",
                    **bad,
                )
            assert "extension_days" in exc.value.message_dict
        settings.DANGJIAN = {**settings.DANGJIAN, "CASES_MAX_EXTENSIONS": 1}
        ev = actors.do(handling, "request_extension", extension_days=1)
        ev = actors.do(ev, "grant_extension")
        with pytest.raises(Conflict) as exc:
            actors.do(ev, "request_extension", extension_days=1)
        assert "最多1次" in exc.value.message


def test_grant_after_the_deadline_of_a_timely_request_clears_overdue(handling, actors):
    with travel(at(2025, 10, 11, 17, 0)):
        ev = actors.do(handling, "request_extension", extension_days=3)
    with travel(at(2025, 10, 13, 9, 0)):
        services.sla_sweep()
        ev.refresh_from_db()
        assert ev.overdue_at is not None
        ev = actors.do(ev, "grant_extension")
    # three working days after Sat 10-11: 13, 14, 15
    assert ev.deadline == at(2025, 10, 15, 18, 0) and ev.overdue_at is None


def test_the_task_runs_the_sweep(handling):
    with travel(at(2025, 10, 13, 9, 0)):
        assert sla_sweep_task.call() == {"chased": 0, "overdue": 1}
    with (
        override_settings(
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        ),
        travel(at(2025, 10, 14, 9, 0)),
    ):
        result = sla_sweep_task.enqueue()
        assert result.return_value == {"chased": 0, "overdue": 0}
