"""The closed loop's to-dos (each side of the flow sees what waits on it) and notifications
(the reporter told of progress; the deadline sweep, idempotent)."""

import datetime as dt

import pytest
import time_machine

from dangjian.cases.models import Event
from dangjian.core import notify, todo
from dangjian.core.models import Notification
from tests.cases.helpers import at, move, report

pytestmark = pytest.mark.django_db


def keys(user):
    return {(t.source, t.object_id) for t in todo.inbox(user, limit=None)}


def test_each_side_sees_the_event_when_it_waits_on_them(world, depts, dept_users):
    street, community, resident = (
        world.users["street"],
        world.users["community"],
        world.users["resident"],
    )
    e = report(resident, area=world.grid)
    assert ("cases.open", e.pk) in keys(street)
    assert ("cases.open", e.pk) not in keys(community)  # the street dispatches (街乡派单)
    assert not any(k[0].startswith("cases.") for k in keys(world.users["street3"]))
    assert not any(k[0].startswith("cases.") for k in keys(world.users["city"]))
    move(street, e, "open")
    assert ("cases.open", e.pk) not in keys(street)
    assert ("cases.dispatch", e.pk) in keys(street)
    e = move(street, e, "dispatch")
    dept_user = next(
        u for u in dept_users.values() if u.grants.first().department_id == e.department_id
    )
    assert ("cases.accept", e.pk) in keys(dept_user)
    assert ("cases.dispatch", e.pk) not in keys(street)
    item = next(t for t in todo.inbox(dept_user) if t.object_id == e.pk)
    assert item.due == Event.objects.get(pk=e.pk).deadline
    assert item.url == f"/cases/{e.pk}/"
    move(dept_user, e, "accept")
    assert ("cases.handle", e.pk) in keys(dept_user)
    move(dept_user, e, "finish", note="已清理")
    assert ("cases.verify", e.pk) in keys(community)
    assert ("cases.verify", e.pk) in keys(street)
    move(community, e, "verify_pass", resolution="solved")
    assert ("cases.rate", e.pk) in keys(resident)
    assert todo.counts(resident) == {"cases.rate": 1}
    move(resident, e, "evaluate", rating="satisfied")
    assert ("cases.rate", e.pk) not in keys(resident)


def test_the_reporter_is_told_of_progress(world, depts, dept_users):
    street, resident = world.users["street"], world.users["resident"]
    e = report(resident, area=world.grid)
    move(street, e, "open")
    e = move(street, e, "dispatch")
    dept_user = next(
        u for u in dept_users.values() if u.grants.first().department_id == e.department_id
    )
    move(dept_user, e, "accept")
    move(dept_user, e, "finish", note="已清理")
    move(world.users["community"], e, "verify_pass", resolution="solved")
    titles = list(
        Notification.objects.filter(recipient=resident)
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert titles == ["您上报的事件已受理", "您上报的事件已处置", "您上报的事件已办结"]
    assert notify.unread_count(resident) == 3
    assert not Notification.objects.filter(recipient=street).exists()


def test_the_deadline_sweep_tells_the_department_once(world, depts, dept_users):
    street, resident = world.users["street"], world.users["resident"]
    with time_machine.travel(at(2026, 6, 1, 9), tick=False):
        e = report(resident, area=world.grid)
        move(street, e, "open")
        e = move(street, e, "dispatch")
    dept_user = next(
        u for u in dept_users.values() if u.grants.first().department_id == e.department_id
    )
    e.refresh_from_db()
    with time_machine.travel(e.chase_at + dt.timedelta(minutes=1), tick=False):
        first = notify.sweep()
        assert first["cases"] >= 1
        assert notify.sweep()["cases"] == 0
    near = Notification.objects.get(recipient=dept_user, kind="cases.deadline")
    assert near.title == "事件处置期限临近" and near.url == f"/cases/{e.pk}/"
    with time_machine.travel(e.deadline + dt.timedelta(hours=1), tick=False):
        assert notify.sweep()["cases"] >= 2  # the department and the street
        assert notify.sweep()["cases"] == 0
    assert Notification.objects.filter(recipient=street, title="事件已超过处置期限").count() == 1
    assert Notification.objects.filter(recipient=dept_user, kind="cases.deadline").count() == 2
