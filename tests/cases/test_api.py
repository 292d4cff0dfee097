"""The API under /api/v1/cases/: the closed loop through one transitions route, refusals
(409, 403, 422, 404) that change nothing, department routing, escalation, scope, lists."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import Department
from dangjian.cases.models import Event, EventStep
from dangjian.core.models import AuditEntry
from tests.cases.helpers import at, department_user, report

pytestmark = pytest.mark.django_db
ISO_SH = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


def go(api, user, event_id, action, **fields):
    return api.post(user, f"/api/v1/cases/{event_id}/transitions", {"action": action, **fields})


def test_the_closed_loop_through_the_api(world, api, depts, dept_users):
    street, resident = world.users["street"], world.resident
    sanitation = dept_users[depts["环卫所"].pk]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        r = api.post(
            resident,
            "/api/v1/cases/",
            {"description": "小区东门垃圾堆积，发臭严重", "place": "东门岗亭旁"},
        )
        assert r.status_code == 200, r.content
        ev = r.json()
        assert (ev["state"], ev["state_label"]) == ("collected", "已采集")
        assert (ev["class_code"], ev["class_label"], ev["class_source"]) == (
            "environment",
            "市容环境",
            "suggested",
        )
        assert ev["sla_status"] == "not_started" and ev["deadline"] is None
        assert ISO_SH.match(ev["reported_at"])
        assert ev["dispatch_area_name"] == "龙桥街道" and ev["grid_name"] == "龙桥社区第一网格"
        assert ev["actions"] == []  # the resident makes no move yet
        eid = ev["id"]
        detail = api.get(street, f"/api/v1/cases/{eid}").json()
        assert [a["code"] for a in detail["actions"]] == ["open", "cancel"]
    with time_machine.travel(at(2025, 6, 10, 10, 0), tick=False):
        api._tokens.clear()  # tokens last 12 hours: one per stretch of time
        assert go(api, street, eid, "open").json()["state"] == "opened"
        r = go(api, street, eid, "dispatch", note="请尽快清运")
        assert r.status_code == 200, r.content
        ev = r.json()
        assert (ev["state"], ev["department_name"], ev["limit_label"]) == (
            "dispatched",
            "环卫所",
            "3个工作日",
        )
        assert ev["deadline"] == "2025-06-13T18:00:00+08:00" and ev["sla_status"] == "normal"
        assert [
            a["code"] for a in api.get(sanitation, f"/api/v1/cases/{eid}").json()["actions"]
        ] == [
            "accept",
            "return",
        ]
    with time_machine.travel(at(2025, 6, 10, 11, 0), tick=False):
        assert go(api, sanitation, eid, "accept").json()["state"] == "handling"
    with time_machine.travel(at(2025, 6, 11, 16, 0), tick=False):
        api._tokens.clear()
        r = go(api, sanitation, eid, "finish", note="已清运完毕")
        assert r.json()["state"] == "handled" and r.json()["on_time"] is True
        r = go(api, street, eid, "verify_fail", note="东门仍有垃圾")
        assert r.json()["state"] == "handling" and r.json()["on_time"] is None
        go(api, sanitation, eid, "finish", note="已彻底清理")
        r = go(
            api,
            world.users["community"],
            eid,
            "verify_pass",
            note="现场核查已清理",
            resolution="solved",
        )
        assert r.status_code == 200 and r.json()["state"] == "closed"
        r = go(api, resident, eid, "evaluate", rating="satisfied", note="很及时")
        assert r.status_code == 200, r.content
        ev = r.json()
        # The resident reads the reporter's view: no staff names, the public notes only.
        assert [(h["action"], h["actor_name"], h["note"]) for h in ev["history"]] == [
            ("collect", "t-resident", ""),
            ("open", "工作人员", ""),
            ("dispatch", "工作人员", ""),
            ("accept", "工作人员", ""),
            ("finish", "工作人员", "已清运完毕"),
            ("verify_fail", "工作人员", ""),
            ("finish", "工作人员", "已彻底清理"),
            ("verify_pass", "工作人员", "现场核查已清理"),
            ("evaluate", "t-resident", "很及时"),
        ]
        ev = api.get(street, f"/api/v1/cases/{eid}").json()
    assert (ev["state"], ev["rating_label"], ev["sla_status"]) == ("evaluated", "满意", "met")
    history = [(h["action"], h["to_state"], h["actor_name"]) for h in ev["history"]]
    assert history == [
        ("collect", "collected", "t-resident"),
        ("open", "opened", "t-street"),
        ("dispatch", "dispatched", "t-street"),
        ("accept", "handling", "t-dept-0"),
        ("finish", "handled", "t-dept-0"),
        ("verify_fail", "handling", "t-street"),
        ("finish", "handled", "t-dept-0"),
        ("verify_pass", "closed", "t-community"),
        ("evaluate", "evaluated", "t-resident"),
    ]
    assert ev["history"][2]["note"] == "请尽快清运"
    assert ev["history"][2]["deadline"] == "2025-06-13T18:00:00+08:00"
    assert ev["history"][4]["sla_status_label"] == "正常"
    assert all(ISO_SH.match(h["at"]) for h in ev["history"])
    # Reopened after closure: back to dispatch, counted.
    api._tokens.clear()
    r = go(api, street, eid, "reopen", note="群众反映又堆积了")
    assert r.json()["state"] == "opened" and r.json()["reopen_count"] == 1
    assert r.json()["rating"] == "" and r.json()["closed_at"] is None


def test_refusals_change_nothing(world, api, depts, dept_users):
    street, resident = world.users["street"], world.resident
    sanitation = dept_users[depts["环卫所"].pk]
    eid = report(resident).pk

    def unchanged():
        return (
            Event.objects.filter(pk=eid).values().get(),
            EventStep.objects.count(),
            AuditEntry.objects.filter(action__startswith="event.").count(),
        )

    before = unchanged()
    r = go(api, street, eid, "accept")
    assert r.status_code == 409 and r.json()["detail"] == "当前状态为“已采集”，不能执行“签收”"
    r = go(api, street, eid, "fly")
    assert r.status_code == 422 and "open（立案）" in r.json()["errors"]["action"][0]
    r = go(api, resident, eid, "open")
    assert r.status_code == 403 and "派遣层级（龙桥街道）" in r.json()["detail"]
    r = go(api, sanitation, eid, "open")  # not dispatched to it: not visible at all
    assert r.status_code == 404 and r.json() == {"detail": "未找到"}
    r = go(api, street, eid, "cancel")
    assert r.status_code == 422 and r.json()["errors"]["note"] == ["请填写不予立案的理由"]
    r = go(api, street, eid, "open", class_code="no_such")
    assert r.status_code == 422 and "no_such" in r.json()["errors"]["class_code"][0]
    r = go(api, street, eid, "open", rating="satisfied", extension_days=3)
    assert r.status_code == 422 and set(r.json()["errors"]) == {"rating", "extension_days"}
    r = go(api, world.users["street3"], eid, "open")
    assert r.status_code == 404
    assert unchanged() == before
    go(api, street, eid, "open")
    go(api, street, eid, "dispatch")
    r = go(api, street, eid, "accept")
    assert r.status_code == 403 and r.json()["detail"] == "只有承办部门可以执行“签收”"
    r = go(api, sanitation, eid, "return")
    assert r.status_code == 422 and r.json()["errors"]["note"] == ["请填写退单理由"]
    r = go(api, sanitation, eid, "return", note="应由市政所处理")
    assert r.status_code == 200 and r.json()["state"] == "returned"
    assert r.json()["sla_status"] == "stopped"
    # The returning department still sees the event until it is dispatched elsewhere.
    assert api.get(sanitation, f"/api/v1/cases/{eid}").status_code == 200
    r = go(api, street, eid, "redispatch", department_id=depts["市政所"].pk)
    assert r.json()["department_name"] == "市政所"
    assert api.get(sanitation, f"/api/v1/cases/{eid}").status_code == 404


def test_department_routing(world, api, depts):
    street = world.users["street"]
    # 施工管理 → 住建局, which only the county has: the nearest above the street.
    ev = report(world.users["grid"], "工地夜间施工噪音扰民，扬尘也很大")
    assert ev.event_class.code == "construction"
    go(api, street, ev.pk, "open")
    r = go(api, street, ev.pk, "dispatch")
    assert r.json()["department_name"] == "住建局"
    assert r.json()["department_id"] == depts["住建局"].pk
    # No department of that name anywhere on the way: say so, name the field.
    ev2 = report(world.users["grid"], "有居民家里养的狗走丢了", class_code="other_facility")
    Department.objects.filter(name="综治中心").delete()
    go(api, street, ev2.pk, "open")
    r = go(api, street, ev2.pk, "dispatch")
    assert r.status_code == 422
    assert "综治中心" in r.json()["errors"]["department_id"][0]
    # A department of another county does not serve the event.
    far = Department.objects.create(
        name="综治中心", area=world.street3, area_path=world.street3.path
    )
    r = go(api, street, ev2.pk, "dispatch", department_id=far.pk)
    assert r.status_code == 422 and "不服务于事件所在区域" in r.json()["errors"]["department_id"][0]
    near = Department.objects.create(
        name="社区服务站", area=world.community, area_path=world.community.path
    )
    r = go(api, street, ev2.pk, "dispatch", department_id=near.pk, class_code="other_event")
    assert r.status_code == 200 and r.json()["department_name"] == "社区服务站"
    assert (r.json()["class_code"], r.json()["class_source"]) == ("other_event", "dispatcher")


def test_escalation_moves_the_dispatching_level_up(world, api, depts):
    street, county = world.users["street"], world.users["county"]
    ev = report(world.users["grid"], "小区门口垃圾堆积发臭")
    go(api, street, ev.pk, "open")
    r = go(api, street, ev.pk, "escalate", note="涉及多个街道，需区里协调")
    assert r.json()["state"] == "escalated" and r.json()["dispatch_area_name"] == "城厢区"
    r = go(api, street, ev.pk, "dispatch")
    assert r.status_code == 403 and "派遣层级（城厢区）" in r.json()["detail"]
    county_sanitation = Department.objects.create(
        name="环卫所", area=world.county, area_path=world.county.path
    )
    r = go(api, county, ev.pk, "dispatch")
    assert r.status_code == 200 and r.json()["department_id"] == county_sanitation.pk
    go(api, county, ev.pk, "escalate", note="需市里协调")
    r = go(api, world.users["city"], ev.pk, "escalate", note="再上报")
    assert r.status_code == 409 and "已是最高层级" in r.json()["detail"]


def test_scope_department_resident_and_other_street(world, api, depts, dept_users):
    street = world.users["street"]
    sanitation, works = dept_users[depts["环卫所"].pk], dept_users[depts["市政所"].pk]
    mine = report(world.resident, "小区东门垃圾堆积发臭")
    theirs = report(world.users["member"], "北门井盖缺失很危险")
    patrol = report(world.users["grid"], "菜市场门口流动摊贩占道经营")
    for ev in (mine, theirs):
        go(api, street, ev.pk, "open")
        go(api, street, ev.pk, "dispatch")

    def ids(user, **params):
        r = api.get(user, "/api/v1/cases/", **params)
        assert r.status_code == 200, r.content
        return [i["id"] for i in r.json()["items"]]

    assert ids(street) == [patrol.pk, theirs.pk, mine.pk]
    assert ids(sanitation) == [mine.pk]
    assert ids(works) == [theirs.pk]
    assert ids(world.resident) == [mine.pk]
    assert ids(world.users["member"]) == [theirs.pk]
    assert ids(world.users["street3"]) == []
    assert api.get(sanitation, f"/api/v1/cases/{theirs.pk}").status_code == 404
    assert api.get(world.resident, f"/api/v1/cases/{theirs.pk}").status_code == 404
    r = api.get(world.users["street3"], f"/api/v1/cases/{mine.pk}")
    assert r.status_code == 404 and r.json() == {"detail": "未找到"}
    # filters
    assert ids(street, state="dispatched") == [theirs.pk, mine.pk]
    assert ids(street, state="collected,opened") == [patrol.pk]
    assert ids(street, class_code="street_order") == [patrol.pk]
    assert ids(street, department=depts["市政所"].pk) == [theirs.pk]
    assert ids(street, q="井盖") == [theirs.pk]
    assert ids(street, area=world.grid.pk) == [patrol.pk, theirs.pk, mine.pk]
    assert ids(street, area=world.grid2.pk) == []
    assert ids(world.resident, mine=True) == [mine.pk]
    assert ids(street, sla="normal") == [theirs.pk, mine.pk]
    assert ids(street, sla="overdue") == []
    r = api.get(street, "/api/v1/cases/", state="nonsense")
    assert r.status_code == 422 and "nonsense" in r.json()["errors"]["state"][0]
    r = api.get(street, "/api/v1/cases/", sla="late")
    assert r.status_code == 422 and "sla" in r.json()["errors"]
    assert api.get(world.users["street3"], "/api/v1/cases/", area=world.grid.pk).status_code == 404


def test_the_list_costs_the_same_for_5_and_30_events(world, api, depts):
    street = world.users["street"]
    grid_worker = world.users["grid"]

    def add(n, start):
        for i in range(start, start + n):
            ev = report(grid_worker, f"第{i}号楼门口井盖缺失，位置在{i}单元旁")
            if i % 2:
                go(api, street, ev.pk, "open")
                go(api, street, ev.pk, "dispatch")

    def count():
        api.get(street, "/api/v1/cases/")  # token issued, grants cached per request anyway
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(street, "/api/v1/cases/", page_size=50)
        assert r.status_code == 200
        return len(ctx.captured_queries), r.json()["count"]

    add(5, 0)
    few, n = count()
    assert n == 5
    add(25, 5)
    many, n = count()
    assert n == 30
    assert few == many, (few, many)


def test_classes_and_the_draft_check_need_a_login(world, api, client):
    r = api.get(world.resident, "/api/v1/cases/classes")
    assert r.status_code == 200
    codes = [c["code"] for c in r.json()]
    assert codes[:6] == [
        "environment",
        "advertising",
        "construction",
        "emergency",
        "street_order",
        "other_event",
    ]
    emergency = next(c for c in r.json() if c["code"] == "emergency")
    assert (emergency["limit_label"], emergency["department_name"]) == ("当日办结", "应急办")
    assert client.get("/api/v1/cases/classes").status_code == 401
    r = api.post(world.resident, "/api/v1/cases/duplicates", {"description": ""})
    assert r.status_code == 422 and r.json()["errors"]["description"] == ["请填写事件描述"]
    r = api.post(world.resident, "/api/v1/cases/", {"description": "脏"})
    assert r.status_code == 422 and "不能少于5个字" in r.json()["errors"]["description"][0]
    r = api.post(world.resident, "/api/v1/cases/", {"description": "垃圾" * 501})
    assert r.status_code == 422 and "不能超过1000个字" in r.json()["errors"]["description"][0]
    r = api.post(world.resident, "/api/v1/cases/", {"description": "井盖\x00缺失很危险"})
    assert r.status_code == 200 and r.json()["description"] == "井盖缺失很危险"


def test_a_department_user_in_a_subordinate_role_cannot_report(world, api, depts):
    u = department_user("t-dept-x", depts["市政所"])
    r = api.post(u, "/api/v1/cases/", {"description": "井盖缺失很危险"})
    assert r.status_code == 403 and r.json()["detail"] == "您没有上报事件的权限"
