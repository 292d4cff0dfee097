"""The reporter reads the same of their report wherever they read it: the public notes only,
no staff names, no internal notices or follow-up records (the API detail, the phone); and
residents and members have no console pages (sent to /m/), unless they also hold a staff
grant. Staff read the whole history."""

from __future__ import annotations

import pytest
import time_machine

from dangjian.accounts import services as accounts
from dangjian.cases import services
from dangjian.cases.models import Event
from tests.cases.helpers import Actors, at, report

pytestmark = pytest.mark.django_db

CALL = {"call_date": "2026-03-09", "callee": "王阿姨", "call_note": "电话回访内部情况"}


def travel(moment):
    return time_machine.travel(moment, tick=False)


def walked(world, dept_users, reporter) -> Event:
    """A report walked through dispatch (an internal note), a chase notice, a late finish
    (the overdue notice), verification and a staff rating after a follow-up call."""
    actors = Actors(world, dept_users)
    with travel(at(2026, 3, 2, 9, 0)):
        ev = report(reporter, "小区东门垃圾堆积发臭，无人清运")
        ev = actors.do(ev, "open")
        ev = actors.do(ev, "dispatch", note="内部：请环卫所优先处理")
        ev = actors.do(ev, "accept")
    with travel(at(2026, 3, 4, 10, 0)):
        ev = actors.do(ev, "chase", note="内部催办：抓紧")
    with travel(at(2026, 3, 6, 10, 0)):
        ev = actors.do(ev, "finish", note="已清运完毕")
        ev = actors.do(ev, "verify_pass", note="现场核查已清理")
    with travel(at(2026, 3, 10, 10, 0)):
        services.event_transition(
            actor=world.users["street"],
            event=ev,
            action="evaluate",
            rating="satisfied",
            note="回访满意",
            follow_up=CALL,
        )
    return ev


REPORTER_HISTORY = [
    ("collect", "own", ""),
    ("open", "工作人员", ""),
    ("dispatch", "工作人员", ""),
    ("accept", "工作人员", ""),
    ("chase", "工作人员", ""),
    ("finish", "工作人员", "已清运完毕"),
    ("verify_pass", "工作人员", "现场核查已清理"),
    ("evaluate", "工作人员", "回访满意"),
]


@pytest.mark.parametrize("who", ["resident", "member"])
def test_the_reporter_reads_only_the_public_view_through_the_api(world, api, dept_users, who):
    reporter = world.users[who]
    ev = walked(world, dept_users, reporter)
    detail = api.get(reporter, f"/api/v1/cases/{ev.pk}").json()
    expected = [
        (a, reporter.username if n == "own" else n, note) for a, n, note in REPORTER_HISTORY
    ]
    assert [(h["action"], h["actor_name"], h["note"]) for h in detail["history"]] == expected
    assert [h["follow_up"] for h in detail["history"]] == [None] * len(expected)
    assert detail["notices"] == []
    body = str(detail)
    for secret in ("t-street", "t-dept", "内部", "王阿姨"):
        assert secret not in body
    # Staff read the whole history: names, internal notes, notices, the call record.
    full = api.get(world.users["street"], f"/api/v1/cases/{ev.pk}").json()
    history = full["history"]
    assert [h["actor_name"] for h in history] == [
        reporter.username,
        "t-street",
        "t-street",
        "t-dept-0",
        "t-street",
        "t-dept-0",
        "t-street",
        "t-street",
    ]
    assert history[2]["note"] == "内部：请环卫所优先处理"
    assert history[4]["note"] == "内部催办：抓紧"
    assert history[-1]["follow_up"] == CALL
    assert [n["kind"] for n in full["notices"]] == ["manual", "overdue"]


@pytest.mark.parametrize("who", ["resident", "member"])
def test_the_phone_shows_the_same_public_notes(client, world, dept_users, who):
    reporter = world.users[who]
    ev = walked(world, dept_users, reporter)
    client.force_login(reporter)
    page = client.get(f"/m/cases/{ev.pk}/").content.decode()
    assert "已清运完毕" in page and "现场核查已清理" in page and "回访满意" in page
    for secret in ("t-street", "t-dept", "内部", "王阿姨"):
        assert secret not in page


@pytest.mark.parametrize("who", ["resident", "member"])
def test_residents_and_members_have_no_console_pages(client, world, dept_users, who):
    reporter = world.users[who]
    ev = walked(world, dept_users, reporter)
    client.force_login(reporter)
    for path in (f"/cases/{ev.pk}/", "/cases/", "/", "/members/", "/audit/"):
        r = client.get(path)
        assert (r.status_code, r["Location"]) == (302, "/m/"), path
    r = client.post(f"/cases/{ev.pk}/transition/", {"action": "evaluate", "rating": "basic"})
    assert (r.status_code, r["Location"]) == (302, "/m/")
    ev.refresh_from_db()
    assert ev.rating == "satisfied"  # nothing changed
    r = client.get("/cases/", headers={"HX-Request": "true"})
    assert r["HX-Redirect"] == "/m/"
    # their phone pages and their own account page stay open
    assert client.get("/m/").status_code == 200
    assert client.get(f"/m/cases/{ev.pk}/").status_code == 200
    assert client.get("/account/").status_code == 200


def test_a_member_who_also_works_as_a_grid_worker_uses_the_console(client, world, dept_users):
    member = world.users["member"]
    ev = walked(world, dept_users, member)
    accounts.grant_add(actor=None, user=member, role_code="grid_worker", area=world.grid)
    member.refresh_from_db()
    client.force_login(member)
    r = client.get(f"/cases/{ev.pk}/")
    assert r.status_code == 200
    page = r.content.decode()
    # Through the grid they see the event as staff: the whole history.
    assert "内部：请环卫所优先处理" in page and "t-street" in page and "王阿姨" in page


def test_staff_read_the_whole_history_in_the_console(client, world, dept_users):
    ev = walked(world, dept_users, world.users["resident"])
    client.force_login(world.users["street"])
    page = client.get(f"/cases/{ev.pk}/").content.decode()
    assert "内部：请环卫所优先处理" in page and "内部催办：抓紧" in page
    assert "t-dept-0" in page and "超期通报" in page and "回访王阿姨" in page


def test_a_grid_worker_reads_their_own_patrol_report_in_full(world, api, dept_users):
    """A grid worker sees their own report through their grid: not the reporter's view."""
    grid = world.users["grid"]
    ev = walked(world, dept_users, grid)
    detail = api.get(grid, f"/api/v1/cases/{ev.pk}").json()
    assert detail["history"][2]["note"] == "内部：请环卫所优先处理"
    assert detail["history"][1]["actor_name"] == "t-street"


def test_the_console_detail_shows_a_self_reach_reporter_the_same_view(client, world, dept_users):
    """A staff-kind account that reaches the event only as its reporter (a self-reach role)
    keeps the console, and reads there what the phone and the API show it."""
    from tests.world import user

    reporter = user("t-self", role="resident", home=world.unit)
    ev = walked(world, dept_users, reporter)
    client.force_login(reporter)
    r = client.get(f"/cases/{ev.pk}/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "已清运完毕" in page and "现场核查已清理" in page and "工作人员" in page
    for secret in ("t-street", "t-dept", "内部", "王阿姨", "超期通报"):
        assert secret not in page
