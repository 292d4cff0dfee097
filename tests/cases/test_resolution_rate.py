"""解决率 (issue 12): verification records whether the problem was solved (已解决 / 未解决已答复),
required when it closes the event, through the service, the API and the console form; the
metrics count solved / closed. And the satisfaction rate counts only reports someone can rate:
patrol finds by staff are left out of its denominator."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dangjian.cases import excel, selectors
from dangjian.cases.models import RATED_SOURCES, Event, EventStep, Source
from dangjian.cases.verification import RESOLUTION_REQUIRED
from dangjian.core.excel import read_rows
from dangjian.core.models import AuditEntry
from tests.cases.helpers import at, move, report

pytestmark = pytest.mark.django_db


def travel(moment):
    return time_machine.travel(moment, tick=False)


def handled(actors, reporter, text, **kw):
    ev = actors.drive(report(reporter, text, **kw), "handling")
    return actors.do(ev, "finish")


def snapshot(ev: Event) -> tuple:
    ev.refresh_from_db()
    return ev.state, ev.resolution, ev.closed_at, EventStep.objects.filter(event=ev).count()


# --- the field at verification ----------------------------------------------------------------


def test_verify_pass_needs_the_resolution_and_records_it(world, actors):
    street = world.users["street"]
    with travel(at(2025, 6, 3, 10, 0)):
        ev = handled(actors, world.resident, "东门垃圾堆积，发臭严重")
        before = snapshot(ev)
        for bad in ("", "maybe", "已解决"):
            with pytest.raises(Exception) as exc:
                move(street, ev, "verify_pass", resolution=bad)
            assert exc.value.message_dict == {"resolution": [RESOLUTION_REQUIRED]}
            assert snapshot(ev) == before  # nothing changed
        assert before[0] == "handled" and before[1] == ""
        moved = move(street, ev, "verify_pass", resolution="answered")
    assert (moved.state, moved.resolution) == ("closed", "answered")
    step = EventStep.objects.filter(event=ev).order_by("-id").first()
    assert (step.action, step.data) == ("verify_pass", {"resolution": "answered"})
    entry = AuditEntry.objects.filter(action="event.verify_pass", object_id=str(ev.pk)).get()
    assert entry.after["resolution"] == "answered"


def test_other_moves_refuse_a_resolution_and_reopen_clears_it(world, actors):
    street = world.users["street"]
    with travel(at(2025, 6, 3, 10, 0)):
        ev = handled(actors, world.resident, "东门垃圾堆积，发臭严重")
        before = snapshot(ev)
        with pytest.raises(Exception) as exc:
            move(street, ev, "verify_fail", note="仍有垃圾", resolution="solved")
        assert exc.value.message_dict == {"resolution": ["“核查不通过”不需要填写解决情况"]}
        assert snapshot(ev) == before
        ev = move(street, ev, "verify_pass", resolution="solved")
        assert ev.resolution == "solved"
        ev = move(street, ev, "reopen", note="群众反映问题复发")
    ev.refresh_from_db()
    assert (ev.state, ev.resolution, ev.closed_at) == ("opened", "", None)


def test_api_transition_takes_the_resolution(world, actors, api):
    street = world.users["street"]
    with travel(at(2025, 6, 3, 10, 0)):
        ev = handled(actors, world.resident, "东门垃圾堆积，发臭严重")
        url = f"/api/v1/cases/{ev.pk}/transitions"
        r = api.post(street, url, {"action": "verify_pass", "note": "已核查"})
        assert r.status_code == 422
        assert r.json()["errors"] == {"resolution": [RESOLUTION_REQUIRED]}
        ev.refresh_from_db()
        assert (ev.state, ev.resolution) == ("handled", "")
        r = api.post(street, url, {"action": "verify_pass", "resolution": "solved"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["resolution"], body["resolution_label"]) == (
        "closed",
        "solved",
        "已解决",
    )
    assert body["history"][-1]["action"] == "verify_pass"


def test_console_form_asks_for_the_resolution(client, world, actors):
    street = world.users["street"]
    with travel(at(2025, 6, 3, 10, 0)):
        ev = handled(actors, world.resident, "东门垃圾堆积，发臭严重")
        client.force_login(street)
        page = client.get(f"/cases/{ev.pk}/").content.decode()
        form = page[page.index('id="move-verify_pass"') :]
        form = form[: form.index("</form>")]
        assert 'name="resolution"' in form
        assert '<option value="solved">已解决</option>' in form
        assert '<option value="answered">未解决已答复</option>' in form
        url = f"/cases/{ev.pk}/transition/"
        r = client.post(url, {"action": "verify_pass"})
        assert r.status_code == 422 and RESOLUTION_REQUIRED in r.content.decode()
        ev.refresh_from_db()
        assert (ev.state, ev.resolution) == ("handled", "")
        r = client.post(url, {"action": "verify_pass", "resolution": "answered"})
        assert r.status_code == 302
        page = client.get(f"/cases/{ev.pk}/").content.decode()
    ev.refresh_from_db()
    assert (ev.state, ev.resolution) == ("closed", "answered")
    assert '<dd id="event-resolution">未解决已答复</dd>' in page


# --- the rates --------------------------------------------------------------------------------


@pytest.fixture
def rated(world, actors):
    """Opened in June 2025 in the first street:

    R1 resident, closed as solved, rated 满意 (through the service).
    R2 resident, closed as 未解决已答复, rated 不满意 (through the service).
    M1 member, closed as solved, rated 基本满意.
    P1 a grid worker's patrol find, closed as solved, carrying a 不满意 rating.
    P2 a patrol find still being handled.
    R3 resident, closed as solved then reopened (not closed any more).
    """
    street = world.users["street"]
    with travel(at(2025, 6, 3, 10, 0)):
        r1 = handled(actors, world.resident, "东门垃圾堆积，发臭严重")
        r2 = handled(actors, world.resident, "河边油烟异味很重，烧烤摊太多")
        m1 = handled(actors, world.users["member"], "小区广场垃圾桶满了没人清理")
        p1 = handled(actors, world.users["grid"], "北门井盖缺失，很危险")
        actors.drive(report(world.users["grid"], "南门的窨井盖松动了"), "handling")
        r3 = handled(actors, world.resident, "楼下垃圾又堆起来了，脏乱差")
    with travel(at(2025, 6, 4, 10, 0)):
        move(street, r1, "verify_pass", resolution="solved")
        move(street, r2, "verify_pass", resolution="answered")
        move(street, m1, "verify_pass", resolution="solved")
        move(street, p1, "verify_pass", resolution="solved")
        move(street, r3, "verify_pass", resolution="solved")
        move(street, r3, "reopen", note="群众反映问题复发")
        move(world.resident, r1, "evaluate", rating="satisfied")
        move(world.resident, r2, "evaluate", rating="dissatisfied")
    # Ratings the flow of another part of the platform records (who may rate is not this
    # test's subject): the member's, and one on the patrol find.
    Event.objects.filter(pk=m1.pk).update(state="evaluated", rating="basic")
    Event.objects.filter(pk=p1.pk).update(state="evaluated", rating="dissatisfied")
    sources = dict(Event.objects.values_list("pk", "source"))
    assert (sources[r1.pk], sources[m1.pk], sources[p1.pk]) == ("resident", "member", "patrol")
    return world


def test_rated_sources_are_the_reports_someone_can_rate():
    assert set(RATED_SOURCES) == {"resident", "member", "visit", "phone", "walk_in", "hotline"}
    assert Source.PATROL not in RATED_SOURCES and Source.DEPARTMENT not in RATED_SOURCES


def test_resolution_and_satisfaction_rates(rated, django_assert_max_num_queries):
    county = rated.users["county"]
    county.forget_grants()
    june = {"date_from": dt.date(2025, 6, 1), "date_to": dt.date(2025, 6, 30)}
    with django_assert_max_num_queries(6):
        m = selectors.event_metrics(county, area=rated.nodes["street"].pk, **june)
    t = m["totals"]
    assert (t["opened"], t["closed"], t["solved"]) == (6, 4, 3)
    assert t["resolution_rate"] == 0.75
    # R1 满意, R2 不满意, M1 基本满意 count; P1's rating (a patrol find) does not.
    assert (t["evaluated"], t["satisfied"], t["satisfaction_rate"]) == (3, 2, 0.6667)
    by_class = {c["code"]: (c["closed"], c["solved"], c["resolution_rate"]) for c in m["by_class"]}
    assert by_class == {
        "environment": (2, 1, 0.5),  # R1, R2 (R3 reopened)
        "public_facility": (1, 1, 1.0),  # P1
        "environment_facility": (1, 1, 1.0),  # M1 (垃圾桶)
    }
    fac = next(c for c in m["by_class"] if c["code"] == "public_facility")
    assert (fac["closed"], fac["solved"], fac["resolution_rate"]) == (1, 1, 1.0)
    assert (fac["evaluated"], fac["satisfaction_rate"]) == (0, None)
    # July: nothing opened, no rate.
    m = selectors.event_metrics(county, date_from=dt.date(2025, 7, 1), date_to=dt.date(2025, 7, 31))
    assert (m["totals"]["closed"], m["totals"]["resolution_rate"]) == (0, None)


def test_rates_in_the_api_the_page_and_the_xlsx(rated, api, client):
    county = rated.users["county"]
    r = api.get(county, "/api/v1/cases/metrics", date_from="2025-06-01", date_to="2025-06-30")
    assert r.status_code == 200, r.content
    t = r.json()["totals"]
    assert (t["solved"], t["resolution_rate"], t["satisfaction_rate"]) == (3, 0.75, 0.6667)
    client.force_login(county)
    page = client.get("/cases/metrics/", {"date_from": "2025-06-01", "date_to": "2025-06-30"})
    html = page.content.decode()
    assert '<th class="num">解决率</th>' in html
    total = html[html.index('id="metrics-total"') :]
    total = total[: total.index("</tr>")]
    assert "75.0%" in total and "66.7%" in total
    r = client.post("/cases/metrics/export/?date_from=2025-06-01&date_to=2025-06-30")
    assert r.status_code == 200
    rows = read_rows(r.content)
    header = [str(c) for c in rows[0].values]
    assert header[header.index("已解决数") - 1] == "按期结案数"
    total = dict(zip(header, rows[1].values, strict=False))
    assert (total["分组"], int(total["已解决数"]), total["解决率"], total["满意率"]) == (
        "合计",
        3,
        "75.00%",
        "66.67%",
    )
    assert excel.HEADERS.index("解决率") == excel.HEADERS.index("响应率") + 1


def test_demo_events_carry_resolutions_and_only_rateable_ratings(db):
    from dangjian.demo.generator import seed

    seed("small", progress=False)
    closed = Event.objects.filter(closed_at__isnull=False)
    assert closed.exists() and not closed.filter(resolution="").exists()
    assert not Event.objects.filter(closed_at__isnull=True).exclude(resolution="").exists()
    solved = closed.filter(resolution="solved").count() / closed.count()
    assert 0.8 <= solved < 1
    rated = Event.objects.exclude(rating="")
    assert rated.exists() and not rated.exclude(source__in=RATED_SOURCES).exists()
    step = EventStep.objects.filter(action="verify_pass").first()
    assert step.data["resolution"] in ("solved", "answered")
    # The history names departments with their areas.
    names = set(
        EventStep.objects.filter(action="dispatch").values_list("department_name", flat=True)
    )
    assert names and all("（" in n and n.endswith("）") for n in names)
