"""Who rates a closed event: the reporter, whatever their role (a member who lacks
``cases.rate``, a grid worker's own patrol); staff only with the follow-up call it comes from
(date bounded by the report date and today, who was called, what was said), kept on the step
and audited. Through the API, the console and the phone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dangjian.cases.models import Event, EventStep, State
from dangjian.core.models import AuditEntry
from tests.cases.helpers import Actors, at, report

pytestmark = pytest.mark.django_db

REPORTED = at(2026, 3, 2, 9, 0)  # a Monday
CLOSED = at(2026, 3, 4, 16, 0)
RATED = at(2026, 3, 10, 10, 0)
CALL = {"call_date": "2026-03-09", "callee": "王阿姨", "call_note": "电话回访，对处理结果满意"}


def travel(moment):
    return time_machine.travel(moment, tick=False)


def closed_event(
    world, dept_users, reporter, description="小区东门垃圾堆积发臭，无人清运", **kw
) -> Event:
    """A report by ``reporter`` on 2026-03-02, driven to closed by 2026-03-04."""
    actors = Actors(world, dept_users)
    with travel(REPORTED):
        ev = report(reporter, description, **kw)
    with travel(CLOSED):
        for action in ("open", "dispatch", "accept", "finish", "verify_pass"):
            ev = actors.do(ev, action)
    assert ev.state == State.CLOSED
    return ev


def go(api, user, ev, **fields):
    api._tokens.clear()  # tokens last 12 hours: one per call, at its moment
    return api.post(user, f"/api/v1/cases/{ev.pk}/transitions", {"action": "evaluate", **fields})


def unchanged(ev) -> None:
    ev.refresh_from_db()
    assert (ev.state, ev.rating, ev.evaluated_at) == ("closed", "", None)
    assert not EventStep.objects.filter(event=ev, action="evaluate").exists()
    assert not AuditEntry.objects.filter(action="event.evaluate").exists()


# --- the reporter ----------------------------------------------------------------------------


def test_a_member_rates_their_own_report_through_the_api(world, api, dept_users):
    member = world.users["member"]
    assert not member.can("cases.rate")  # the member role lacks it: the record is the reach
    ev = closed_event(world, dept_users, member)
    with travel(RATED):
        api._tokens.clear()
        detail = api.get(member, f"/api/v1/cases/{ev.pk}").json()
        assert [a["code"] for a in detail["actions"]] == ["evaluate"]
        r = go(api, member, ev, rating="basic", note="还可以")
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["rating"]) == ("evaluated", "basic")
    step = EventStep.objects.get(event=ev, action="evaluate")
    assert (step.actor_id, step.note, step.data) == (member.pk, "还可以", {"rating": "basic"})
    entry = AuditEntry.objects.get(action="event.evaluate")
    # The rater is sealed from reviewers (core.audit.register_seal), kept encrypted.
    assert entry.actor_id is None and entry.sealed and "follow_up" not in (entry.after or {})
    # once only
    with travel(RATED):
        r = go(api, member, ev, rating="satisfied")
    assert r.status_code == 409


def test_the_reporter_rates_only_once_closed_and_needs_no_call(world, api, dept_users):
    resident = world.users["resident"]
    with travel(REPORTED):
        early = report(resident, "楼道里的灯坏了一个星期没人修")
        r = go(api, resident, early, rating="satisfied")
    assert r.status_code == 409
    ev = closed_event(world, dept_users, world.users["member"], description="路灯坏了好几天")
    ev2 = closed_event(world, dept_users, resident)
    with travel(RATED):
        r = go(api, resident, ev2, rating="satisfied", **CALL)
        assert r.status_code == 422
        assert "无需填写回访记录" in r.json()["errors"]["call_date"][0]
        unchanged(ev2)
        # someone else's report is out of the resident's sight
        assert go(api, resident, ev, rating="satisfied").status_code == 404
        unchanged(ev)


def test_a_grid_worker_rates_their_own_patrol_report(world, api, dept_users):
    grid = world.users["grid"]
    assert not grid.can("cases.rate")
    own = closed_event(world, dept_users, grid)
    other = closed_event(world, dept_users, world.users["resident"])
    with travel(RATED):
        r = go(api, grid, other, rating="satisfied", **CALL)
        assert r.status_code == 403
        assert r.json()["detail"] == "只有上报人本人，或回访上报人的工作人员可以评价"
        unchanged(other)
        r = go(api, grid, own, rating="satisfied")
    assert r.status_code == 200 and r.json()["rating"] == "satisfied"


def test_a_department_may_not_rate(world, api, dept_users, depts):
    ev = closed_event(world, dept_users, world.users["resident"])
    with travel(RATED):
        r = go(api, dept_users[ev.department_id], ev, rating="satisfied", **CALL)
    assert r.status_code == 403
    unchanged(ev)


# --- staff, with a follow-up call --------------------------------------------------------------


def test_staff_rating_needs_the_follow_up_call(world, api, dept_users):
    ev = closed_event(world, dept_users, world.users["resident"])
    street = world.users["street"]
    with travel(RATED):
        r = go(api, street, ev, rating="satisfied")
        assert r.status_code == 422
        errors = r.json()["errors"]
        assert errors["call_date"] == ["工作人员代为评价须填写回访日期"]
        assert errors["callee"] == ["请填写回访对象（被回访人）"]
        assert errors["call_note"] == ["请填写回访情况"]
        unchanged(ev)
        r = go(api, street, ev, rating="satisfied", **{**CALL, "callee": "", "call_note": " "})
        assert set(r.json()["errors"]) == {"callee", "call_note"}
        unchanged(ev)


@pytest.mark.parametrize(
    ("call_date", "ok"),
    [
        ("2026-03-01", False),  # the day before the report
        ("2026-03-02", True),  # the report's day
        ("2026-03-10", True),  # today
        ("2026-03-11", False),  # tomorrow
    ],
)
def test_the_call_date_lies_between_the_report_and_today(world, api, dept_users, call_date, ok):
    ev = closed_event(world, dept_users, world.users["resident"])
    with travel(RATED):
        r = go(
            api,
            world.users["street"],
            ev,
            rating="dissatisfied",
            **{**CALL, "call_date": call_date},
        )
    if not ok:
        assert r.status_code == 422
        message = r.json()["errors"]["call_date"][0]
        assert message in (
            "回访日期不能早于事件上报日期（2026-03-02）",
            "回访日期不能晚于今天（2026-03-10）",
        )
        unchanged(ev)
        return
    assert r.status_code == 200, r.content
    ev.refresh_from_db()
    assert (ev.state, ev.rating) == ("evaluated", "dissatisfied")
    step = EventStep.objects.get(event=ev, action="evaluate")
    follow_up = {**CALL, "call_date": call_date}
    assert step.data == {"rating": "dissatisfied", "follow_up": follow_up}
    assert step.actor_id == world.users["street"].pk
    entry = AuditEntry.objects.get(action="event.evaluate")
    assert entry.after["follow_up"] == follow_up and entry.after["rating"] == "dissatisfied"
    # the staff read the record in the history
    with travel(RATED):
        history = api.get(world.users["street"], f"/api/v1/cases/{ev.pk}").json()["history"]
    assert history[-1]["follow_up"] == follow_up


def test_a_phone_number_in_the_call_record_is_masked_in_the_audit(world, api, dept_users):
    ev = closed_event(world, dept_users, world.users["resident"])
    note = "拨打13812345678回访，满意"
    with travel(RATED):
        r = go(api, world.users["community"], ev, rating="satisfied", **{**CALL, "call_note": note})
    assert r.status_code == 200, r.content
    # Stored masked too (issue 19: numbers typed into free text are masked as they are written).
    stored = EventStep.objects.get(event=ev, action="evaluate").data["follow_up"]["call_note"]
    assert stored == "拨打138****5678回访，满意"
    after = AuditEntry.objects.get(action="event.evaluate").after
    assert after["follow_up"]["call_note"] == "拨打138****5678回访，满意"


def test_a_report_taken_for_a_caller_is_rated_after_calling_them(world, api, dept_users):
    """The staff member who entered a caller's report is its reporter account, not the one
    whose problem it was: they rate it only with the follow-up call."""
    community = world.users["community"]
    ev = closed_event(
        world, dept_users, community, area=world.grid, source="phone", reporter_name="李大爷"
    )
    with travel(RATED):
        r = go(api, community, ev, rating="satisfied")
        assert r.status_code == 422 and set(r.json()["errors"]) == {
            "call_date",
            "callee",
            "call_note",
        }
        unchanged(ev)
        r = go(api, community, ev, rating="satisfied", **{**CALL, "callee": "李大爷"})
    assert r.status_code == 200, r.content


def test_follow_up_fields_belong_to_the_rating_only(world, api, dept_users):
    actors = Actors(world, dept_users)
    with travel(REPORTED):
        ev = report(world.users["resident"], "小区东门垃圾堆积发臭，无人清运")
        r = api.post(
            world.users["street"],
            f"/api/v1/cases/{ev.pk}/transitions",
            {"action": "open", **CALL},
        )
    assert r.status_code == 422 and r.json()["errors"]["call_date"] == ["只有评价需要填写回访记录"]
    ev.refresh_from_db()
    assert ev.state == "collected"
    actors.do(ev, "open")


# --- the console and the phone ------------------------------------------------------------------


def test_console_rating_by_staff_with_the_call(client, world, dept_users):
    ev = closed_event(world, dept_users, world.users["resident"])
    client.force_login(world.users["street"])
    with travel(RATED):
        page = client.get(f"/cases/{ev.pk}/").content.decode()
        assert 'id="move-evaluate"' in page and 'name="call_date"' in page
        assert 'name="callee"' in page and 'name="call_note"' in page
        r = client.post(
            f"/cases/{ev.pk}/transition/", {"action": "evaluate", "rating": "satisfied"}
        )
        assert r.status_code == 422
        assert "工作人员代为评价须填写回访日期" in r.content.decode()
        unchanged(ev)
        r = client.post(
            f"/cases/{ev.pk}/transition/",
            {"action": "evaluate", "rating": "satisfied", **CALL},
        )
        assert r.status_code == 302
        page = client.get(f"/cases/{ev.pk}/").content.decode()
    ev.refresh_from_db()
    assert (ev.state, ev.rating) == ("evaluated", "satisfied")
    assert EventStep.objects.get(event=ev, action="evaluate").data["follow_up"] == CALL
    assert "回访记录：2026-03-09 回访王阿姨，电话回访，对处理结果满意" in page


def test_console_rating_of_ones_own_patrol_report_shows_no_call_fields(client, world, dept_users):
    ev = closed_event(world, dept_users, world.users["grid"])
    client.force_login(world.users["grid"])
    with travel(RATED):
        page = client.get(f"/cases/{ev.pk}/").content.decode()
        form = page.split('id="move-evaluate"', 1)[1].split("</form>", 1)[0]
        assert 'name="rating"' in form and 'name="call_date"' not in form
        r = client.post(f"/cases/{ev.pk}/transition/", {"action": "evaluate", "rating": "basic"})
    assert r.status_code == 302
    ev.refresh_from_db()
    assert ev.rating == "basic"


def test_phone_rating_form_has_radio_buttons_and_a_member_rates(client, world, dept_users):
    member = world.users["member"]
    ev = closed_event(world, dept_users, member)
    client.force_login(member)
    with travel(RATED):
        page = client.get(f"/m/cases/{ev.pk}/").content.decode()
        assert 'id="rate"' in page
        for stars in "54321":
            assert f'type="radio" name="rating" value="{stars}"' in page
        assert 'name="call_date"' not in page  # the reporter's own rating
        assert "待评价" in client.get("/m/cases/").content.decode()
        r = client.post(f"/m/cases/{ev.pk}/rate/", {})
        assert r.status_code == 422 and "请选择评分" in r.content.decode()
        unchanged(ev)
        r = client.post(f"/m/cases/{ev.pk}/rate/", {"rating": "4", "note": "很快"})
        assert r.status_code == 302
        assert "待评价" not in client.get("/m/cases/").content.decode()
    ev.refresh_from_db()
    assert (ev.state, ev.rating) == ("evaluated", "satisfied")
    assert EventStep.objects.get(event=ev, action="evaluate").note == "评分4分：很快"


def test_phone_rating_by_staff_asks_for_the_call(client, world, dept_users):
    ev = closed_event(world, dept_users, world.users["resident"])
    client.force_login(world.users["community"])
    with travel(RATED):
        page = client.get(f"/m/cases/{ev.pk}/").content.decode()
        assert 'name="call_date"' in page and "须填写回访记录" in page
        r = client.post(f"/m/cases/{ev.pk}/rate/", {"rating": "5"})
        assert r.status_code == 422 and "请填写回访对象" in r.content.decode()
        unchanged(ev)
        r = client.post(
            f"/m/cases/{ev.pk}/rate/",
            {"rating": "5", **CALL, "call_date": (RATED.date() - dt.timedelta(days=1)).isoformat()},
        )
    assert r.status_code == 302
    ev.refresh_from_db()
    assert ev.rating == "satisfied"
    assert EventStep.objects.get(event=ev, action="evaluate").data["follow_up"] == CALL


def test_a_call_date_that_does_not_parse_is_named(world, api, dept_users):
    ev = closed_event(world, dept_users, world.users["resident"])
    with travel(RATED):
        r = go(
            api, world.users["street"], ev, rating="satisfied", **{**CALL, "call_date": "3月9日"}
        )
    assert r.status_code == 422
    assert r.json()["errors"] == {"call_date": ["日期格式应为YYYY-MM-DD"]}
    unchanged(ev)
