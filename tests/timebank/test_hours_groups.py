"""Service hours per member, team, organization, community and in-service member's work unit
(issue 16), through the API: each grouping sums the confirmed hours of what the caller reaches;
another street sees none of it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from dangjian.accounts.models import UserKind
from dangjian.members.services.account_link import member_account_link
from dangjian.members.services.checkin import member_checkin
from dangjian.timebank import services
from tests.members.helpers import member as make_member
from tests.timebank.helpers import move, order
from tests.world import user as make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/timebank"


def _helper(world, name, org, work_unit):
    admin = world.users["admin"]
    u = make_user(f"t-{name}", role="member", kind=UserKind.MEMBER, home=world.nodes["unit"])
    u.real_name = name
    u.save(update_fields=["real_name"])
    m = make_member(
        admin, world.orgs[org], name=name, work_unit=work_unit, categories=["in_service"]
    )
    member_account_link(actor=admin, user=u, member=m)
    member_checkin(actor=admin, member=m, community=world.nodes["community"])
    return u


def _serve(world, o, people_minutes):
    start = timezone.now() + dt.timedelta(hours=2)
    for who, _minutes in people_minutes:
        move(who, o, "accept")
    with time_machine.travel(start, tick=False):
        for who, _minutes in people_minutes:
            move(who, o, "check_in")
    for who, minutes in people_minutes:
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            move(who, o, "check_out")
    with time_machine.travel(start + dt.timedelta(hours=4), tick=False):
        move(world.users["resident"], o, "confirm", rating=5)


def _rows(api, user, **params):
    r = api.get(user, f"{BASE}/hours/", **params)
    assert r.status_code == 200, r.content
    return {(x["name"], x["hours"], x["services"]) for x in r.json()}


def test_hours_per_member_team_organization_community_and_work_unit(world, api):
    community = world.users["community"]
    a = _helper(world, "李红", "grid_branch", "城厢区财政局")
    b = _helper(world, "王强", "unit_group", "莆田学院")
    team = services.team_create(
        actor=community, community=world.nodes["community"], name="巾帼红志愿服务队", kind="women"
    )
    services.team_member_add(actor=community, team=team, user=a, role="leader")
    by_team = order(world)
    move(community, by_team, "dispatch", team_id=team.pk)
    _serve(world, by_team, [(a, 120)])
    opened = order(world, helpers=2)
    move(community, opened, "dispatch", open_to_checked_in=True)
    _serve(world, opened, [(a, 90), (b, 60)])
    unconfirmed = order(world)
    move(community, unconfirmed, "dispatch", open_to_checked_in=True)
    move(b, unconfirmed, "accept")  # accepted, never served: no hours

    assert _rows(api, community, by="member") == {("李红", "3.50", 2), ("王强", "1.00", 1)}
    assert _rows(api, community, by="team") == {
        ("巾帼红志愿服务队", "2.00", 1),
        ("（未分组）", "2.50", 2),
    }
    assert _rows(api, community, by="org") == {
        ("龙桥社区第一网格党支部", "3.50", 2),
        ("1号楼党小组", "1.00", 1),
    }
    assert _rows(api, community, by="community") == {("龙桥社区", "4.50", 3)}
    assert _rows(api, community, by="work_unit") == {
        ("城厢区财政局", "3.50", 2),
        ("莆田学院", "1.00", 1),
    }
    # Another street reaches neither the places nor the members: nothing.
    assert _rows(api, world.users["street3"], by="member") == set()
