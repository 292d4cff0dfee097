"""Console pages of the grid event closed loop: the list and its filters, the event page with
the moves the user may make (through the one transition service), the department's inbox,
the taxonomy, the metrics and their export; 404 out of scope, query counts pinned."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.cases.models import EventAttachment, EventClass, EventStep
from dangjian.core.models import AuditEntry
from tests.cases.helpers import at, move, report

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def login(client, user):
    client.force_login(user)
    return client


def post_move(client, event, action, **fields):
    return client.post(f"/cases/{event.pk}/transition/", {"action": action, **fields})


@pytest.fixture
def events(world, depts):
    """Three reports in the first street (one dispatched to 环卫所) and one in the other
    county, reported on different days."""
    street = world.users["street"]
    with time_machine.travel(at(2025, 6, 9, 9, 0), tick=False):
        a = report(world.users["grid"], "小区东门垃圾堆积发臭，无人清运")
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        b = report(world.users["resident"], "路灯不亮了，晚上出行很不方便", class_code="")
        c = report(world.users["grid"], "楼道里堆满杂物，存在消防安全隐患")
        move(street, a, "open")
        move(street, a, "dispatch", department=depts["环卫所"])
    other = report(
        world.users["admin"],
        "越界探针：镇海街道的井盖丢失了",
        area=_grid_in_street3(world),
    )
    return {"a": a, "b": b, "c": c, "other": other}


def _grid_in_street3(world):
    from dangjian.territory.models import AreaKind
    from tests.world import area

    community = area(world.nodes["street3"], "镇海社区", AreaKind.COMMUNITY)
    return area(community, "镇海社区第一网格", AreaKind.GRID)


# --- menu and list --------------------------------------------------------------------------------


def test_menu_links_the_module(client, world):
    r = login(client, world.users["street"]).get("/")
    assert r.status_code == 200
    assert 'href="/cases/"' in r.content.decode()


def test_list_shows_the_subtree_only(client, world, events):
    r = login(client, world.users["street"]).get("/cases/")
    body = r.content.decode()
    assert r.status_code == 200
    for key in ("a", "b", "c"):
        assert f'data-event="{events[key].pk}"' in body
    assert f'data-event="{events["other"].pk}"' not in body
    assert "越界探针" not in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=dispatched", {"a"}),
        ("state=collected", {"b", "c"}),
        ("class_code=environment", {"a"}),
        ("q=路灯", {"b"}),
        ("sla=normal", {"a"}),
        ("sla=overdue", set()),
        ("date_from=2025-06-10", {"b", "c"}),
        ("date_to=2025-06-09", {"a"}),
        ("date_from=2025-06-09&date_to=2025-06-09", {"a"}),
    ],
)
def test_list_filters(client, world, events, query, expected):
    with time_machine.travel(at(2025, 6, 10, 10, 0), tick=False):
        r = login(client, world.users["street"]).get(f"/cases/?{query}")
    body = r.content.decode()
    shown = {k for k in ("a", "b", "c") if f'data-event="{events[k].pk}"' in body}
    assert shown == expected


def test_list_filter_by_department_and_area(client, world, events, depts):
    c = login(client, world.users["street"])
    body = c.get(f"/cases/?department={depts['环卫所'].pk}").content.decode()
    assert f'data-event="{events["a"].pk}"' in body
    assert f'data-event="{events["b"].pk}"' not in body
    body = c.get(f"/cases/?area={world.nodes['community'].pk}").content.decode()
    assert all(f'data-event="{events[k].pk}"' in body for k in ("a", "b", "c"))
    body = c.get(f"/cases/?area={world.nodes['grid'].pk}").content.decode()
    assert all(f'data-event="{events[k].pk}"' in body for k in ("a", "b", "c"))
    body = c.get(f"/cases/?area={world.nodes['grid2'].pk}").content.decode()
    assert not any(f'data-event="{events[k].pk}"' in body for k in ("a", "b", "c"))
    # an area the user may not see reads 404 (凤山社区 is in the other street)
    assert c.get(f"/cases/?area={world.nodes['community2'].pk}").status_code == 404


def test_list_bad_filters_are_named(client, world, events):
    c = login(client, world.users["street"])
    r = c.get("/cases/?date_from=2025-06-10&date_to=2025-06-01")
    assert r.status_code == 200
    assert "结束日期不能早于开始日期" in r.content.decode()
    r = c.get("/cases/?state=nonsense")
    assert "选择一个有效的选项" in r.content.decode() or "有效" in r.content.decode()


def test_list_paginates_and_query_count_is_flat(client, world, depts):
    street = world.users["street"]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        for i in range(25):
            ev = report(world.users["grid"], f"第{i}号楼门口垃圾堆积发臭{i}次", place=f"{i}号楼")
            if i % 2:
                move(street, ev, "open")
                move(street, ev, "dispatch", department=depts["环卫所"])
    c = login(client, street)
    c.get("/cases/")  # warm the session and caches
    with CaptureQueriesContext(connection) as first:
        r = c.get("/cases/")
    assert r.content.decode().count("data-event=") == 20
    assert "共 25 条" in r.content.decode()
    with time_machine.travel(at(2025, 6, 10, 10, 0), tick=False):
        for i in range(10):
            report(world.users["grid"], f"新增第{i}处井盖缺失，车辆通行危险", place=f"路口{i}")
    with CaptureQueriesContext(connection) as second:
        r2 = c.get("/cases/?page=2")
    assert r2.status_code == 200
    assert len(second) <= len(first) <= 16, [q["sql"] for q in first.captured_queries]


def test_other_county_reads_404(client, world, events):
    c = login(client, world.users["street3"])
    ev = events["a"]
    ev.refresh_from_db()
    assert c.get(f"/cases/{ev.pk}/").status_code == 404
    before = ev.state
    r = post_move(c, ev, "accept")
    assert r.status_code == 404
    ev.refresh_from_db()
    assert ev.state == before
    r = c.post(f"/cases/{ev.pk}/attachments/", {"file": png()})
    assert r.status_code == 404
    assert not EventAttachment.objects.exists()


# --- the event page and its moves -----------------------------------------------------------------


def test_event_page_shows_history_and_the_moves_allowed(client, world, events):
    ev = events["b"]
    body = login(client, world.users["street"]).get(f"/cases/{ev.pk}/").content.decode()
    assert "路灯不亮了" in body
    assert 'id="move-open"' in body and 'id="move-cancel"' in body
    assert 'id="move-dispatch"' not in body
    assert "采集上报" in body and "未计时" in body
    assert 'id="suggestion"' in body and "置信度" in body
    # the reporter, a resident, reads the page of their own report without any move
    body = login(client, world.users["resident"]).get(f"/cases/{ev.pk}/").content.decode()
    assert 'id="move-' not in body


def test_the_closed_loop_through_the_forms(client, world, events, depts, dept_users):
    street = world.users["street"]
    dept = dept_users[depts["环卫所"].pk]
    ev = events["c"]
    with time_machine.travel(at(2025, 6, 10, 10, 0), tick=False):
        c = login(client, street)
        r = post_move(c, ev, "open", class_code="environment")
        assert r.status_code == 302, r.content.decode()[:500]
        r = post_move(c, ev, "dispatch", department_id=str(depts["环卫所"].pk), note="请清理")
        assert r.status_code == 302
        ev.refresh_from_db()
        assert (ev.state, ev.department_id) == ("dispatched", depts["环卫所"].pk)

        c = login(client, dept)
        inbox = c.get("/cases/inbox/").content.decode()
        assert f'data-event="{ev.pk}"' in inbox
        page = c.get(f"/cases/{ev.pk}/").content.decode()
        assert 'id="move-accept"' in page and 'id="move-return"' in page
        assert post_move(c, ev, "accept").status_code == 302
        # the extension form asks one question, in the unit of the event's own time limit
        page = c.get(f"/cases/{ev.pk}/").content.decode()
        form = page.split('id="move-request_extension"')[1].split("</form>")[0]
        ev.refresh_from_db()
        asked = "extension_hours" if ev.limit_unit == "workhours" else "extension_days"
        other = "extension_days" if asked == "extension_hours" else "extension_hours"
        assert f'name="{asked}"' in form and f'name="{other}"' not in form
        r = post_move(c, ev, "request_extension", note="需协调物业", **{asked: "2"})
        assert r.status_code == 302
    with time_machine.travel(at(2025, 6, 10, 11, 0), tick=False):
        c = login(client, street)
        assert post_move(c, ev, "grant_extension").status_code == 302
        c = login(client, dept)
        r = c.post(
            f"/cases/{ev.pk}/transition/",
            {"action": "finish", "note": "已清理完毕", "photos": [png("a.png"), png("b.png")]},
        )
        assert r.status_code == 302, r.content.decode()[:800]
        ev.refresh_from_db()
        assert ev.state == "handled"
        finish = EventStep.objects.get(event=ev, action="finish")
        assert EventAttachment.objects.filter(event=ev, step=finish, stage="handling").count() == 2
        c = login(client, street)
        page = c.get(f"/cases/{ev.pk}/").content.decode()
        assert "处置照片" in page and 'id="move-verify_pass"' in page
        assert post_move(c, ev, "verify_pass", resolution="solved").status_code == 302
    ev.refresh_from_db()
    assert ev.state == "closed"
    actions = list(EventStep.objects.filter(event=ev).values_list("action", flat=True))
    assert actions == [
        "collect",
        "open",
        "dispatch",
        "accept",
        "request_extension",
        "grant_extension",
        "finish",
        "verify_pass",
    ]
    assert AuditEntry.objects.filter(action="event.verify_pass", object_id=str(ev.pk)).exists()


def test_return_needs_a_reason_and_changes_nothing_without_one(
    client, world, events, depts, dept_users
):
    ev = events["a"]
    c = login(client, dept_users[depts["环卫所"].pk])
    r = post_move(c, ev, "return", note="")
    assert r.status_code == 422
    assert "请填写退单理由" in r.content.decode()
    ev.refresh_from_db()
    assert ev.state == "dispatched"
    r = post_move(c, ev, "return", note="不属于本部门职责")
    assert r.status_code == 302
    ev.refresh_from_db()
    assert (ev.state, ev.return_count) == ("returned", 1)


def test_a_move_the_state_does_not_allow_is_409(client, world, events):
    ev = events["b"]
    r = post_move(login(client, world.users["street"]), ev, "verify_pass")
    assert r.status_code == 409
    assert "当前状态为“已采集”" in r.content.decode()
    ev.refresh_from_db()
    assert ev.state == "collected"


def test_a_move_not_the_users_is_403(client, world, events, depts, dept_users):
    ev = events["b"]
    move(world.users["street"], ev, "open")
    r = post_move(login(client, world.users["community"]), ev, "dispatch")
    assert r.status_code == 403
    ev.refresh_from_db()
    assert ev.state == "opened"


def test_finish_with_a_bad_photo_refuses_the_move(client, world, events, depts, dept_users):
    ev = events["a"]
    c = login(client, dept_users[depts["环卫所"].pk])
    post_move(c, ev, "accept")
    bad = SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image", content_type="image/png")
    r = c.post(
        f"/cases/{ev.pk}/transition/",
        {"action": "finish", "note": "已处理", "photos": [png(), bad]},
    )
    assert r.status_code == 422
    assert "文件类型不符" in r.content.decode()
    ev.refresh_from_db()
    assert ev.state == "handling"
    assert not EventAttachment.objects.exists()
    assert not EventStep.objects.filter(event=ev, action="finish").exists()


def test_photos_on_the_event_page(client, world, events):
    ev = events["b"]
    c = login(client, world.users["street"])
    r = c.post(f"/cases/{ev.pk}/attachments/", {"file": [png()]})
    assert r.status_code == 302
    att = EventAttachment.objects.get(event=ev)
    assert att.stage == "other"
    r = c.get(f"/cases/{ev.pk}/attachments/{att.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content) == PNG
    assert (
        login(client, world.users["street3"])
        .get(f"/cases/{ev.pk}/attachments/{att.pk}/")
        .status_code
        == 404
    )


def test_event_page_masks_the_reporter_s_phone(client, world):
    ev = report(world.users["grid"], "路口井盖丢失，车辆通行危险", reporter_phone="13912345678")
    body = login(client, world.users["street"]).get(f"/cases/{ev.pk}/").content.decode()
    assert "139****5678" in body and "13912345678" not in body


# --- the inbox ------------------------------------------------------------------------------------


def test_inbox_is_for_departments(client, world, events):
    r = login(client, world.users["grid"]).get("/cases/inbox/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "不属于职能部门" in body and f'data-event="{events["a"].pk}"' not in body


def test_inbox_boxes_and_query_count(client, world, depts, dept_users):
    street = world.users["street"]
    dept = dept_users[depts["环卫所"].pk]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        evs = []
        for i in range(8):
            ev = report(world.users["grid"], f"第{i}栋楼下垃圾桶满溢发臭{i}", place=f"{i}栋")
            move(street, ev, "open")
            move(street, ev, "dispatch", department=depts["环卫所"])
            evs.append(ev)
        for ev in evs[:3]:
            move(dept, ev, "accept")
    c = login(client, dept)
    c.get("/cases/inbox/")
    with CaptureQueriesContext(connection) as q:
        body = c.get("/cases/inbox/").content.decode()
    assert body.count("data-event=") == 5
    assert "待签收（5）" in body and "处置中（3）" in body
    assert len(q) <= 12, [x["sql"] for x in q.captured_queries]
    body = c.get("/cases/inbox/?box=doing").content.decode()
    assert body.count("data-event=") == 3


# --- the taxonomy ---------------------------------------------------------------------------------


def test_city_staff_edit_a_class(client, world):
    klass = EventClass.objects.get(code="environment")
    c = login(client, world.users["city"])
    page = c.get("/cases/classes/").content.decode()
    assert "市容环境" in page and "修改“市容环境”" in page
    prefix = f"c{klass.pk}"
    data = {
        "class_id": klass.pk,
        f"{prefix}-name": "市容环境",
        f"{prefix}-kind": "event",
        f"{prefix}-department_name": "城管执法中队",
        f"{prefix}-limit_value": "8",
        f"{prefix}-limit_unit": "workhours",
        f"{prefix}-keywords": "垃圾 乱堆 发臭",
        f"{prefix}-active": "on",
        f"{prefix}-sort": "1",
    }
    r = c.post("/cases/classes/", data)
    assert r.status_code == 302
    klass.refresh_from_db()
    assert (klass.limit_value, klass.limit_unit, klass.department_name) == (
        8,
        "workhours",
        "城管执法中队",
    )
    assert klass.keywords == ["垃圾", "乱堆", "发臭"]
    data[f"{prefix}-limit_value"] = "0"
    r = c.post("/cases/classes/", data)
    assert r.status_code == 422
    assert "处置时限应为1到480之间的整数" in r.content.decode()
    klass.refresh_from_db()
    assert klass.limit_value == 8


def test_city_staff_add_a_class(client, world):
    c = login(client, world.users["city"])
    r = c.post(
        "/cases/classes/",
        {
            "new-code": "epidemic",
            "new-name": "疫情防控",
            "new-kind": "event",
            "new-department_name": "卫健办",
            "new-limit_value": "1",
            "new-limit_unit": "workdays",
            "new-keywords": "疫情，核酸",
            "new-active": "on",
        },
    )
    assert r.status_code == 302
    assert EventClass.objects.get(code="epidemic").keywords == ["疫情", "核酸"]


def test_street_staff_read_but_may_not_edit_classes(client, world):
    klass = EventClass.objects.get(code="environment")
    c = login(client, world.users["street"])
    page = c.get("/cases/classes/").content.decode()
    assert "市容环境" in page and "修改“" not in page
    r = c.post("/cases/classes/", {"class_id": klass.pk, f"c{klass.pk}-limit_value": "9"})
    assert r.status_code == 403
    klass.refresh_from_db()
    assert klass.limit_value != 9


# --- metrics --------------------------------------------------------------------------------------


def test_metrics_page_and_export(client, world, events, depts):
    c = login(client, world.users["street"])
    r = c.get(f"/cases/metrics/?area={world.nodes['community'].pk}&date_from=2025-06-01")
    body = r.content.decode()
    assert r.status_code == 200
    assert 'id="metrics-total"' in body and "龙桥社区" in body and "环卫所" in body
    url = f"/cases/metrics/export/?area={world.nodes['community'].pk}&date_from=2025-06-01"
    assert f'action="{url.replace("&", "&amp;")}"' in body  # the page's form posts the filters
    assert c.get(url).status_code == 405  # a link or an image cannot start an export
    assert not AuditEntry.objects.filter(action="cases.metrics_export").exists()
    r = c.post(url)
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    from dangjian.core.excel import read_rows

    rows = read_rows(r.content)
    assert rows[0].values[:3] == ("分组", "名称", "立案数")
    assert rows[1].values[0] == "合计" and rows[1].values[1] == "龙桥社区"
    assert int(rows[1].values[2]) == 1
    entry = AuditEntry.objects.get(action="cases.metrics_export")
    assert entry.actor_id == world.users["street"].pk
    assert entry.area_path == world.nodes["community"].path


def test_metrics_out_of_scope_area_is_404(client, world, events):
    c = login(client, world.users["street3"])
    assert c.get(f"/cases/metrics/?area={world.nodes['community'].pk}").status_code == 404
    r = c.post(f"/cases/metrics/export/?area={world.nodes['community'].pk}")
    assert r.status_code == 404
    assert not AuditEntry.objects.filter(action="cases.metrics_export").exists()


def test_metrics_bad_period(client, world):
    r = login(client, world.users["street"]).get(
        "/cases/metrics/?date_from=2025-06-10&date_to=2025-06-01"
    )
    assert "结束日期不能早于开始日期" in r.content.decode()
