"""Mobile pages (/m/cases/): a grid worker's and a resident's report with photos and a
location, duplicates shown before submitting and "me too", my reports, rating a closed one."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.cases.models import Event, EventAttachment, EventMeToo, EventStep
from tests.cases.helpers import Actors, at, report

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[119.0, 25.4], [119.1, 25.4], [119.1, 25.5], [119.0, 25.5], [119.0, 25.4]]],
}


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def login(client, user):
    client.force_login(user)
    return client


def with_boundary(area):
    area.boundary = SQUARE
    area.min_lng, area.max_lng, area.min_lat, area.max_lat = 119.0, 119.1, 25.4, 25.5
    area.save()
    return area


def test_tiles_on_the_home_page(client, world):
    body = login(client, world.users["grid"]).get("/m/").content.decode()
    assert "上报事件" in body and "我的诉求" in body
    body = login(client, world.users["nobody"]).get("/m/").content.decode()
    assert "上报事件" not in body


def test_grid_worker_reports_with_photos_and_location(client, world):
    with_boundary(world.nodes["grid"])
    c = login(client, world.users["grid"])
    page = c.get("/m/cases/report/").content.decode()
    assert "龙桥社区第一网格" in page and "1号楼单元" in page and "使用当前位置" in page
    # the map of the grid: its box and polygon, for the grid and for its unit
    assert 'id="grid-shapes"' in page and '"bbox": [119.0, 25.4, 119.1, 25.5]' in page
    assert f'"{world.nodes["unit"].pk}": {{"name": ' in page
    r = c.post(
        "/m/cases/report/",
        {
            "area": world.nodes["unit"].pk,
            "class_code": "environment",
            "description": "1号楼门口垃圾堆积，已经发臭",
            "place": "1号楼东门",
            "lng": "119.05",
            "lat": "25.45",
            "photos": [png("a.png"), png("b.jpg")],
        },
    )
    assert r.status_code == 302, r.content.decode()[:1000]
    ev = Event.objects.get()
    assert r["Location"] == f"/m/cases/{ev.pk}/"
    assert (ev.area_id, ev.grid_id, ev.source, ev.lng) == (
        world.nodes["unit"].pk,
        world.nodes["grid"].pk,
        "patrol",
        119.05,
    )
    assert list(EventAttachment.objects.values_list("stage", flat=True)) == ["report", "report"]
    page = c.get(f"/m/cases/{ev.pk}/").content.decode()
    assert "已采集" in page and f"/api/v1/cases/{ev.pk}/attachments/" in page


def test_a_location_outside_the_grid_is_refused(client, world):
    with_boundary(world.nodes["grid"])
    c = login(client, world.users["grid"])
    r = c.post(
        "/m/cases/report/",
        {
            "description": "路口井盖丢失，车辆通行危险",
            "lng": "119.5",
            "lat": "25.45",
            "photos": [png()],
        },
    )
    assert r.status_code == 422
    assert "上报位置不在“龙桥社区第一网格”范围内" in r.content.decode()
    assert not Event.objects.exists() and not EventAttachment.objects.exists()


def test_a_bad_photo_refuses_the_whole_report(client, world):
    c = login(client, world.users["grid"])
    bad = SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    r = c.post("/m/cases/report/", {"description": "路口井盖丢失，车辆通行危险", "photos": [bad]})
    assert r.status_code == 422
    assert "文件类型不符" in r.content.decode()
    assert not Event.objects.exists()


def test_report_errors_are_named(client, world):
    r = login(client, world.users["grid"]).post("/m/cases/report/", {"description": "灯"})
    assert r.status_code == 422
    assert "事件描述不能少于5个字" in r.content.decode()


def test_resident_reports_anonymously_and_a_repeat_is_caught(client, world):
    c = login(client, world.users["resident"])
    page = c.get("/m/cases/report/").content.decode()
    assert "不公开我的姓名" in page
    data = {"description": "小区路灯坏了好几天，晚上很黑", "anonymous": "on"}
    assert c.post("/m/cases/report/", data).status_code == 302
    ev = Event.objects.get()
    assert ev.anonymous and ev.source == "resident"
    r = c.post("/m/cases/report/", data)
    assert r.status_code == 422
    assert "请勿重复提交" in r.content.decode()
    assert Event.objects.count() == 1
    # the street sees the report without the name
    body = login(client, world.users["street"]).get(f"/cases/{ev.pk}/").content.decode()
    assert "匿名群众" in body and "t-resident" not in body.split("<main")[1].split("处理记录")[0]


def test_duplicates_are_shown_before_submitting_and_me_too(client, world):
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        first = report(world.users["grid"], "小区东门垃圾堆积发臭，无人清运 13912345678")
    with time_machine.travel(at(2025, 6, 10, 10, 0), tick=False):
        c = login(client, world.users["resident"])
        r = c.post(
            "/m/cases/report/check/",
            {"description": "东门垃圾堆积发臭，没人清运", "area": ""},
        )
        body = r.content.decode()
        assert r.status_code == 200
        assert 'id="dup-list"' in body and "我也遇到" in body
        assert "139****5678" in body and "13912345678" not in body
        assert "t-grid" not in body
        r = c.post(f"/m/cases/{first.pk}/me-too/")
        assert r.status_code == 302
        assert EventMeToo.objects.filter(event=first, user=world.users["resident"]).exists()
        r = c.post(f"/m/cases/{first.pk}/me-too/")
        assert r.status_code == 302  # the second time: a message, counted once
        first.refresh_from_db()
        assert first.me_too_count == 1
        # unrelated text: no duplicates listed
        body = c.post(
            "/m/cases/report/check/", {"description": "楼上装修噪音太大"}
        ).content.decode()
        assert 'id="dup-list"' not in body


def test_my_reports_lists_only_mine_with_flat_queries(client, world):
    for i in range(5):
        report(world.users["resident"], f"第{i}号楼下水道堵塞，污水外溢{i}")
    report(world.users["grid"], "网格员巡查发现井盖破损")
    c = login(client, world.users["resident"])
    c.get("/m/cases/")
    with CaptureQueriesContext(connection) as q:
        body = c.get("/m/cases/").content.decode()
    assert body.count("data-event=") == 5
    assert "井盖破损" not in body
    assert len(q) <= 10, [x["sql"] for x in q.captured_queries]


def test_other_people_s_reports_read_404(client, world):
    ev = report(world.users["grid"], "网格员巡查发现井盖破损")
    assert login(client, world.users["resident"]).get(f"/m/cases/{ev.pk}/").status_code == 404
    assert login(client, world.users["street3"]).get(f"/m/cases/{ev.pk}/").status_code == 404


def test_resident_rates_a_closed_report(client, world, dept_users):
    actors = Actors(world, dept_users)
    ev = report(world.users["resident"], "小区东门垃圾堆积发臭，无人清运")
    c = login(client, world.users["resident"])
    page = c.get(f"/m/cases/{ev.pk}/").content.decode()
    assert 'id="rate"' not in page
    r = c.post(f"/m/cases/{ev.pk}/rate/", {"rating": "5"})
    assert r.status_code == 409
    actors.drive(ev, "closed")
    page = c.get(f"/m/cases/{ev.pk}/").content.decode()
    assert 'id="rate"' in page
    assert "待评价" in c.get("/m/cases/").content.decode()
    r = c.post(f"/m/cases/{ev.pk}/rate/", {"rating": "9"})
    assert r.status_code == 422
    r = c.post(f"/m/cases/{ev.pk}/rate/", {"rating": "3", "note": "处理有点慢"})
    assert r.status_code == 302
    ev.refresh_from_db()
    assert (ev.state, ev.rating) == ("evaluated", "basic")
    step = EventStep.objects.get(event=ev, action="evaluate")
    assert step.note == "评分3分：处理有点慢"
    assert login(client, world.users["grid"]).post(
        f"/m/cases/{ev.pk}/rate/", {"rating": "1"}
    ).status_code in (404, 409)


def test_nobody_may_not_report(client, world):
    assert login(client, world.users["nobody"]).get("/m/cases/report/").status_code == 403
