"""Grants: one gives only a role whose every action one holds at or above the node; an end
date stops the reach; every grant and revocation is audited; the reach page says why."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.accounts import services
from dangjian.accounts.models import GRANT_CACHE, Grant, User
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Forbidden
from dangjian.territory.models import Area
from tests.world import user

pytestmark = pytest.mark.django_db


def _newcomer(world, username="newcomer", area=None):
    return services.user_create(
        actor=world.users["street"],
        username=username,
        password="Abcdefg1!",
        area=area or world.grid,
    )


class TestAtOrAboveTheNode:
    def test_grant_at_own_node_and_below(self, world):
        u = _newcomer(world)
        services.grant_add(
            actor=world.users["street"], user=u, role_code="township_staff", area=world.street
        )
        services.grant_add(
            actor=world.users["street"], user=u, role_code="grid_worker", area=world.grid
        )
        assert Grant.objects.filter(user=u).count() == 2

    def test_grant_above_own_node_refused_nothing_written(self, world):
        """The street's staff hold every action of township_staff, but at the street: a
        grant of it on the county is above their reach."""
        u = _newcomer(world)
        county_staff = world.users["county"]
        before = (Grant.objects.count(), AuditEntry.objects.filter(action="grant.add").count())
        # The county is visible to nobody below it for accounts.manage: 404, as out of scope.
        with pytest.raises(Http404):
            services.grant_add(
                actor=world.users["street"], user=u, role_code="township_staff", area=world.county
            )
        # On the party tree: the street's committee is theirs, the county's is not.
        with pytest.raises(Http404):
            services.grant_add(
                actor=world.users["street"],
                user=u,
                role_code="township_staff",
                org=world.orgs["county_committee"],
            )
        assert county_staff.pk  # the fixture's county officer is untouched
        after = (Grant.objects.count(), AuditEntry.objects.filter(action="grant.add").count())
        assert after == before

    def test_grant_above_the_actors_node(self, world):
        """An officer with township rights on one grid appoints at that grid, not at the
        community above it (404: above one's grant reads as absent)."""
        actor = user("t-gridboss", role="township_staff", area_node=world.grid)
        u = _newcomer(world, area=world.grid)
        services.grant_add(actor=actor, user=u, role_code="grid_worker", area=world.grid)
        with pytest.raises(Http404):
            services.grant_add(actor=actor, user=u, role_code="grid_worker", area=world.community)
        assert Grant.objects.filter(user=u).count() == 1

    def test_action_held_only_elsewhere_is_not_enough(self, world):
        """The old rule (each action held somewhere) let this through: the actor manages
        accounts over the first street and holds county_staff's extra actions (assessment,
        dashboard, authorizing approvals) only on the second street. A county_staff grant
        on the first street's grid is refused, naming the first action missing there."""
        actor = user("t-split", role="township_staff", area_node=world.street)
        services.grant_add(actor=None, user=actor, role_code="county_staff", area=world.street2)
        u = _newcomer(world, username="split-target", area=world.grid)
        with pytest.raises(Forbidden) as exc:
            services.grant_add(actor=actor, user=u, role_code="county_staff", area=world.grid)
        assert exc.value.message.startswith("不能授予超出本人权限的角色：您在该节点没有“")
        assert not Grant.objects.filter(user=u).exists()
        # at the second street the same grant is within reach
        v = services.user_create(
            actor=actor, username="split-target2", password="Abcdefg1!", area=world.community2
        )
        services.grant_add(actor=actor, user=v, role_code="county_staff", area=world.community2)

    def test_missing_action_named(self, world):
        """A role with one action the actor lacks at the node: 403 naming it."""
        actor = user("t-norev", role="township_staff", area_node=world.street)
        u = _newcomer(world, username="target2")
        # city_staff adds audit.reveal_actor (and more) that township staff never hold
        before = Grant.objects.count()
        with pytest.raises(Forbidden) as exc:
            services.grant_add(actor=actor, user=u, role_code="city_staff", area=world.grid)
        assert "不能授予超出本人权限的角色" in exc.value.message
        assert "“" in exc.value.message
        assert Grant.objects.count() == before

    def test_department_grant_needs_every_served_area(self, world):
        dept = services.department_create(
            actor=world.users["county"],
            name="城厢区环卫处",
            area=world.street,
            served_areas=[world.street, world.street2],
        )
        staff = services.user_create(
            actor=world.users["county"],
            username="dept-staff",
            password="Abcdefg1!",
            department=dept,
        )
        # the street's staff reach only one of the two served streets
        with pytest.raises(Forbidden):
            services.grant_add(
                actor=world.users["street"], user=staff, role_code="department", department=dept
            )
        services.grant_add(
            actor=world.users["county"], user=staff, role_code="department", department=dept
        )
        assert staff.reach("cases.handle").department_ids == (dept.pk,)


class TestEndDate:
    def test_expired_grant_gives_no_reach_and_cache_rereads(self, world):
        u = _newcomer(world)
        today = timezone.localdate()
        services.grant_add(
            actor=world.users["street"],
            user=u,
            role_code="grid_worker",
            area=world.grid,
            ends_on=today,
        )
        u = User.objects.get(pk=u.pk)
        assert Area.objects.visible_to(u, "territory.view").exists()
        # the process cache now holds an entry read while the grant was in force
        with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
            fresh = User.objects.get(pk=u.pk)
            assert fresh.reach("territory.view").empty
            assert not Area.objects.visible_to(fresh, "territory.view").exists()
        GRANT_CACHE.forget()

    def test_end_date_in_the_past_refused(self, world):
        u = _newcomer(world)
        with pytest.raises(ValidationError) as exc:
            services.grant_add(
                actor=world.users["street"],
                user=u,
                role_code="grid_worker",
                area=world.grid,
                ends_on=timezone.localdate() - dt.timedelta(days=1),
            )
        assert exc.value.message_dict["ends_on"] == ["截止日期不能早于今天"]
        assert not Grant.objects.filter(user=u).exists()


class TestAudit:
    def test_grant_and_revoke_audited(self, world):
        u = _newcomer(world)
        g = services.grant_add(
            actor=world.users["street"],
            user=u,
            role_code="grid_worker",
            area=world.grid,
            ends_on=dt.date(2099, 1, 1),
        )
        row = AuditEntry.objects.get(action="grant.add", object_id=str(u.pk))
        assert row.after["ends_on"] == "2099-01-01" and row.actor_id == world.users["street"].pk
        services.grant_revoke(actor=world.users["street"], grant=g)
        row = AuditEntry.objects.get(action="grant.revoke", object_id=str(u.pk))
        assert row.before["role"] == "grid_worker"

    def test_cannot_revoke_a_grant_beyond_own_reach(self, world):
        """A street officer may see a user homed in the street who holds a county grant:
        revoking it would be taking what they could not give."""
        u = _newcomer(world)
        g = services.grant_add(
            actor=world.users["county"], user=u, role_code="county_staff", area=world.county
        )
        with pytest.raises(Forbidden):
            services.grant_revoke(actor=world.users["street"], grant=g)
        assert Grant.objects.filter(pk=g.pk).exists()


class TestReachPage:
    def test_expired_grant_listed_but_gives_nothing(self, world, api):
        u = _newcomer(world)
        services.grant_add(
            actor=world.users["street"],
            user=u,
            role_code="secretary",
            area=world.grid,
            ends_on=timezone.localdate(),
        )
        with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
            r = api.get(world.users["street"], f"/api/v1/users/{u.pk}/grants/")
            (g,) = r.json()["items"]
            assert g["in_force"] is False
            r = api.get(world.users["street"], f"/api/v1/users/{u.pk}/reach")
            assert r.json()["actions"] == []
        GRANT_CACHE.forget()

    def test_deactivated_user_reaches_nothing(self, world, api):
        g = world.users["grid"]
        services.user_set_active(actor=world.users["street"], user=g, active=False)
        r = api.get(world.users["street"], f"/api/v1/users/{g.pk}/reach")
        assert r.json() == {"user_id": g.pk, "is_active": False, "actions": []}
        assert AuditEntry.objects.filter(action="user.deactivate").count() == 1
