"""Residents register on the phone with their grid's invitation code; the grid worker
confirms (the account becomes a resident's) or rejects (the account is removed)."""

from __future__ import annotations

import pytest

from dangjian.accounts import services
from dangjian.accounts.models import Registration, User
from dangjian.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(world, api):
    r = api.post(world.users["grid"], "/api/v1/invitations/", {"area_id": world.grid.pk})
    assert r.status_code == 200, r.content
    assert r.json()["register_url"].endswith(f"/m/register/?code={r.json()['code']}")
    return r.json()["code"]


def _register(client, code, phone="13911112222", password="Abcd-1234x"):
    return client.post(
        "/m/register/",
        {
            "code": code,
            "name": "陈居民",
            "phone": phone,
            "password": password,
            "password2": password,
        },
    )


def test_register_confirm_then_login(world, api, client, code):
    r = client.get(f"/m/register/?code={code}")
    assert r.status_code == 200 and world.grid.name in r.content.decode()
    r = _register(client, code)
    assert "注册申请已提交" in r.content.decode()
    u = User.objects.get(username="13911112222")
    assert not u.is_active and u.area_id == world.grid.pk and not u.grants.exists()
    assert not client.login(username="13911112222", password="Abcd-1234x")
    r = api.get(world.users["grid"], "/api/v1/registrations/")
    (item,) = r.json()["items"]
    assert item["phone"] == "139****2222"
    # another street's officer neither sees nor decides it
    assert api.get(world.users["street3"], "/api/v1/registrations/").json()["count"] == 0
    r = api.post(world.users["street3"], f"/api/v1/registrations/{item['id']}/confirm")
    assert r.status_code == 404
    r = api.post(world.users["grid"], f"/api/v1/registrations/{item['id']}/confirm")
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    u.refresh_from_db()
    assert u.is_active and u.reach("cases.create").user_id == u.pk
    assert AuditEntry.objects.filter(action="registration.confirm").exists()
    r = api.post(world.users["grid"], f"/api/v1/registrations/{item['id']}/confirm")
    assert r.status_code == 409


def test_reject_removes_the_account(world, api, client, code):
    _register(client, code)
    reg = Registration.objects.get()
    r = api.post(world.users["grid"], f"/api/v1/registrations/{reg.pk}/reject", {"reason": ""})
    assert r.status_code == 422
    r = api.post(
        world.users["grid"], f"/api/v1/registrations/{reg.pk}/reject", {"reason": "不是本网格居民"}
    )
    assert r.json()["state"] == "rejected"
    assert not User.objects.filter(username="13911112222").exists()


def test_bad_input(world, client, code):
    r = _register(client, "WRONG123")
    assert "邀请码无效或已停用" in r.content.decode()
    r = _register(client, code, phone="1391111222")
    assert "手机号码应为11位数字" in r.content.decode()
    r = _register(client, code, password="short")
    assert "至少需要8个字符" in r.content.decode()
    assert not Registration.objects.exists()


def test_renewed_code_retires_the_old(world, api, code):
    r = api.post(world.users["grid"], "/api/v1/invitations/", {"area_id": world.grid.pk})
    assert r.json()["code"] != code
    assert services.invitation_by_code(code) is None
    r = api.get(world.users["grid"], f"/api/v1/invitations/{r.json()['id']}/qr")
    assert r.status_code == 200 and b"<svg" in r.content
    r = api.post(world.users["street3"], "/api/v1/invitations/", {"area_id": world.grid.pk})
    assert r.status_code == 404
    r = api.post(world.users["grid"], "/api/v1/invitations/", {"area_id": world.community.pk})
    assert r.status_code == 404  # above the worker's grid


def test_phone_page_for_the_worker(world, client, code):
    _register(client, code)
    client.force_login(world.users["grid"])
    r = client.get("/m/registrations/")
    assert "陈居民" in r.content.decode()
    reg = Registration.objects.get()
    r = client.post(f"/m/registrations/{reg.pk}/", {"op": "confirm"})
    assert r.status_code == 302
    reg.refresh_from_db()
    assert reg.state == "confirmed"


def test_pending_limit_per_grid(world, client, code, settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "REGISTRATION_PENDING_MAX": 1}
    _register(client, code)
    r = _register(client, code, phone="13911113333")
    assert "待确认的注册申请过多" in r.content.decode()
    assert Registration.objects.count() == 1
