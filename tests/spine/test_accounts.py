"""Login security, tokens, passwords, grants and the kinds of reach."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.accounts import services
from dangjian.accounts.models import ApiToken, Department, Grant, User, UserKind
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Forbidden
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area
from tests.world import PASSWORD

CHINESE = re.compile(r"[\u4e00-\u9fff]")
TOKEN_URL = "/api/v1/auth/token"


def login(client, username, password):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, content_type="application/json"
    )


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.django_db
class TestLoginFailures:
    # Issue 14 changed this on purpose: failures no longer lock the account nor revoke its
    # tokens (tests/spine/test_login_security.py pins the throttle that replaced it).
    def test_success_resets_the_count(self, world, client):
        for _ in range(2):
            assert login(client, "t-grid", "Wrong@pass1").status_code == 401
        assert login(client, "t-grid", PASSWORD).status_code == 200
        for _ in range(2):
            assert login(client, "t-grid", "Wrong@pass1").status_code == 401
        assert login(client, "t-grid", PASSWORD).status_code == 200
        row = AuditEntry.objects.filter(action="login").first()
        assert row.actor_id == world.users["grid"].pk
        assert row.remote_addr == "127.0.0.1"

    def test_unknown_user_is_audited_and_told_nothing_more(self, world, client):
        r = login(client, "no-such-user", PASSWORD)
        assert r.status_code == 401
        assert r.json()["detail"] == "用户名或密码错误"
        assert AuditEntry.objects.filter(action="login.failed", object_repr="no-such-user").exists()

    def test_inactive_user_cannot_log_in(self, world, client):
        User.objects.filter(pk=world.users["grid"].pk).update(is_active=False)
        assert login(client, "t-grid", PASSWORD).status_code == 401


@pytest.mark.django_db
class TestTokens:
    def test_token_dies_with_a_password_change(self, world, client):
        user = world.users["grid"]
        token = login(client, "t-grid", PASSWORD).json()["token"]
        assert me(client, token).status_code == 200
        services.user_change_password(
            actor=user, user=user, old_password=PASSWORD, new_password="New@pass2026"
        )
        assert me(client, token).status_code == 401
        assert login(client, "t-grid", PASSWORD).status_code == 401
        fresh = login(client, "t-grid", "New@pass2026")
        assert fresh.status_code == 200
        assert me(client, fresh.json()["token"]).status_code == 200
        assert AuditEntry.objects.filter(action="user.password", object_id=str(user.pk)).exists()

    def test_admin_reset_kills_tokens_too(self, world, client):
        token = login(client, "t-grid", PASSWORD).json()["token"]
        services.user_change_password(
            actor=world.users["street"],
            user=world.users["grid"],
            old_password=None,
            new_password="Reset@2026x",
        )
        assert me(client, token).status_code == 401

    def test_own_change_needs_the_old_password(self, world):
        user = world.users["street"]
        with pytest.raises(ValidationError) as exc:
            services.user_change_password(
                actor=user, user=user, old_password="nope", new_password="New@pass2026"
            )
        assert exc.value.message_dict["old_password"] == ["原密码不正确"]

    def test_out_of_scope_reset_is_404(self, world):
        with pytest.raises(Http404):
            services.user_change_password(
                actor=world.users["street3"],
                user=world.users["grid"],
                old_password=None,
                new_password="Reset@2026x",
            )

    def test_token_expires(self, world, client):
        r = login(client, "t-grid", PASSWORD)
        token = r.json()["token"]
        hours = settings.DANGJIAN["TOKEN_HOURS"]
        expires = dt.datetime.fromisoformat(r.json()["expires_at"])
        assert expires.utcoffset() == dt.timedelta(hours=8)
        with time_machine.travel(
            timezone.now() + dt.timedelta(hours=hours) - dt.timedelta(minutes=1), tick=False
        ):
            assert me(client, token).status_code == 200
        with time_machine.travel(timezone.now() + dt.timedelta(hours=hours, minutes=1), tick=False):
            r = me(client, token)
            assert r.status_code == 401
            assert r.json() == {"detail": "未登录或登录已过期"}

    def test_token_is_stored_hashed(self, world, client):
        token = login(client, "t-grid", PASSWORD).json()["token"]
        stored = list(ApiToken.objects.values_list("digest", flat=True))
        assert token not in stored
        assert all(len(d) == 64 for d in stored)

    @pytest.mark.parametrize(
        "header", ["Bearer ", "Bearer x", "Bearer " + "a" * 500, "Basic abc", "Token abc"]
    )
    def test_bad_tokens(self, world, client, header):
        r = client.get("/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401


@pytest.mark.django_db
class TestPasswords:
    @pytest.mark.parametrize(
        "password",
        ["Ab1!xyz", "abcdefgh1", "ABCDEFGH!", "abcdefghij", "12345678", "password"],
    )
    def test_rules(self, world, password):
        with pytest.raises(ValidationError) as exc:
            services.user_create(
                actor=world.users["street"], username="new-user", password=password, area=world.grid
            )
        messages = exc.value.message_dict["password"]
        assert messages and all(CHINESE.search(m) for m in messages), messages
        assert not User.objects.filter(username="new-user").exists()

    def test_messages_name_the_rule(self, world):
        with pytest.raises(ValidationError) as exc:
            services.user_create(
                actor=world.users["street"],
                username="new-user",
                password="abcdefgh1",
                area=world.grid,
            )
        assert "至少三类" in exc.value.message_dict["password"][0]
        with pytest.raises(ValidationError) as exc:
            services.user_create(
                actor=world.users["street"], username="new-user", password="Ab1!", area=world.grid
            )
        assert any("8" in m for m in exc.value.message_dict["password"])

    @pytest.mark.parametrize("password", ["Xq7mPz2k", "xq7m-pz2k", "XQ7M-PZ2K", "长密码Xq7m1234"])
    def test_good_passwords(self, world, password):
        u = services.user_create(
            actor=world.users["street"], username="new-user", password=password, area=world.grid
        )
        assert u.check_password(password)
        row = AuditEntry.objects.get(action="user.create", object_id=str(u.pk))
        assert "password" not in row.after

    def test_change_applies_the_rules(self, world):
        user = world.users["street"]
        with pytest.raises(ValidationError) as exc:
            services.user_change_password(
                actor=user, user=user, old_password=PASSWORD, new_password="short"
            )
        assert "password" in exc.value.message_dict
        user.refresh_from_db()
        assert user.check_password(PASSWORD)


@pytest.mark.django_db
class TestGrants:
    def _newcomer(self, world, area=None):
        return services.user_create(
            actor=world.users["street"],
            username="newcomer",
            password="Abcdefg1!",
            area=area or world.grid,
        )

    def test_grant_within_own_actions_and_scope(self, world):
        u = self._newcomer(world)
        g = services.grant_add(
            actor=world.users["street"], user=u, role_code="secretary", area=world.grid
        )
        assert g.area_id == world.grid.pk
        assert list(Area.objects.visible_to(u, "territory.view")) == [world.grid, world.unit]
        row = AuditEntry.objects.get(action="grant.add", object_id=str(u.pk))
        assert row.after["role"] == "secretary" and row.actor_id == world.users["street"].pk
        # the administrator may hand out any role
        services.grant_add(
            actor=world.users["admin"], user=u, role_code="grid_worker", area=world.grid
        )

    @pytest.mark.parametrize("role", ["system_admin", "county_staff", "city_staff"])
    def test_cannot_grant_beyond_own_actions(self, world, role):
        u = self._newcomer(world)
        before = Grant.objects.count()
        with pytest.raises(Forbidden):
            services.grant_add(actor=world.users["street"], user=u, role_code=role, area=world.grid)
        assert Grant.objects.count() == before

    def test_cannot_grant_out_of_scope_nodes(self, world):
        u = self._newcomer(world)
        with pytest.raises(Http404):
            services.grant_add(
                actor=world.users["street"], user=u, role_code="secretary", area=world.community2
            )
        with pytest.raises(Http404):
            services.grant_add(
                actor=world.users["street"],
                user=u,
                role_code="secretary",
                org=world.orgs["street2_wc"],
            )
        # nor to a user out of scope
        with pytest.raises(Http404):
            services.grant_add(
                actor=world.users["street"],
                user=world.users["street3"],
                role_code="secretary",
                area=world.grid,
            )
        assert not Grant.objects.filter(user=u).exists()

    def test_cannot_grant_without_accounts_manage(self, world):
        u = self._newcomer(world)
        with pytest.raises((Forbidden, Http404)):
            services.grant_add(
                actor=world.users["grid"], user=u, role_code="grid_worker", area=world.grid
            )

    def test_grant_shape(self, world):
        u = self._newcomer(world)
        with pytest.raises(ValidationError) as exc:
            services.grant_add(actor=world.users["street"], user=u, role_code="grid_worker")
        assert "node" in exc.value.message_dict
        with pytest.raises(ValidationError):
            services.grant_add(
                actor=world.users["street"], user=u, role_code="member", area=world.grid
            )
        with pytest.raises(ValidationError):
            services.grant_add(
                actor=world.users["street"], user=u, role_code="department", area=world.grid
            )
        with pytest.raises(ValidationError) as exc:
            services.grant_add(
                actor=world.users["street"], user=u, role_code="no_such_role", area=world.grid
            )
        assert exc.value.message_dict["role"] == ["角色不存在"]


@pytest.mark.django_db
class TestReach:
    def test_department_reach(self, world):
        dept = services.department_create(
            actor=world.users["street"], name="龙桥城管中队", area=world.street
        )
        other = services.department_create(
            actor=world.users["street"], name="龙桥市场监管所", area=world.street
        )
        staff = services.user_create(
            actor=world.users["street"],
            username="dept-user",
            password="Abcdefg1!",
            kind=UserKind.DEPARTMENT,
            department=dept,
        )
        services.grant_add(actor=None, user=staff, role_code="department", department=dept)
        reach = staff.reach("cases.view")
        assert reach.department_ids == (dept.pk,) and not reach.area_paths and reach.user_id is None
        assert list(Department.objects.visible_to(staff, "cases.view")) == [dept]
        assert other not in Department.objects.visible_to(staff, "cases.handle")
        # department reach opens nothing of the trees, and nothing for actions the role lacks
        assert not Area.objects.visible_to(staff, "cases.view").exists()
        assert not PartyOrg.objects.visible_to(staff, "cases.view").exists()
        assert not Department.objects.visible_to(staff, "territory.view").exists()

    def test_self_reach(self, world):
        member = world.users["member"]
        reach = member.reach("members.view")
        assert reach.user_id == member.pk and not reach.area_paths and not reach.org_paths
        assert list(User.objects.visible_to(member, "members.view")) == [member]
        assert not Area.objects.visible_to(member, "members.view").exists()
        assert not User.objects.visible_to(member, "territory.view").exists()
        resident = world.users["resident"]
        assert list(User.objects.visible_to(resident, "cases.view")) == [resident]
        assert list(AuditEntry.objects.visible_to(resident, "audit.view")) == list(
            AuditEntry.objects.filter(actor=resident)
        )

    def test_subtree_reach_is_the_union_of_grants(self, world):
        street = world.users["street"]
        reach = street.reach("organizations.view")
        assert reach.area_paths == (world.street.path,)
        assert reach.org_paths == (world.orgs["street_wc"].path,)
        names = set(
            PartyOrg.objects.visible_to(street, "organizations.view").values_list("name", flat=True)
        )
        assert names == {
            "中共龙桥街道工作委员会",
            "中共龙桥社区委员会",
            "龙桥社区第一网格党支部",
            "1号楼党小组",
        }

    def test_inactive_user_reaches_nothing(self, world):
        u = world.users["street"]
        u.is_active = False
        assert not Area.objects.visible_to(u, "territory.view").exists()

    def test_anonymous_reaches_nothing(self, world):
        from django.contrib.auth.models import AnonymousUser

        assert not Area.objects.visible_to(AnonymousUser(), "territory.view").exists()
        assert not Area.objects.visible_to(None, "territory.view").exists()

    def test_admin_has_no_back_door(self, world, api):
        root = User.objects.create_superuser("root", password="Root@2026x")
        root.is_staff = True
        assert not Area.objects.visible_to(root, "territory.view").exists()
        assert not AuditEntry.objects.visible_to(root, "audit.view").exists()
        assert api.get(root, "/api/v1/areas/").json() == {"items": [], "count": 0}
        assert api.get(root, f"/api/v1/areas/{world.city.pk}").status_code == 404
        # a system_admin grant on a county reaches that county only
        admin2 = User.objects.create_user("admin2", password="Root@2026x")
        services.grant_add(actor=None, user=admin2, role_code="system_admin", area=world.county2)
        assert set(Area.objects.visible_to(admin2, "territory.manage")) == {
            world.county2,
            world.street3,
        }
        assert api.get(admin2, f"/api/v1/areas/{world.city.pk}").status_code == 404
        assert api.get(world.users["nobody"], "/api/v1/areas/").json()["count"] == 0

    def test_me_lists_grants(self, world, api):
        r = api.get(world.users["street"], "/api/v1/me")
        assert r.status_code == 200
        body = r.json()
        assert (
            body["username"] == "t-street"
            and body["kind"] == "staff"
            and body["kind_label"] == "工作人员"
        )
        grants = sorted(body["grants"], key=lambda g: g["node_type"])
        assert grants == [
            {
                "role": "township_staff",
                "role_label": "乡镇(街道)组织工作人员",
                "node_type": "area",
                "node_id": world.street.pk,
                "node_name": "龙桥街道",
            },
            {
                "role": "township_staff",
                "role_label": "乡镇(街道)组织工作人员",
                "node_type": "org",
                "node_id": world.orgs["street_wc"].pk,
                "node_name": "中共龙桥街道工作委员会",
            },
        ]
        member = api.get(world.users["member"], "/api/v1/me").json()
        assert member["grants"] == [
            {
                "role": "member",
                "role_label": "党员",
                "node_type": None,
                "node_id": None,
                "node_name": None,
            }
        ]
        assert api.get(world.users["nobody"], "/api/v1/me").json()["grants"] == []
