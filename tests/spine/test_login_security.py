"""Login security (issue 14): throttled failures instead of a lock a stranger can trigger,
one answer for every refusal, TOTP codes accepted once, the password asked before the second
factor changes, forced changes, signing out one client or everywhere, the unlock action."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from dangjian.accounts import services
from dangjian.accounts.models import ApiToken, User
from dangjian.accounts.throttle import LoginThrottle
from dangjian.core.models import AuditEntry
from tests.world import PASSWORD, enrol_totp, next_code

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
WRONG = "用户名或密码错误"


def token(client, username, password, otp=None, addr="10.0.0.1"):
    body = {"username": username, "password": password}
    if otp:
        body["otp"] = otp
    return client.post(TOKEN_URL, body, content_type="application/json", REMOTE_ADDR=addr)


def me(client, raw):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})


def later(seconds: float):
    return time_machine.travel(timezone.now() + dt.timedelta(seconds=seconds), tick=False)


# --- the throttle ---------------------------------------------------------------------------
class TestThrottle:
    def test_two_failures_leave_the_right_password_working(self, world, client):
        for _ in range(2):
            assert token(client, "t-grid", "Wrong@pass1").json()["detail"] == WRONG
        assert token(client, "t-grid", PASSWORD).status_code == 200

    def test_the_third_failure_makes_the_pair_wait(self, world, client):
        for _ in range(3):
            token(client, "t-grid", "Wrong@pass1")
        r = token(client, "t-grid", PASSWORD)
        assert r.status_code == 401 and r.json()["detail"] == WRONG
        assert AuditEntry.objects.filter(action="login.throttled").count() == 1
        with later(3):
            assert token(client, "t-grid", PASSWORD).status_code == 200
        # a success clears the pair: two more failures are free again
        with later(4):
            for _ in range(2):
                token(client, "t-grid", "Wrong@pass1")
            assert token(client, "t-grid", PASSWORD).status_code == 200

    def test_another_address_still_logs_in(self, world, client):
        for _ in range(6):
            token(client, "t-grid", "Wrong@pass1", addr="10.0.0.1")
        assert token(client, "t-grid", PASSWORD, addr="10.0.0.1").status_code == 401
        assert token(client, "t-grid", PASSWORD, addr="10.0.0.2").status_code == 200

    def test_delays_grow_to_the_cap(self, world, client, settings):
        settings.DANGJIAN = {**settings.DANGJIAN, "LOGIN_DELAY_MAX_SECONDS": 60}
        waits = []
        now = timezone.now()
        for n in range(8):
            with time_machine.travel(now + dt.timedelta(hours=n), tick=False):
                token(client, "t-grid", "Wrong@pass1")
            row = LoginThrottle.objects.get(username_key="t-grid", address="10.0.0.1")
            wait = row.next_allowed_at and (row.next_allowed_at - row.last_failure_at)
            waits.append(int(wait.total_seconds()) if wait else 0)
        assert waits == [0, 0, 2, 4, 8, 16, 32, 60]

    def test_failures_are_forgotten_after_a_quiet_day(self, world, client):
        for _ in range(4):
            token(client, "t-grid", "Wrong@pass1")
        with later(25 * 3600):
            token(client, "t-grid", "Wrong@pass1")
            row = LoginThrottle.objects.get(username_key="t-grid", address="10.0.0.1")
            assert row.failures == 1 and row.next_allowed_at is None

    def test_failures_neither_lock_the_account_nor_revoke_its_tokens(self, world, client):
        raw = token(client, "t-grid", PASSWORD, addr="10.9.9.9").json()["token"]
        for _ in range(10):
            token(client, "t-grid", "Wrong@pass1")
        user = User.objects.get(username="t-grid")
        assert not user.is_locked
        assert me(client, raw).status_code == 200
        assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1

    def test_an_address_spraying_many_accounts_waits(self, world, client, settings):
        settings.DANGJIAN = {**settings.DANGJIAN, "LOGIN_ADDRESS_THROTTLE_AFTER": 5}
        for name in ("t-street", "t-county", "t-city", "no-such-1", "no-such-2"):
            token(client, name, "Wrong@pass1")
        # every pair is below its own limit, but the address as a whole must wait
        r = token(client, "t-grid", PASSWORD)
        assert r.status_code == 401 and r.json()["detail"] == WRONG
        assert token(client, "t-grid", PASSWORD, addr="10.0.0.2").status_code == 200

    def test_the_sweep_deletes_forgotten_counts(self, world, client):
        from dangjian.accounts.tasks import login_throttle_sweep_task

        token(client, "t-grid", "Wrong@pass1")
        with later(23 * 3600):
            assert login_throttle_sweep_task.call() == {"deleted": 0}
        with later(25 * 3600):
            assert login_throttle_sweep_task.call() == {"deleted": 2}
        assert not LoginThrottle.objects.exists()

    def test_an_empty_name_is_counted_apart_from_the_address(self, world, client):
        for _ in range(2):
            r = token(client, "", "Wrong@pass1")
            assert r.status_code == 401 and r.json()["detail"] == WRONG
        pair = LoginThrottle.objects.get(username_key="(空)", address="10.0.0.1")
        whole = LoginThrottle.objects.get(username_key="", address="10.0.0.1")
        assert pair.failures == 2 and whole.failures == 2

    def test_unknown_names_are_throttled_like_known_ones(self, world, client):
        for _ in range(3):
            token(client, "no-such-user", "Wrong@pass1")
        row = LoginThrottle.objects.get(username_key="no-such-user", address="10.0.0.1")
        assert row.failures == 3 and row.next_allowed_at is not None


class TestClientAddress:
    def test_a_trusted_proxy_names_the_client(self, world, client, settings):
        settings.DANGJIAN = {**settings.DANGJIAN, "TRUSTED_PROXIES": ("127.0.0.1",)}
        for _ in range(3):
            client.post(
                TOKEN_URL,
                {"username": "t-grid", "password": "Wrong@pass1"},
                content_type="application/json",
                REMOTE_ADDR="127.0.0.1",
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
        assert LoginThrottle.objects.get(username_key="t-grid").address == "203.0.113.9"
        row = AuditEntry.objects.filter(action="login.failed").latest("id")
        assert row.remote_addr == "203.0.113.9"

    def test_an_untrusted_sender_cannot_choose_its_address(self, world, client):
        for forwarded in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
            client.post(
                TOKEN_URL,
                {"username": "t-grid", "password": "Wrong@pass1"},
                content_type="application/json",
                REMOTE_ADDR="10.0.0.5",
                headers={"X-Forwarded-For": forwarded},
            )
        row = LoginThrottle.objects.get(username_key="t-grid")
        assert (row.address, row.failures) == ("10.0.0.5", 3)


# --- one answer for every refusal -----------------------------------------------------------
class TestSameAnswer:
    def _cases(self, world, client):
        User.objects.filter(pk=world.users["community"].pk).update(
            locked_until=timezone.now() + dt.timedelta(days=1)
        )
        User.objects.filter(pk=world.users["resident"].pk).update(is_active=False)
        for _ in range(3):
            token(client, "t-member", "Wrong@pass1", addr="10.0.0.7")
        return [
            ("t-grid", "Wrong@pass1", "10.0.0.1"),  # wrong password
            ("no-such-user", PASSWORD, "10.0.0.2"),  # unknown
            ("t-community", PASSWORD, "10.0.0.3"),  # locked by an administrator
            ("t-resident", PASSWORD, "10.0.0.4"),  # deactivated
            ("t-member", PASSWORD, "10.0.0.7"),  # waiting after failures
        ]

    def test_same_message(self, world, client):
        for username, password, addr in self._cases(world, client):
            r = token(client, username, password, addr=addr)
            assert (r.status_code, r.json()) == (401, {"detail": WRONG}), username

    def test_same_work(self, world, client, monkeypatch):
        """Each refusal runs exactly one password hash, so its time tells nothing."""
        cases = self._cases(world, client)
        calls = []
        original = MD5PasswordHasher.encode
        monkeypatch.setattr(
            MD5PasswordHasher,
            "encode",
            lambda self, *a, **k: calls.append(1) or original(self, *a, **k),
        )
        for username, password, addr in cases:
            calls.clear()
            token(client, username, password, addr=addr)
            assert len(calls) == 1, username

    def test_console_says_the_same(self, world, client):
        User.objects.filter(pk=world.users["community"].pk).update(
            locked_until=timezone.now() + dt.timedelta(days=1)
        )
        r = client.post("/login/", {"username": "t-community", "password": PASSWORD})
        body = r.content.decode()
        assert "用户名或密码错误" in body and "锁定" not in body


# --- the unlock action ----------------------------------------------------------------------
class TestUnlock:
    def test_api_unlock_clears_the_lock_and_the_counts(self, world, client, api):
        grid = world.users["grid"]
        User.objects.filter(pk=grid.pk).update(locked_until=timezone.now() + dt.timedelta(days=1))
        for addr in ("10.0.0.1", "10.0.0.2"):
            for _ in range(3):
                token(client, "t-grid", "Wrong@pass1", addr=addr)
        r = api.post(world.users["street"], f"/api/v1/users/{grid.pk}/unlock")
        assert r.status_code == 200, r.content
        assert r.json() == {"id": grid.pk, "username": "t-grid", "locked": False}
        assert not LoginThrottle.objects.filter(username_key="t-grid").exists()
        assert token(client, "t-grid", PASSWORD).status_code == 200
        assert AuditEntry.objects.filter(action="user.unlock", object_id=str(grid.pk)).exists()

    def test_api_unlock_needs_accounts_manage(self, world, api):
        grid = world.users["grid"]
        r = api.post(world.users["community"], f"/api/v1/users/{grid.pk}/unlock")
        assert r.status_code == 403 and "权限" in r.json()["detail"]
        r = api.post(world.users["street3"], f"/api/v1/users/{grid.pk}/unlock")
        assert r.status_code == 404

    def test_an_administrator_locks_and_unlocks(self, world, client, api):
        grid = world.users["grid"]
        raw = token(client, "t-grid", PASSWORD).json()["token"]
        other = Client()
        other.force_login(grid)
        r = api.post(world.users["street"], f"/api/v1/users/{grid.pk}/lock")
        assert r.status_code == 200 and r.json()["locked"] is True
        assert me(client, raw).status_code == 401
        assert other.get("/account/").status_code == 302
        r = token(client, "t-grid", PASSWORD, addr="10.0.0.9")
        assert r.status_code == 401 and r.json()["detail"] == WRONG
        assert (
            api.post(world.users["street"], f"/api/v1/users/{grid.pk}/unlock").json()["locked"]
            is False
        )
        assert token(client, "t-grid", PASSWORD, addr="10.0.0.9").status_code == 200
        assert AuditEntry.objects.filter(action="user.lock", object_id=str(grid.pk)).exists()

    def test_no_one_locks_themselves(self, world, api):
        street = world.users["street"]
        r = api.post(street, f"/api/v1/users/{street.pk}/lock")
        assert r.status_code == 422 and r.json()["errors"]["user"] == ["不能锁定本人的账号"]
        assert not User.objects.get(pk=street.pk).is_locked

    def test_console_button(self, world, client):
        grid = world.users["grid"]
        User.objects.filter(pk=grid.pk).update(locked_until=timezone.now() + dt.timedelta(days=1))
        client.force_login(world.users["street"])
        r = client.post(f"/users/{grid.pk}/unlock/", {"next": "/account/"})
        assert r.status_code == 302 and r["Location"] == "/account/"
        assert not User.objects.get(pk=grid.pk).is_locked
        assert "已解除账号 t-grid 的锁定" in client.get("/account/").content.decode()
        assert client.get(f"/users/{grid.pk}/unlock/").status_code == 405


# --- the second factor ----------------------------------------------------------------------
class TestTotp:
    def test_a_code_is_accepted_once(self, world, client):
        totp = enrol_totp(world.users["grid"])
        code = next_code(totp)
        assert token(client, "t-grid", PASSWORD, otp=code).status_code == 200
        r = token(client, "t-grid", PASSWORD, otp=code, addr="10.0.0.2")
        assert r.status_code == 401 and r.json()["detail"] == WRONG
        # the enrolment's own code (an earlier step) is spent too
        assert token(client, "t-grid", PASSWORD, otp=totp.now(), addr="10.0.0.3").status_code == 401

    def test_enrolment_needs_the_password(self, world):
        user = world.users["grid"]
        with pytest.raises(ValidationError) as exc:
            services.totp_begin(user=user, password="Wrong@pass1")
        assert exc.value.message_dict == {"password": ["密码不正确"]}
        user.refresh_from_db()
        assert not user.totp_secret
        assert LoginThrottle.objects.get(username_key="t-grid").failures == 1

    def test_confirm_needs_the_password(self, world):
        import pyotp

        user = world.users["grid"]
        totp = pyotp.TOTP(pyotp.parse_uri(services.totp_begin(user=user, password=PASSWORD)).secret)
        with pytest.raises(ValidationError):
            services.totp_confirm(user=user, code=totp.now(), password="Wrong@pass1")
        user.refresh_from_db()
        assert not user.totp_enabled

    def test_a_stolen_session_cannot_guess_its_way_to_disable(self, world, client):
        user = world.users["grid"]
        enrol_totp(user)
        client.force_login(user)
        for _ in range(3):
            client.post("/account/", {"op": "totp_disable", "off-password": "Wrong@pass1"})
        r = client.post("/account/", {"op": "totp_disable", "off-password": PASSWORD})
        assert "密码错误次数过多，请稍后再试" in r.content.decode()
        user.refresh_from_db()
        assert user.totp_enabled
        assert AuditEntry.objects.filter(action="password.failed").count() == 3
        with later(3):
            r = client.post("/account/", {"op": "totp_disable", "off-password": PASSWORD})
        assert r.status_code == 302
        user.refresh_from_db()
        assert not user.totp_enabled


# --- the password-change form counts failures -----------------------------------------------
def _change(client, old, new="New@2026pass"):
    return client.post(
        "/account/",
        {"op": "password", "pw-old_password": old, "pw-new_password": new, "pw-new_password2": new},
    )


class TestPasswordChange:
    def test_failures_are_throttled(self, world, client):
        user = world.users["grid"]
        client.force_login(user)
        for _ in range(2):
            assert "原密码不正确" in _change(client, "Wrong@pass1").content.decode()
        for _ in range(1):
            _change(client, "Wrong@pass1")
        r = _change(client, PASSWORD)
        assert "密码错误次数过多，请稍后再试" in r.content.decode()
        user.refresh_from_db()
        assert user.check_password(PASSWORD)
        with later(3):
            assert _change(client, PASSWORD).status_code == 302
        user.refresh_from_db()
        assert user.check_password("New@2026pass")

    def test_two_failures_do_not_stop_the_change(self, world, client):
        client.force_login(world.users["grid"])
        for _ in range(2):
            _change(client, "Wrong@pass1")
        assert _change(client, PASSWORD).status_code == 302


# --- signing out ----------------------------------------------------------------------------
class TestLogout:
    def test_logout_revokes_exactly_the_presented_token(self, world, client):
        a = token(client, "t-grid", PASSWORD).json()["token"]
        b = token(client, "t-grid", PASSWORD).json()["token"]
        r = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {a}"})
        assert r.status_code == 200 and r.json() == {"detail": "已退出登录"}
        assert me(client, a).status_code == 401
        assert me(client, b).status_code == 200
        assert AuditEntry.objects.filter(action="token.revoke").count() == 1

    def test_logout_needs_a_login(self, db, client):
        assert client.post("/api/v1/auth/logout").status_code == 401
        assert client.post("/api/v1/auth/logout-all").status_code == 401

    def test_console_logout_ends_only_its_session(self, world):
        one, two = Client(), Client()
        for c in (one, two):
            c.force_login(world.users["grid"])
        one.post("/logout/")
        assert one.get("/account/").status_code == 302
        assert two.get("/account/").status_code == 200

    def test_logout_all_kills_every_token_and_session(self, world, client):
        a = token(client, "t-grid", PASSWORD).json()["token"]
        b = token(client, "t-grid", PASSWORD).json()["token"]
        other = Client()
        other.force_login(world.users["grid"])
        assert other.get("/account/").status_code == 200
        r = client.post("/api/v1/auth/logout-all", headers={"Authorization": f"Bearer {a}"})
        assert r.status_code == 200 and r.json() == {"detail": "已退出所有设备"}
        assert me(client, a).status_code == 401 and me(client, b).status_code == 401
        assert other.get("/account/").status_code == 302
        # a new login works as before
        assert token(client, "t-grid", PASSWORD).status_code == 200
        assert AuditEntry.objects.filter(action="user.sign_out_all").count() == 1

    def test_console_sign_out_everywhere_button(self, world):
        here, there = Client(), Client()
        for c in (here, there):
            c.force_login(world.users["grid"])
        raw, _tok = services.token_issue(user=world.users["grid"])
        assert "退出所有设备" in here.get("/account/").content.decode()
        r = here.post("/account/", {"op": "sign_out_all"})
        assert r.status_code == 302 and r["Location"] == "/login/"
        assert here.get("/account/").status_code == 302
        assert there.get("/account/").status_code == 302
        assert me(Client(), raw).status_code == 401


# --- obligations: the demo password, one-time passwords, TOTP for granting accounts --------
def _demo_user(world, settings):
    user = world.users["grid"]
    user.set_password(settings.DANGJIAN["DEMO_PASSWORD"])
    user.save(update_fields=["password"])
    return user


class TestDemoPassword:
    def test_outside_demo_mode_it_must_be_changed_at_login(self, world, client, settings):
        demo = settings.DANGJIAN["DEMO_PASSWORD"]
        _demo_user(world, settings)
        r = client.post("/login/", {"username": "t-grid", "password": demo})
        assert r.status_code == 302 and r["Location"] == "/account/"
        assert User.objects.get(username="t-grid").must_change_password
        body = client.get("/account/").content.decode()
        assert "须先修改密码" in body
        assert client.get("/areas/")["Location"] == "/account/"
        r = client.get("/api/v1/areas/")
        assert r.status_code == 403 and r.json()["detail"].startswith("须先修改密码")
        r = token(client, "t-grid", demo)
        assert r.status_code == 403 and "账号安全" in r.json()["detail"]
        # the demo password is refused as the new one, a real one opens everything
        r = _change(client, demo, demo)
        assert "不能使用演示环境的公开密码" in r.content.decode()
        assert _change(client, demo).status_code == 302
        assert not User.objects.get(username="t-grid").must_change_password
        assert client.get("/areas/").status_code == 200
        assert token(client, "t-grid", "New@2026pass").status_code == 200

    def test_in_demo_mode_it_is_accepted(self, world, client, settings):
        settings.DANGJIAN = {**settings.DANGJIAN, "DEMO_MODE": True}
        demo = settings.DANGJIAN["DEMO_PASSWORD"]
        _demo_user(world, settings)
        r = client.post("/login/", {"username": "t-grid", "password": demo})
        assert r.status_code == 302 and r["Location"] == "/m/"  # a grid worker's home is the phone
        assert not User.objects.get(username="t-grid").must_change_password
        assert token(client, "t-grid", demo).status_code == 200
        services.user_change_password(
            actor=world.users["street"],
            user=world.users["community"],
            old_password=None,
            new_password=demo,
        )

    def test_validators_refuse_it_outside_demo_mode(self, world, settings):
        with pytest.raises(ValidationError) as exc:
            services.user_change_password(
                actor=world.users["street"],
                user=world.users["community"],
                old_password=None,
                new_password=settings.DANGJIAN["DEMO_PASSWORD"],
            )
        assert exc.value.message_dict["password"] == ["不能使用演示环境的公开密码，请另设密码"]

    def test_an_administrators_reset_must_be_changed(self, world, client):
        services.user_change_password(
            actor=world.users["street"],
            user=world.users["grid"],
            old_password=None,
            new_password="Reset@2026x",
        )
        assert User.objects.get(username="t-grid").must_change_password
        r = token(client, "t-grid", "Reset@2026x")
        assert r.status_code == 403 and r.json()["detail"].startswith("须先修改密码")


class TestBothObligations:
    def test_password_then_totp_then_on_to_next(self, world, client):
        User.objects.filter(pk=world.users["street"].pk).update(must_change_password=True)
        r = client.post("/login/?next=/areas/", {"username": "t-street", "password": PASSWORD})
        assert r["Location"] == "/account/"
        r = _change(client, PASSWORD)
        assert r["Location"] == "/account/"  # the second factor is still to come
        assert client.get("/areas/")["Location"] == "/account/"
        import pyotp

        from dangjian.core import crypto

        client.post("/account/", {"op": "totp_begin", "on-password": "New@2026pass"})
        user = User.objects.get(username="t-street")
        code = pyotp.TOTP(crypto.decrypt(user.totp_secret)).now()
        r = client.post(
            "/account/", {"op": "totp_confirm", "totp-code": code, "totp-password": "New@2026pass"}
        )
        assert r["Location"] == "/areas/"
        assert client.get("/areas/").status_code == 200


class TestTotpRequired:
    def test_granting_accounts_are_sent_to_enrol(self, world, client):
        r = client.post("/login/", {"username": "t-street", "password": PASSWORD})
        assert r.status_code == 302 and r["Location"] == "/account/"
        assert "须先启用双因素认证" in client.get("/account/").content.decode()
        assert client.get("/areas/")["Location"] == "/account/"
        assert client.get("/api/v1/me").status_code == 200  # who am I stays open
        assert client.get("/api/v1/areas/").status_code == 403
        # enrolling on the page lifts it for this session
        import pyotp

        client.post("/account/", {"op": "totp_begin", "on-password": PASSWORD})
        user = User.objects.get(username="t-street")
        from dangjian.core import crypto

        totp = pyotp.TOTP(crypto.decrypt(user.totp_secret))
        r = client.post(
            "/account/", {"op": "totp_confirm", "totp-code": totp.now(), "totp-password": PASSWORD}
        )
        assert r.status_code == 302
        assert client.get("/areas/").status_code == 200

    def test_an_htmx_request_is_sent_to_the_account_page(self, world, client):
        client.post("/login/", {"username": "t-street", "password": PASSWORD})
        r = client.get("/areas/", headers={"HX-Request": "true"})
        assert r["HX-Redirect"] == "/account/"

    def test_the_token_route_refuses_them_until_enrolled(self, world, client):
        r = token(client, "t-street", PASSWORD)
        assert r.status_code == 403
        assert "双因素认证" in r.json()["detail"] and "账号安全" in r.json()["detail"]
        assert not ApiToken.objects.filter(user=world.users["street"]).exists()
        totp = enrol_totp(world.users["street"])
        assert token(client, "t-street", PASSWORD, otp=next_code(totp)).status_code == 200

    def test_others_and_demo_mode_need_none(self, world, client, settings):
        assert not services.totp_required(world.users["community"])
        assert services.totp_required(world.users["street"])
        settings.DANGJIAN = {**settings.DANGJIAN, "DEMO_MODE": True}
        assert not services.totp_required(world.users["street"])
        assert token(client, "t-street", PASSWORD).status_code == 200
