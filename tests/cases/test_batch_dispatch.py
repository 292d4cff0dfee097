"""Dispatching several events to one department at once (issue 18): all or nothing, each
refused row named; the events list offers the rows that can be dispatched."""

from __future__ import annotations

import pytest

from dangjian.cases.models import Event, EventStep, State
from dangjian.core.models import AuditEntry
from tests.cases import helpers as h

pytestmark = pytest.mark.django_db


def _opened(world, n: int) -> list[Event]:
    street = world.users["street"]
    out = []
    for i in range(n):
        ev = h.report(
            world.users["grid"],
            description=f"批量派遣测试事件{i}：路灯不亮影响通行",
            area=world.nodes["grid"],
        )
        out.append(h.move(street, ev, "open", class_code=_class_code()))
    return out


def _class_code() -> str:
    from dangjian.cases.models import EventClass

    return EventClass.objects.filter(active=True).order_by("sort", "id").first().code


def test_the_street_dispatches_several_events_to_one_department(world, depts, client):
    events = _opened(world, 3)
    dept = depts["市政所"]
    client.force_login(world.users["street"])
    page = client.get("/cases/").content.decode()
    assert 'id="batch-dispatch"' in page and f'value="{events[0].pk}" form="batch-dispatch"' in page
    r = client.post(
        "/cases/batch/dispatch/",
        {"event_ids": [e.pk for e in events], "department_id": dept.pk, "next": "/cases/?sort=id"},
    )
    assert r.status_code == 302 and r["Location"] == "/cases/?sort=id"
    for e in events:
        e.refresh_from_db()
        assert e.state == State.DISPATCHED and e.department_id == dept.pk and e.deadline
    assert EventStep.objects.filter(event__in=events, action="dispatch").count() == 3
    entry = AuditEntry.objects.get(action="event.batch_dispatch")
    assert sorted(entry.after["event_ids"]) == sorted(e.pk for e in events)
    msgs = [str(m) for m in client.get("/cases/").context["messages"]]
    assert any("已将3件事件派遣至“市政所”" in m for m in msgs)


def test_one_refused_row_dispatches_nothing_and_is_named(world, depts, client):
    events = _opened(world, 2)
    collected = h.report(
        world.users["grid"],
        description="批量派遣测试事件：尚未立案的井盖缺失",
        area=world.nodes["grid"],
    )
    client.force_login(world.users["street"])
    r = client.post(
        "/cases/batch/dispatch/",
        {
            "event_ids": [*(e.pk for e in events), collected.pk],
            "department_id": depts["市政所"].pk,
        },
    )
    assert r.status_code == 302
    assert set(
        Event.objects.filter(pk__in=[e.pk for e in events]).values_list("state", flat=True)
    ) == {State.OPENED}
    assert not EventStep.objects.filter(action="dispatch").exists()
    assert not AuditEntry.objects.filter(
        action__in=["event.dispatch", "event.batch_dispatch"]
    ).exists()
    msgs = [str(m) for m in client.get("/cases/").context["messages"]]
    assert any("未派遣任何事件（1件不能派遣）" in m for m in msgs)
    assert any(f"事件{collected.pk}：状态为“已采集”，不能派遣" in m for m in msgs)
    # an event out of scope (or absent) among them: 404, nothing dispatched
    r = client.post(
        "/cases/batch/dispatch/",
        {"event_ids": [events[0].pk, 99999999], "department_id": depts["市政所"].pk},
    )
    assert r.status_code == 404
    assert not EventStep.objects.filter(action="dispatch").exists()


def test_another_county_cannot_dispatch_and_nothing_changes(world, depts, client):
    events = _opened(world, 1)
    client.force_login(world.users["street3"])
    r = client.post(
        "/cases/batch/dispatch/", {"event_ids": [events[0].pk], "department_id": depts["市政所"].pk}
    )
    assert r.status_code == 404
    events[0].refresh_from_db()
    assert events[0].state == State.OPENED


def test_no_department_or_no_rows_is_refused_by_name(world, depts, client):
    events = _opened(world, 1)
    client.force_login(world.users["street"])
    client.post("/cases/batch/dispatch/", {"event_ids": [events[0].pk]})
    client.post("/cases/batch/dispatch/", {"department_id": depts["市政所"].pk})
    msgs = [str(m) for m in client.get("/cases/").context["messages"]]
    assert "请选择承办部门" in msgs and "请勾选要派遣的事件" in msgs
    events[0].refresh_from_db()
    assert events[0].state == State.OPENED
