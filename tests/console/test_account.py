"""Account security: change the password, second factor on and off."""

import pytest

from dangjian.core.models import AuditEntry
from tests.console.helpers import text
from tests.world import PASSWORD, enrol_totp

pytestmark = pytest.mark.django_db


def _change(client, old, new, new2=None):
    return client.post(
        "/account/",
        {
            "op": "password",
            "pw-old_password": old,
            "pw-new_password": new,
            "pw-new_password2": new2 or new,
        },
    )


def test_account_page_renders(world, as_user):
    r = as_user(world.users["street"]).get("/account/")
    assert r.status_code == 200
    body = text(r)
    for s in ("账号安全", "修改密码", "原密码", "确认新密码", "双因素认证", "启用双因素认证"):
        assert s in body


def test_change_password_errors_in_chinese(world, as_user):
    client = as_user(world.users["street"])
    assert "原密码不正确" in text(_change(client, "wrong-Old1", "New@2026pass"))
    assert "两次输入的新密码不一致" in text(
        _change(client, PASSWORD, "New@2026pass", "New@2026pasX")
    )
    body = text(_change(client, PASSWORD, "short1"))
    assert "密码太短，至少需要8个字符" in body
    assert "密码须包含大写字母、小写字母、数字、符号中的至少三类" in body


def test_change_password_keeps_the_session(world, as_user, client):
    client = as_user(world.users["street"])
    r = _change(client, PASSWORD, "New@2026pass")
    assert r.status_code == 302
    assert "密码已修改" in text(client.get("/account/"))
    assert client.get("/areas/").status_code == 200
    assert AuditEntry.objects.filter(
        action="user.password", object_id=str(world.users["street"].pk)
    ).exists()
    client.post("/logout/")
    r = client.post("/login/", {"username": "t-street", "password": "New@2026pass"})
    assert r.status_code == 302


def test_disable_totp_needs_the_password(world, as_user):
    user = world.users["street"]
    enrol_totp(user)
    client = as_user(user)
    body = text(client.get("/account/"))
    assert "已启用" in body and "停用双因素认证" in body
    r = client.post("/account/", {"op": "totp_disable", "off-password": "wrong"})
    assert "密码不正确" in text(r)
    user.refresh_from_db()
    assert user.totp_enabled
    r = client.post("/account/", {"op": "totp_disable", "off-password": PASSWORD})
    assert r.status_code == 302
    user.refresh_from_db()
    assert not user.totp_enabled and not user.totp_secret


def test_members_cannot_enrol_totp(world, as_user):
    client = as_user(world.users["member"])
    body = text(client.get("/account/"))
    assert "仅工作人员账号可启用双因素认证" in body
    client.post("/account/", {"op": "totp_begin", "on-password": PASSWORD})
    world.users["member"].refresh_from_db()
    assert not world.users["member"].totp_secret


def test_anonymous_account_redirects(db, client):
    r = client.get("/account/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_totp_begin_does_not_switch_an_enabled_factor_off(world, as_user):
    user = world.users["street"]
    enrol_totp(user)
    client = as_user(user)
    r = client.post("/account/", {"op": "totp_begin", "on-password": PASSWORD})
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.totp_enabled
    assert "请先停用" in text(client.get("/account/"))
