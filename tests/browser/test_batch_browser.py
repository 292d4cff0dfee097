"""A batch action in real Chromium (issue 18): the street's staffer ticks every row of the
events list with the header checkbox (console.js), picks one department, confirms, and the
events are dispatched; the list then offers no box on them."""

import pytest

from dangjian.cases.models import Event, EventClass, State
from tests import world as world_mod
from tests.cases import helpers as h

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_the_street_dispatches_the_ticked_events_to_one_department(live_server, page):
    w = world_mod.build()
    h.ensure_taxonomy()
    depts = h.departments(w)
    code = EventClass.objects.filter(active=True).order_by("sort", "id").first().code
    events = []
    for i in range(3):
        ev = h.report(
            w.users["grid"], description=f"批量派遣浏览器事件{i}：路灯不亮", area=w.nodes["grid"]
        )
        events.append(h.move(w.users["street"], ev, "open", class_code=code))
    street_totp = world_mod.enrol_totp(w.users["street"])  # can grant roles (issue 14)
    page.set_default_timeout(60_000)
    page.on("dialog", lambda d: d.accept())

    page.goto(f"{live_server.url}/cases/")
    page.fill("input[name=username]", "t-street")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.fill("input[name=otp]", world_mod.fresh_code(street_totp, "t-street"))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/cases/")
    page.check("#event-table thead input[data-check-all=event_ids]")
    for e in events:
        assert page.is_checked(f"input[name=event_ids][value='{e.pk}']")
    page.select_option("#batch-department", str(depts["市政所"].pk))
    page.click("#batch-dispatch button[type=submit]")
    page.wait_for_url(f"{live_server.url}/cases/")
    assert "已将3件事件派遣至“市政所”" in page.locator("body").inner_text()
    assert page.locator("input[name=event_ids]").count() == 0
    states = set(
        Event.objects.filter(pk__in=[e.pk for e in events]).values_list("state", flat=True)
    )
    assert states == {State.DISPATCHED}
    page.wait_for_load_state("networkidle")
