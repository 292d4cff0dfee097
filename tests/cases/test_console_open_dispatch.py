"""立案并派遣 in one step for the street (issue 18): one form, the same two moves of the flow
(both audited, both in the history), all or nothing."""

import pytest
import time_machine

from dangjian.cases.models import EventStep
from dangjian.core.models import AuditEntry
from tests.cases.test_console import at, events, login, post_move  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_open_and_dispatch_in_one_step(client, world, events, depts):  # noqa: F811
    ev = events["c"]
    with time_machine.travel(at(2025, 6, 10, 10, 0), tick=False):
        c = login(client, world.users["street"])
        page = c.get(f"/cases/{ev.pk}/").content.decode()
        assert 'id="move-open_dispatch"' in page and "立案并派遣" in page
        r = post_move(
            c, ev, "open_dispatch", class_code="environment", department_id=str(depts["环卫所"].pk)
        )
        assert r.status_code == 302, r.content.decode()[:800]
    ev.refresh_from_db()
    assert (ev.state, ev.department_id) == ("dispatched", depts["环卫所"].pk)
    steps = list(EventStep.objects.filter(event=ev).values_list("action", flat=True))
    assert steps[-2:] == ["open", "dispatch"]
    assert AuditEntry.objects.filter(action="event.open", object_id=str(ev.pk)).exists()
    assert AuditEntry.objects.filter(action="event.dispatch", object_id=str(ev.pk)).exists()


def test_without_a_department_nothing_moves(client, world, events, depts):  # noqa: F811
    ev = events["c"]
    with time_machine.travel(at(2025, 6, 10, 10, 0), tick=False):
        c = login(client, world.users["street"])
        r = post_move(c, ev, "open_dispatch", class_code="environment")
    assert r.status_code == 422 and "请选择承办部门" in r.content.decode()
    ev.refresh_from_db()
    assert ev.state == "collected"
    assert not EventStep.objects.filter(event=ev, action="open").exists()
