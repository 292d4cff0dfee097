"""Row locks under real concurrency (PostgreSQL): one move wins, the other is refused; one
reporter's double submit is caught."""

from __future__ import annotations

import time

import pytest

from dangjian.cases import services, sla
from dangjian.cases.models import Event, EventStep
from dangjian.core.errors import Conflict
from tests import world as world_mod
from tests.cases import helpers
from tests.concurrency import race
from tests.conftest import postgres_only

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def test_two_departments_users_accept_at_once_one_wins(monkeypatch):
    # Widen the window between reading the state and writing the move, so that without the
    # row lock both moves would pass.
    slow_status = sla.status

    def status(event, now):
        time.sleep(0.3)
        return slow_status(event, now)

    monkeypatch.setattr(sla, "status", status)
    world = world_mod.build()
    helpers.ensure_taxonomy()
    depts = helpers.departments(world)
    dept = depts["环卫所"]
    a = helpers.department_user("t-dept-a", dept)
    b = helpers.department_user("t-dept-b", dept)
    actors = helpers.Actors(world, {dept.pk: a})
    ev = actors.drive(helpers.report(world.resident), "dispatched")
    results = race(
        lambda: services.event_transition(actor=a, event=Event(pk=ev.pk), action="accept"),
        lambda: services.event_transition(actor=b, event=Event(pk=ev.pk), action="accept"),
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Event"]
    assert EventStep.objects.filter(event_id=ev.pk, action="accept").count() == 1
    assert Event.objects.get(pk=ev.pk).state == "handling"


def test_a_double_submit_is_caught():
    world = world_mod.build()
    helpers.ensure_taxonomy()
    text = "小区门口垃圾堆积如山，已经发臭好几天了"
    results = race(
        lambda: services.event_create(actor=world.resident, description=text),
        lambda: services.event_create(actor=world.resident, description=text),
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Event"]
    assert Event.objects.count() == 1
    assert any(isinstance(r, Conflict) and "请勿重复提交" in r.message for r in results)
