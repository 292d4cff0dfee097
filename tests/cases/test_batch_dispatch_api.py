"""POST /api/v1/cases/batch/dispatch (issue 18): the console's batch dispatch through the API,
the same service: all or nothing, 422 naming each refused event, 404 for an event out of
reach, audited once for the batch."""

from __future__ import annotations

import pytest

from dangjian.cases.models import Event, EventStep, State
from dangjian.core.models import AuditEntry
from tests.cases import helpers as h
from tests.cases.test_batch_dispatch import _opened

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/batch/dispatch"


def test_the_street_dispatches_several_events_and_gets_them_back(world, depts, api):
    events = _opened(world, 3)
    dept = depts["市政所"]
    r = api.post(
        world.users["street"],
        URL,
        {"event_ids": [e.pk for e in events], "department_id": dept.pk, "note": "一并处理"},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 3 and body["department_id"] == dept.pk
    assert body["department_name"] == "市政所"
    assert [i["id"] for i in body["items"]] == sorted(e.pk for e in events)
    assert {i["state"] for i in body["items"]} == {State.DISPATCHED}
    assert {i["state_label"] for i in body["items"]} == {"已派遣"}
    for e in events:
        e.refresh_from_db()
        assert e.state == State.DISPATCHED and e.department_id == dept.pk
    assert EventStep.objects.filter(event__in=events, action="dispatch").count() == 3
    entry = AuditEntry.objects.get(action="event.batch_dispatch")
    assert sorted(entry.after["event_ids"]) == sorted(e.pk for e in events)


def test_one_refused_event_dispatches_nothing_and_each_is_named(world, depts, api):
    events = _opened(world, 2)
    collected = h.report(
        world.users["grid"],
        description="批量派遣接口：尚未立案的井盖缺失",
        area=world.nodes["grid"],
    )
    r = api.post(
        world.users["street"],
        URL,
        {"event_ids": [*(e.pk for e in events), collected.pk], "department_id": depts["市政所"].pk},
    )
    assert r.status_code == 422
    errors = r.json()["errors"]["event_ids"]
    assert errors[0] == "未派遣任何事件（1件不能派遣）"
    assert f"事件{collected.pk}：状态为“已采集”，不能派遣" in errors
    assert set(
        Event.objects.filter(pk__in=[e.pk for e in events]).values_list("state", flat=True)
    ) == {State.OPENED}
    assert not EventStep.objects.filter(action="dispatch").exists()
    assert not AuditEntry.objects.filter(
        action__in=["event.dispatch", "event.batch_dispatch"]
    ).exists()


def test_an_event_out_of_reach_is_not_found_and_nothing_moves(world, depts, api):
    events = _opened(world, 2)
    body = {"event_ids": [e.pk for e in events], "department_id": depts["市政所"].pk}
    r = api.post(world.users["street3"], URL, body)
    assert r.status_code == 404 and r.json()["detail"] == "未找到"
    r = api.post(world.users["street"], URL, {**body, "event_ids": [events[0].pk, 2**63 + 5]})
    assert r.status_code == 404
    assert set(
        Event.objects.filter(pk__in=[e.pk for e in events]).values_list("state", flat=True)
    ) == {State.OPENED}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"department_id": 1}, "event_ids", "请勾选要派遣的事件"),
        ({"event_ids": []}, "event_ids", "请勾选要派遣的事件"),
        ({"event_ids": ["甲"], "department_id": 1}, "event_ids", ""),
        ({"event_ids": [1], "department_id": "乙"}, "department_id", ""),
        ({"event_ids": list(range(1, 102)), "department_id": 1}, "event_ids", "一次最多派遣100件"),
    ],
)
def test_malformed_bodies_are_refused_on_their_field(world, api, body, field, message):
    events = _opened(world, 1)
    if body.get("event_ids") == [1]:
        body = {**body, "event_ids": [events[0].pk]}
    r = api.post(world.users["street"], URL, body)
    assert r.status_code == 422, r.content
    errors = r.json()["errors"]
    named = [k for k in errors if k == field or k.startswith(f"{field}.")]  # event_ids.0
    assert named and all(errors[k] for k in named), errors
    assert message in "".join(errors[named[0]])
    events[0].refresh_from_db()
    assert events[0].state == State.OPENED


def test_no_department_is_refused_by_name(world, api):
    events = _opened(world, 1)
    r = api.post(world.users["street"], URL, {"event_ids": [events[0].pk]})
    assert r.status_code == 422
    assert r.json()["errors"]["department_id"] == ["请选择承办部门"]


def test_a_grid_worker_may_not_dispatch(world, depts, api):
    events = _opened(world, 1)
    r = api.post(
        world.users["grid"], URL, {"event_ids": [events[0].pk], "department_id": depts["市政所"].pk}
    )
    assert r.status_code in (403, 404)
    events[0].refresh_from_db()
    assert events[0].state == State.OPENED
