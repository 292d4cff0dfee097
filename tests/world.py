"""A small world for tests: two counties, nested chains, orgs, users with grants."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import transaction

from dangjian.accounts import services as accounts
from dangjian.accounts.models import User, UserKind
from dangjian.core.treemodel import node_insert
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
from dangjian.territory.models import LEVEL_OF, Area, AreaKind

PASSWORD = "Test@2026pass"


@transaction.atomic  # node_insert locks the parent row: PostgreSQL needs a transaction
def area(parent, name, kind, **extra):
    return node_insert(
        Area, parent=parent, name=name, kind=kind, level=LEVEL_OF[AreaKind(kind)], **extra
    )


@transaction.atomic
def org(parent, name, kind, anchor, domain=OrgDomain.COMMUNITY, **extra):
    return node_insert(
        PartyOrg,
        parent=parent,
        name=name,
        kind=kind,
        domain=domain,
        area=anchor,
        area_path=anchor.path,
        **extra,
    )


def user(
    username,
    *,
    role=None,
    area_node=None,
    org_node=None,
    department=None,
    kind=UserKind.STAFF,
    home=None,
):
    u = User(
        username=username,
        real_name=username,
        kind=kind,
        area=home or area_node,
        area_path=(home or area_node).path if (home or area_node) else "",
        department=department,
    )
    u.set_password(PASSWORD)
    u.save()
    if role:
        accounts.grant_add(
            actor=None, user=u, role_code=role, area=area_node, org=org_node, department=department
        )
    return u


@dataclass
class World:
    nodes: dict = field(default_factory=dict)
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)

    def __getattr__(self, name):
        for d in (self.nodes, self.orgs, self.users):
            if name in d:
                return d[name]
        raise AttributeError(name)


def copy_of(world: World) -> World:
    """A deep copy of the world's model instances, taken in one pass so that instances shared
    between the maps (a user's cached area is a node) stay shared in the copy."""
    import copy

    nodes, orgs, users = copy.deepcopy((world.nodes, world.orgs, world.users))
    return World(nodes=nodes, orgs=orgs, users=users)


@transaction.atomic
def build() -> World:
    # A transactional test's flush (browser tests) empties the role table the migration
    # wrote; put it back so whatever runs next on this worker finds the roles.
    accounts.roles_sync()
    w = World()
    n = w.nodes
    n["city"] = area(None, "莆田市", AreaKind.CITY, code="350300")
    n["county"] = area(n["city"], "城厢区", AreaKind.COUNTY, code="350302")
    n["county2"] = area(n["city"], "荔城区", AreaKind.COUNTY, code="350304")
    n["street"] = area(n["county"], "龙桥街道", AreaKind.STREET, code="350302001000")
    n["street2"] = area(n["county"], "凤凰山街道", AreaKind.STREET)
    n["street3"] = area(n["county2"], "镇海街道", AreaKind.STREET)
    n["community"] = area(n["street"], "龙桥社区", AreaKind.COMMUNITY)
    n["community2"] = area(n["street2"], "凤山社区", AreaKind.COMMUNITY)
    n["grid"] = area(n["community"], "龙桥社区第一网格", AreaKind.GRID, households=300)
    n["grid2"] = area(n["community"], "龙桥社区第二网格", AreaKind.GRID)
    n["unit"] = area(n["grid"], "1号楼单元", AreaKind.UNIT, households=96, population=280)
    # A rural chain: a township 党委 (sector 农村) approves member development, the village
    # 党委 under it does not (DOMAIN.md).
    n["township"] = area(n["county"], "华亭镇", AreaKind.TOWNSHIP, code="350302100000")
    n["village"] = area(n["township"], "园头村", AreaKind.VILLAGE, code="350302100201")
    o = w.orgs
    o["city_committee"] = org(None, "中共莆田市委", OrgKind.COMMITTEE, n["city"], OrgDomain.AGENCY)
    o["county_committee"] = org(
        o["city_committee"], "中共城厢区委", OrgKind.COMMITTEE, n["county"], OrgDomain.AGENCY
    )
    o["county2_committee"] = org(
        o["city_committee"], "中共荔城区委", OrgKind.COMMITTEE, n["county2"], OrgDomain.AGENCY
    )
    o["street_wc"] = org(
        o["county_committee"], "中共龙桥街道工作委员会", OrgKind.WORKING_COMMITTEE, n["street"]
    )
    o["street2_wc"] = org(
        o["county_committee"], "中共凤凰山街道工作委员会", OrgKind.WORKING_COMMITTEE, n["street2"]
    )
    o["community_committee"] = org(
        o["street_wc"], "中共龙桥社区委员会", OrgKind.COMMITTEE, n["community"]
    )
    o["grid_branch"] = org(
        o["community_committee"], "龙桥社区第一网格党支部", OrgKind.BRANCH, n["grid"]
    )
    o["unit_group"] = org(o["grid_branch"], "1号楼党小组", OrgKind.GROUP, n["unit"])
    o["township_committee"] = org(
        o["county_committee"],
        "中共华亭镇委员会",
        OrgKind.COMMITTEE,
        n["township"],
        OrgDomain.VILLAGE,
    )
    o["village_committee"] = org(
        o["township_committee"],
        "中共园头村委员会",
        OrgKind.COMMITTEE,
        n["village"],
        OrgDomain.VILLAGE,
    )
    o["village_branch"] = org(
        o["village_committee"], "园头村第一党支部", OrgKind.BRANCH, n["village"], OrgDomain.VILLAGE
    )
    u = w.users
    u["admin"] = user("t-admin", role="system_admin", area_node=n["city"])
    accounts.grant_add(
        actor=None, user=u["admin"], role_code="system_admin", org=o["city_committee"]
    )
    u["city"] = user("t-city", role="city_staff", area_node=n["city"])
    accounts.grant_add(actor=None, user=u["city"], role_code="city_staff", org=o["city_committee"])
    u["county"] = user("t-county", role="county_staff", area_node=n["county"])
    accounts.grant_add(
        actor=None, user=u["county"], role_code="county_staff", org=o["county_committee"]
    )
    u["street"] = user("t-street", role="township_staff", area_node=n["street"])
    accounts.grant_add(actor=None, user=u["street"], role_code="township_staff", org=o["street_wc"])
    u["street3"] = user("t-street3", role="township_staff", area_node=n["street3"])
    u["community"] = user("t-community", role="secretary", area_node=n["community"])
    accounts.grant_add(
        actor=None, user=u["community"], role_code="secretary", org=o["community_committee"]
    )
    u["grid"] = user("t-grid", role="grid_worker", area_node=n["grid"])
    u["member"] = user("t-member", role="member", kind=UserKind.MEMBER, home=n["unit"])
    u["resident"] = user("t-resident", role="resident", kind=UserKind.RESIDENT, home=n["unit"])
    u["nobody"] = user("t-nobody")
    return w


class ApiClient:
    """Calls the API as a user through a bearer token."""

    def __init__(self, client):
        self.client = client
        self._tokens: dict[int, str] = {}

    def _headers(self, user):
        if user is None:
            return {}
        if user.pk not in self._tokens:
            raw, _ = accounts.token_issue(user=user)
            self._tokens[user.pk] = raw
        return {"Authorization": f"Bearer {self._tokens[user.pk]}"}

    def get(self, user, path, **params):
        return self.client.get(path, params, headers=self._headers(user))

    def post(self, user, path, data=None, raw=None):
        body = raw if raw is not None else json.dumps(data or {})
        return self.client.post(
            path, body, content_type="application/json", headers=self._headers(user)
        )


def enrol_totp(user, password: str = PASSWORD):
    """Give ``user`` a second factor through the services; returns its ``pyotp.TOTP``. The
    code it confirmed with is used up: log in with ``next_code``."""
    import pyotp

    secret = pyotp.parse_uri(accounts.totp_begin(user=user, password=password)).secret
    totp = pyotp.TOTP(secret)
    accounts.totp_confirm(user=user, code=totp.now(), password=password)
    user.refresh_from_db()
    return totp


def next_code(totp) -> str:
    """The code of the next time step (accepted once, within the window)."""
    import time

    return totp.generate_otp(int(time.time()) // totp.interval + 1)


def fresh_code(totp, username: str) -> str:
    """A code for ``username``'s next login even if one was used this time step (tests that
    sign the same account in twice): forgets the last accepted step first."""
    User.objects.filter(username=username).update(totp_last_counter=None)
    return totp.now()
