"""Users under /api/v1/users/: scoped list, create with a one-time password, change,
deactivate, reset a password (the next login must change it; old tokens die), grants and
the reach page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts import services
from dangjian.accounts.models import ApiToken, Grant, User
from dangjian.core.models import AuditEntry
from tests.world import PASSWORD, user

pytestmark = pytest.mark.django_db


def _ids(r):
    return {i["id"] for i in r.json()["items"]}


class TestList:
    def test_scope(self, world, api):
        r = api.get(world.users["street"], "/api/v1/users/")
        assert r.status_code == 200
        ids = _ids(r)
        assert world.users["grid"].pk in ids and world.users["street"].pk in ids
        assert world.users["county"].pk not in ids and world.users["street3"].pk not in ids
        r = api.get(world.users["street3"], "/api/v1/users/")
        assert world.users["grid"].pk not in _ids(r)

    def test_filters(self, world, api):
        admin = world.users["admin"]
        r = api.get(admin, "/api/v1/users/", q="t-gri")
        assert _ids(r) == {world.users["grid"].pk}
        r = api.get(admin, "/api/v1/users/", kind="resident")
        assert _ids(r) == {world.users["resident"].pk}
        r = api.get(admin, "/api/v1/users/", area=world.street3.pk)
        assert _ids(r) == {world.users["street3"].pk}
        r = api.get(world.users["street"], "/api/v1/users/", area=world.street3.pk)
        assert r.status_code == 404

    def test_query_count_does_not_grow_with_rows(self, world, api):
        admin = world.users["admin"]
        api.get(admin, "/api/v1/users/")  # token and grants read outside the measurement
        with CaptureQueriesContext(connection) as few:
            r = api.get(admin, "/api/v1/users/", page_size=200)
        n = r.json()["count"]
        for i in range(15):
            user(f"t-extra{i}", role="grid_worker", area_node=world.grid)
        with CaptureQueriesContext(connection) as many:
            r = api.get(admin, "/api/v1/users/", page_size=200)
        assert r.json()["count"] == n + 15
        assert len(many) <= len(few) <= 4, [q["sql"] for q in many.captured_queries]


class TestCreate:
    def test_one_time_password_and_forced_change(self, world, api):
        r = api.post(
            world.users["street"],
            "/api/v1/users/",
            {"username": "wg-zhang", "real_name": "张网格", "area_id": world.grid.pk},
        )
        assert r.status_code == 200, r.content
        body = r.json()
        password = body["one_time_password"]
        u = User.objects.get(username="wg-zhang")
        assert u.check_password(password) and u.must_change_password
        assert services.password_change_required(u)
        row = AuditEntry.objects.get(action="user.create", object_id=str(u.pk))
        assert password not in str(row.after)

    def test_bad_mobile_named(self, world, api):
        r = api.post(
            world.users["street"],
            "/api/v1/users/",
            {"username": "wg-li", "real_name": "李", "area_id": world.grid.pk, "phone": "1234"},
        )
        assert r.status_code == 422
        assert r.json()["errors"]["phone"] == ["手机号码应为11位数字"]
        assert not User.objects.filter(username="wg-li").exists()

    def test_other_street_404_nothing_written(self, world, api):
        before = User.objects.count()
        r = api.post(
            world.users["street3"],
            "/api/v1/users/",
            {"username": "wg-x", "real_name": "X", "area_id": world.grid.pk},
        )
        assert r.status_code == 404
        assert User.objects.count() == before

    def test_grid_worker_cannot_create(self, world, api):
        r = api.post(
            world.users["grid"],
            "/api/v1/users/",
            {"username": "wg-y", "real_name": "Y", "area_id": world.grid.pk},
        )
        assert r.status_code in (403, 404)
        assert not User.objects.filter(username="wg-y").exists()

    @pytest.mark.parametrize("who", ["resident", "grid", "street3"])
    def test_whether_a_name_is_taken_is_not_told_outside_the_reach(self, world, api, who):
        """Someone who may not open an account there learns nothing of the names in use (the
        name was checked first: "用户名已被使用" told a resident that an account existed)."""
        taken = world.users["county"].username
        r = api.post(
            world.users[who],
            "/api/v1/users/",
            {"username": taken, "real_name": "X", "area_id": world.grid.pk},
        )
        assert r.status_code in (403, 404), r.content
        assert "用户名" not in r.content.decode()

    def test_a_control_character_in_the_name_is_named(self, world, api):
        """A NUL in the user name was a 500 on PostgreSQL."""
        r = api.post(
            world.users["street"],
            "/api/v1/users/",
            {"username": "wg-\u0000z", "real_name": "Z", "area_id": world.grid.pk},
        )
        assert r.status_code == 422, r.content
        assert r.json()["errors"]["username"] == ["用户名不能包含控制字符"]
        assert not User.objects.filter(username__startswith="wg-").exists()


class TestChange:
    def test_patch(self, world, api):
        g = world.users["grid"]
        r = api.client.patch(
            f"/api/v1/users/{g.pk}",
            '{"real_name": "王网格", "phone": "13800138000"}',
            content_type="application/json",
            headers=api._headers(world.users["street"]),
        )
        assert r.status_code == 200, r.content
        assert r.json()["real_name"] == "王网格" and r.json()["phone"] == "138****8000"

    def test_deactivate_kills_tokens_then_reactivate(self, world, api):
        g = world.users["grid"]
        api.get(g, "/api/v1/me")
        r = api.post(world.users["street"], f"/api/v1/users/{g.pk}/deactivate")
        assert r.status_code == 200 and r.json()["is_active"] is False
        assert api.get(g, "/api/v1/me").status_code == 401
        assert not ApiToken.objects.filter(user=g, revoked_at__isnull=True).exists()
        r = api.post(world.users["street"], f"/api/v1/users/{g.pk}/reactivate")
        assert r.json()["is_active"] is True
        assert AuditEntry.objects.filter(action="user.deactivate", object_id=str(g.pk)).exists()

    def test_cannot_deactivate_oneself(self, world, api):
        s = world.users["street"]
        r = api.post(s, f"/api/v1/users/{s.pk}/deactivate")
        assert r.status_code == 422


class TestResetPassword:
    def test_flag_set_and_old_tokens_die(self, world, api):
        g = world.users["grid"]
        assert api.get(g, "/api/v1/me").status_code == 200
        r = api.post(world.users["street"], f"/api/v1/users/{g.pk}/reset-password")
        assert r.status_code == 200, r.content
        password = r.json()["one_time_password"]
        g.refresh_from_db()
        assert g.must_change_password and g.check_password(password)
        assert not g.check_password(PASSWORD)
        assert api.get(g, "/api/v1/me").status_code == 401  # the old token is dead
        row = AuditEntry.objects.get(action="user.reset_password", object_id=str(g.pk))
        assert password not in str(row.after) + row.note

    def test_cannot_take_over_an_account_that_reaches_further(self, world, api):
        """A user homed in the street holding a county grant: the street's officer sees the
        account but may not reset its password (403), and nothing changes."""
        boss = user("t-boss", role="county_staff", area_node=world.county, home=world.street)
        r = api.post(world.users["street"], f"/api/v1/users/{boss.pk}/reset-password")
        assert r.status_code == 403
        boss.refresh_from_db()
        assert boss.check_password(PASSWORD) and not boss.must_change_password

    def test_other_street_404(self, world, api):
        g = world.users["grid"]
        r = api.post(world.users["street3"], f"/api/v1/users/{g.pk}/reset-password")
        assert r.status_code == 404
        g.refresh_from_db()
        assert g.check_password(PASSWORD)


class TestGrantsApi:
    def test_grant_list_revoke_and_reach(self, world, api):
        g = world.users["grid"]
        street = world.users["street"]
        r = api.post(
            street,
            f"/api/v1/users/{g.pk}/grants/",
            {"role": "secretary", "area_id": world.grid.pk, "ends_on": "2030-12-31"},
        )
        assert r.status_code == 200, r.content
        gid = r.json()["id"]
        assert r.json()["ends_on"] == "2030-12-31" and r.json()["granted_by_name"]
        r = api.get(street, f"/api/v1/users/{g.pk}/grants/")
        assert r.json()["count"] == 2
        r = api.get(street, f"/api/v1/users/{g.pk}/reach")
        actions = {a["action"]: a for a in r.json()["actions"]}
        assert actions["members.manage"]["places"][0]["grant_id"] == gid
        assert actions["members.manage"]["label"] == "管理党员档案"
        assert {p["role"] for p in actions["cases.create"]["places"]} == {
            "grid_worker",
            "secretary",
        }
        r = api.post(street, f"/api/v1/grants/{gid}/revoke")
        assert r.status_code == 200
        assert not Grant.objects.filter(pk=gid).exists()

    def test_grant_above_reach_refused_with_reason(self, world, api):
        g = world.users["grid"]
        r = api.post(
            world.users["street"],
            f"/api/v1/users/{g.pk}/grants/",
            {"role": "city_staff", "area_id": world.grid.pk},
        )
        assert r.status_code == 403
        assert r.json()["detail"].startswith("不能授予超出本人权限的角色")
        assert Grant.objects.filter(user=g).count() == 1

    def test_other_street_cannot_grant_404(self, world, api):
        g = world.users["grid"]
        r = api.post(
            world.users["street3"],
            f"/api/v1/users/{g.pk}/grants/",
            {"role": "grid_worker", "area_id": world.street3.pk},
        )
        assert r.status_code == 404
        gid = Grant.objects.filter(user=g).first().pk
        r = api.post(world.users["street3"], f"/api/v1/grants/{gid}/revoke")
        assert r.status_code == 404
        assert Grant.objects.filter(pk=gid).exists()
