"""The demo city generator at small scale: the nested demo chain, logins, tree invariants."""

from __future__ import annotations

import copy
import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F

from dangjian.accounts.models import Department, User
from dangjian.core import crypto, tree
from dangjian.core.models import AuditEntry
from dangjian.demo.accounts import DEMO_ACCOUNTS, DEMO_USERNAMES
from dangjian.demo.bulk import spread
from dangjian.demo.generator import seed
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.territory.models import Area, AreaKind, Household
from tests.conftest import module_rows
from tests.world import ApiClient


@pytest.fixture(scope="module")
def _seeded(django_db_setup, django_db_blocker):
    """The small demo city, seeded once for the module (tests/conftest.py: each test's own
    transaction is a savepoint inside it). Tests that need an empty database live in
    test_seed_modules.py."""
    yield from module_rows(django_db_blocker, lambda: seed("small", progress=False))


@pytest.fixture
def demo(_seeded, db):
    return copy.deepcopy(_seeded)


def _user(username):
    return User.objects.get(username=username)


def test_spread_is_exact():
    assert sum(spread(123839, [1.0, 2.5, 0.3] * 3400, minimum=3)) == 123839
    assert min(spread(50, [1, 100, 1], minimum=2)) == 2


@pytest.mark.django_db
def test_small_city_shape(demo):
    assert demo["area_kinds"]["city"] == 1
    assert demo["area_kinds"]["county"] == 2
    assert demo["area_kinds"]["street"] + demo["area_kinds"]["township"] == 4
    assert demo["areas"] == Area.objects.count() < 500
    assert demo["party_orgs"] == PartyOrg.objects.count()
    assert Household.objects.count() == demo["household_rows"] > 0
    # Unit counts are the listed households; every level sums its children.
    unit = Area.objects.filter(kind=AreaKind.UNIT).first()
    assert unit.households == Household.objects.filter(unit=unit).count()
    city = Area.objects.get(parent__isnull=True)
    assert city.households == demo["households"] == Household.objects.count()
    assert city.population == sum(Household.objects.values_list("members", flat=True))
    # Each grid branch and unit group is anchored to its grid or unit.
    for org in PartyOrg.objects.filter(kind=OrgKind.GROUP).select_related("area"):
        assert org.area.kind == AreaKind.UNIT and org.area_path == org.area.path
    # Department phones are encrypted at rest with a blind index beside them.
    dept = Department.objects.first()
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM accounts_department WHERE id = %s", [dept.pk])
        stored = cur.fetchone()[0]
    assert crypto.is_token(stored) and crypto.decrypt(stored) == dept.phone != stored
    assert dept.phone_index == crypto.blind_index("phone", dept.phone)


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Area, PartyOrg])
def test_tree_invariants(demo, model):
    nodes = list(model.objects.all())
    by_id = {n.pk: n for n in nodes}
    children = {n.pk: 0 for n in nodes}
    for n in nodes:
        assert n.depth == len(n.path) // tree.STEP_WIDTH == tree.depth_of(n.path)
        assert len(n.path) % tree.STEP_WIDTH == 0
        if n.parent_id:
            parent = by_id[n.parent_id]
            children[parent.pk] += 1
            assert n.path.startswith(parent.path) and n.depth == parent.depth + 1
        else:
            assert n.depth == 1
        assert n.pinyin
    for n in nodes:
        assert n.child_count == children[n.pk], n.name
        assert n.next_child >= n.child_count
    assert len({n.path for n in nodes}) == len(nodes)


@pytest.mark.django_db
def test_node_insert_after_seed(demo):
    """child_count and next_child are right, so the services can add nodes afterwards."""
    from dangjian.core.treemodel import node_insert
    from dangjian.territory.models import LEVEL_OF

    grid = Area.objects.filter(kind=AreaKind.GRID).first()
    before = grid.child_count
    unit = node_insert(
        Area, parent=grid, name="新建单元", kind=AreaKind.UNIT, level=LEVEL_OF[AreaKind.UNIT]
    )
    grid.refresh_from_db()
    assert grid.child_count == before + 1 and unit.path.startswith(grid.path)


@pytest.mark.django_db
def test_demo_chain_and_reach(demo, client):
    api = ApiClient(client)
    street = _user("demo-street")
    r = api.get(street, "/api/v1/areas/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 1
    top = Area.objects.get(pk=body["items"][0]["id"])
    assert top.kind == AreaKind.STREET and top.pk == street.area_id

    chain = [
        _user(u).area
        for u in ("demo-city", "demo-county", "demo-street", "demo-community", "demo-grid")
    ]
    for outer, inner in itertools.pairwise(chain):
        assert inner.path.startswith(outer.path) and inner.depth > outer.depth
    assert [a.kind for a in chain] == ["city", "county", "street", "community", "grid"]

    grid = _user("demo-grid").area
    for username in ("demo-member", "demo-resident"):
        u = _user(username)
        assert u.area.kind == AreaKind.UNIT and u.area.parent_id == grid.pk
        r = api.get(u, "/api/v1/areas/")
        assert r.status_code == 200 and r.json() == {"items": [], "count": 0}
        assert u.grants.count() == 1 and u.grants.get().area_id is None
        assert u.grants.get().org_id is None and u.grants.get().department_id is None
    r = api.get(_user("demo-grid"), "/api/v1/areas/")
    assert [i["id"] for i in r.json()["items"]] == [grid.pk]

    dept_user = _user("demo-dept")
    assert dept_user.department.area_id == _user("demo-county").area_id
    assert dept_user.grants.get().department_id == dept_user.department_id

    admin = _user("demo-admin")
    roots = {(g.area_id, g.org_id) for g in admin.grants.all()}
    assert roots == {
        (Area.objects.get(parent__isnull=True).pk, None),
        (None, PartyOrg.objects.get(parent__isnull=True).pk),
    }
    r = api.get(_user("demo-city"), "/api/v1/orgs/")
    assert [i["name"] for i in r.json()["items"]] == ["中共莆田市委员会"]


@pytest.mark.django_db
def test_every_demo_account_logs_in(demo, client, settings):
    # In demo mode (``dangjian demo`` sets it) the published password works and granting
    # accounts need no second factor; outside it, tests/spine/test_login_security.py.
    settings.DANGJIAN = {**settings.DANGJIAN, "DEMO_MODE": True}
    assert [u for u, _label in DEMO_ACCOUNTS] == DEMO_USERNAMES
    for username in DEMO_USERNAMES:
        r = client.post(
            "/api/v1/auth/token",
            {"username": username, "password": settings.DANGJIAN["DEMO_PASSWORD"]},
            content_type="application/json",
        )
        assert r.status_code == 200, (username, r.content)
    assert not User.objects.filter(must_change_password=True).exists()
    # Outside demo mode the demo password must be changed first: no token, a Chinese 403.
    settings.DANGJIAN = {**settings.DANGJIAN, "DEMO_MODE": False}
    r = client.post(
        "/api/v1/auth/token",
        {"username": "demo-grid", "password": settings.DANGJIAN["DEMO_PASSWORD"]},
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["detail"].startswith("须先修改密码")
    assert User.objects.get(username="demo-grid").must_change_password
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_staff=True).exists()


@pytest.mark.django_db
def test_second_seed_refused_and_one_audit_row(demo):
    with pytest.raises(CommandError, match="已有"):
        seed("small", progress=False)
    with pytest.raises(CommandError):
        call_command("seed", "--scale", "small", "--no-progress")
    rows = AuditEntry.objects.filter(action="demo.seed")
    assert rows.count() == 1
    assert rows.get().after["areas"] == demo["areas"]
    assert rows.get().actor_id is None


@pytest.mark.django_db
def test_createadmin(demo):
    from io import StringIO

    out = StringIO()
    call_command("createadmin", "--username", "boss", "--password", "Strong#Pass2026", stdout=out)
    assert "已创建" in out.getvalue()
    boss = _user("boss")
    assert not boss.is_superuser and boss.grants.count() == 2
    with pytest.raises(CommandError, match="密码"):
        call_command("createadmin", "--username", "weak", "--password", "abc")
    with pytest.raises(CommandError, match="已被使用"):
        call_command("createadmin", "--username", "boss", "--password", "Strong#Pass2026")


# --- members -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_members_are_valid_files(demo):
    from collections import Counter

    from dangjian.core.validators import validate_id_number
    from dangjian.members.models import Member, MemberCategory
    from dangjian.members.services import OWN_FIELDS, clean_member_fields

    members = list(Member.objects.prefetch_related("category_rows"))
    assert (
        len(members)
        == demo["members"]
        == AuditEntry.objects.get(action="demo.seed").after["members"]
    )
    assert 300 <= len(members) <= 600
    ids = set()
    for m in members:
        values = {f: getattr(m, f) for f in OWN_FIELDS if f != "categories"}
        values["categories"] = m.category_codes()
        _clean, errors = clean_member_fields(values, explicit=set(values))
        assert not errors, (m.name, dict(errors))
        validate_id_number(m.id_number)
        assert m.id_number_index == crypto.blind_index("id_number", m.id_number)
        assert not m.phone or m.phone_index == crypto.blind_index("phone", m.phone)
        assert m.name_pinyin and m.org_path == m.org.path
        assert not m.unit_id or m.area_path == m.unit.path
        ids.add(m.id_number)
        age = m.age()
        assert 20 <= age <= 91, (m.name, age)
    assert len(ids) == len(members)
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM members_member WHERE phone <> '' LIMIT 1")
        raw_id, raw_phone = cur.fetchone()
    assert crypto.is_token(raw_id) and crypto.is_token(raw_phone)

    status = Counter(m.status for m in members)
    assert status["full"] > 0.85 * len(members) and status["probationary"] > 0
    men = sum(1 for m in members if m.gender == "male") / len(members)
    assert 0.6 < men < 0.8
    categories = Counter(MemberCategory.objects.values_list("code", flat=True))
    for code in ("in_service", "retired", "mobile", "in_difficulty", "farmer"):
        assert categories[code] > 0, code
    assert len({m.education for m in members}) >= 5
    assert min(m.joined_on for m in members).year < 1990


@pytest.mark.django_db
def test_demo_member_has_own_file(demo, client):
    from dangjian.members.models import Member

    user = _user("demo-member")
    m = Member.objects.get(user=user)
    grid = _user("demo-grid").area
    assert m.org.kind == OrgKind.BRANCH and m.org.area_id == grid.pk
    assert m.unit_id == user.area_id and m.name == user.real_name
    api = ApiClient(client)
    r = api.get(user, "/api/v1/members/")
    assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == [m.pk]
    # The grid's community secretary and the street see the file; the member sees only it.
    assert api.get(_user("demo-community"), f"/api/v1/members/{m.pk}").status_code == 200
    r = api.get(_user("demo-street"), "/api/v1/stats/members")
    assert r.json()["total"] > 1


@pytest.mark.django_db
def test_mobile_checkins_cadres_and_unit_roles(demo, client):
    from dangjian.cadres.models import Cadre, MentorPair, ReserveCadre
    from dangjian.cadres.services import clean_cadre_fields
    from dangjian.core.validation import Errors
    from dangjian.members.models import CommunityCheckin, MobileRegistration, UnitRole

    assert MobileRegistration.objects.count() == demo["mobile_members"] > 0
    for reg in MobileRegistration.objects.select_related("member"):
        assert reg.active and reg.left_on <= reg.last_contact_on
        assert reg.member.category_rows.filter(code="mobile").exists()
    assert CommunityCheckin.objects.count() == demo["checkins"] > 0
    for c in CommunityCheckin.objects.select_related("member", "community"):
        assert c.community.kind == AreaKind.COMMUNITY and c.area_path == c.community.path
        assert c.member.area_path.startswith(c.area_path)

    villages = Area.objects.filter(kind__in=[AreaKind.VILLAGE, AreaKind.COMMUNITY])
    assert Cadre.objects.count() == demo["cadres"]
    for village in villages:
        seats = list(Cadre.objects.filter(area=village).select_related("member"))
        secretaries = [c for c in seats if c.position == "secretary"]
        assert len(secretaries) == 1, village.name
        directors = [c for c in seats if c.position == "director"]
        assert len(directors) == (0 if secretaries[0].one_shoulder else 1), village.name
        for c in seats:
            errors = Errors()
            values = {
                f: getattr(c, f)
                for f in (
                    "name",
                    "committee",
                    "position",
                    "one_shoulder",
                    "cross_holding",
                    "party_member",
                    "gender",
                    "birth_date",
                    "education",
                    "term_start",
                    "term_end",
                    "ended_on",
                )
            }
            clean_cadre_fields(
                errors, values, area=village, member=c.member, explicit=set(values), exclude_pk=c.pk
            )
            assert not errors, (c, dict(errors))
    assert ReserveCadre.objects.count() == MentorPair.objects.count() == demo["mentor_pairs"] > 0
    assert not MentorPair.objects.exclude(mentor__area_id=F("mentee__area_id")).exists()
    roles = list(UnitRole.objects.select_related("member", "unit"))
    assert len(roles) == demo["unit_roles"] > 0
    for r in roles:
        assert r.unit.kind == AreaKind.UNIT and r.area_path == r.unit.path
        if r.role == "center_household":
            assert r.member.area_path == r.unit.path
    api = ApiClient(client)
    street = _user("demo-street")
    stats = api.get(street, "/api/v1/stats/cadres").json()
    assert stats["cadres"] > 0 and stats["secretaries"] == stats["villages"]
    assert 0 < stats["one_shoulder_rate"] <= 1 and 30 < stats["average_age"] < 60
    assert api.get(street, "/api/v1/members/cadres/").json()["count"] == stats["cadres"]


@pytest.mark.django_db
def test_points_and_timebank_residents_hold_the_resident_role(demo, client):
    """The residents the points and time-bank demos open (the points scheme's residents, each
    community's resident and the riders registered at its stations) hold the resident role, as
    the community's bulk opening of accounts gives it: they may report an event."""
    from dangjian.accounts.models import UserKind

    opened = {
        prefix: list(User.objects.filter(username__startswith=prefix, kind=UserKind.RESIDENT))
        for prefix in ("demo-jm", "tb-r", "tb-q")
    }
    assert all(opened.values()), {p: len(us) for p, us in opened.items()}
    for users in opened.values():
        for u in users:
            # (a rider who is an assistant grid worker holds the grid worker's grant besides)
            assert "resident" in u.grants.values_list("role__code", flat=True), u
    api = ApiClient(client)
    for users in opened.values():
        u = users[0]
        r = api.post(u, "/api/v1/cases/", {"area_id": u.area_id, "description": "楼道灯坏了好几天"})
        assert r.status_code == 200, (u.username, r.status_code, r.content[:300])
