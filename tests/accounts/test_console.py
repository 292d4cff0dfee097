"""The console pages of users and their reach: list with filters, a user's page with the
reach and why, create (one-time password shown once), reset, deactivate, grant and revoke,
the import, departments, registrations and invitations."""

from __future__ import annotations

import io

import pytest
import xlsxwriter
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import Department, Grant, User
from tests.world import user

pytestmark = pytest.mark.django_db


@pytest.fixture
def street(client, world):
    client.force_login(world.users["street"])
    return client


def test_list_and_filters(world, street):
    r = street.get("/users/")
    text = r.content.decode()
    assert r.status_code == 200 and "t-grid" in text and "t-street3" not in text
    r = street.get("/users/", {"kind": "resident"})
    assert "t-resident" in r.content.decode() and "t-grid" not in r.content.decode()
    r = street.get("/users/", {"q": "t-gri"})
    assert "t-grid" in r.content.decode() and "t-community" not in r.content.decode()


def test_list_query_count_pinned(world, street):
    street.get("/users/")
    with CaptureQueriesContext(connection) as few:
        street.get("/users/")
    for i in range(10):
        user(f"t-more{i}", role="grid_worker", area_node=world.grid)
    with CaptureQueriesContext(connection) as many:
        street.get("/users/")
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_detail_shows_reach_and_why(world, street):
    r = street.get(f"/users/{world.users['grid'].pk}/")
    text = r.content.decode()
    assert "上报事件" in text and "网格员" in text and world.grid.name in text


def test_create_shows_one_time_password_once(world, street):
    r = street.post(
        "/users/new/",
        {"username": "wg-new", "real_name": "新网格员", "kind": "staff", "area": world.grid.pk},
    )
    assert r.status_code == 200
    text = r.content.decode()
    assert "一次性密码只显示这一次" in text
    u = User.objects.get(username="wg-new")
    assert u.must_change_password


def test_reset_deactivate_grant_revoke(world, street):
    g = world.users["grid"]
    r = street.post(f"/users/{g.pk}/reset-password/")
    assert "一次性密码" in r.content.decode()
    g.refresh_from_db()
    assert g.must_change_password
    street.post(f"/users/{g.pk}/active/", {"op": "deactivate"})
    g.refresh_from_db()
    assert not g.is_active
    street.post(f"/users/{g.pk}/active/", {"op": "reactivate"})
    r = street.post(f"/users/{g.pk}/grants/", {"g-role": "secretary", "g-area": world.grid.pk})
    assert r.status_code == 302
    grant = Grant.objects.get(user=g, role__code="secretary")
    r = street.post(f"/users/{g.pk}/grants/", {"g-role": "city_staff", "g-area": world.grid.pk})
    assert not Grant.objects.filter(user=g, role__code="city_staff").exists()
    street.post(f"/users/grants/{grant.pk}/revoke/")
    assert not Grant.objects.filter(pk=grant.pk).exists()


def test_outsider_404(world, client):
    client.force_login(world.users["street3"])
    g = world.users["grid"]
    assert client.get(f"/users/{g.pk}/").status_code == 404
    assert client.post(f"/users/{g.pk}/reset-password/").status_code == 404
    g.refresh_from_db()
    assert not g.must_change_password


def test_import_page(world, street):
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["姓名", "手机号码", "所属区域"])
    ws.write_row(1, 0, ["赵网格", "13900000031", "龙桥社区第一网格"])
    wb.close()
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = street.post(
        "/users/import/",
        {"file": SimpleUploadedFile("u.xlsx", out.getvalue()), "mode": "all_or_nothing"},
    )
    text = r.content.decode()
    assert "全部导入成功" in text and "13900000031" in text
    assert street.get("/users/import/template/").status_code == 200


def test_departments_pages(world, street):
    r = street.post(
        "/users/departments/",
        {"name": "龙桥环卫所", "area": world.street.pk, "served_areas": [world.community.pk]},
    )
    assert r.status_code == 302
    d = Department.objects.get(name="龙桥环卫所")
    assert list(d.served_areas.all()) == [world.community]
    r = street.get("/users/departments/")
    assert "龙桥环卫所" in r.content.decode()
    r = street.post(
        f"/users/departments/{d.pk}/",
        {"name": "龙桥环卫站", "served_areas": [world.street.pk], "active": "on"},
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.name == "龙桥环卫站"


def test_invitations_and_registrations_pages(world, client):
    client.force_login(world.users["grid"])
    r = client.post("/users/invitations/", {"area": world.grid.pk})
    assert r.status_code == 302
    r = client.get("/users/invitations/")
    assert "<svg" in r.content.decode()
    assert client.get("/users/registrations/").status_code == 200
