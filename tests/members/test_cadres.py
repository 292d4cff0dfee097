"""Village and community cadres (两委): validation, seats, scope, statistics; reserve cadres,
mentor pairs, and members' roles on units (党员中心户, 楼栋长)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.cadres import selectors as cadre_selectors
from dangjian.cadres import services as cadre_services
from dangjian.cadres.models import Cadre
from dangjian.core import scope
from dangjian.core.models import AuditEntry
from dangjian.members.models import UnitRole
from dangjian.territory.models import AreaKind
from tests import world as world_mod
from tests.members.helpers import id_no, member, patch

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def seat(world, area=None, actor=None, **kw) -> Cadre:
    values = {
        "committee": "party",
        "position": "member",
        "name": "王五",
        "gender": "male",
        "birth_date": dt.date(1980, 5, 1),
        "education": "bachelor",
        "term_start": dt.date(2021, 3, 1),
    }
    values.update(kw)
    return cadre_services.cadre_create(
        actor=actor or world.users["street"], area=area or world.community, **values
    )


@pytest.fixture
def village(world):
    return world_mod.area(world.street, "东山村", AreaKind.VILLAGE)


# --- validation ------------------------------------------------------------------------------


def test_create_defaults_the_term_and_audits(world):
    c = seat(world, position="secretary", one_shoulder=True, name="林书记")
    assert c.area_path == world.community.path
    assert c.term_end == dt.date(2026, 3, 1)  # five years
    assert c.cross_holding is True  # the one-shoulder secretary sits on both committees
    assert c.party_member is True and c.name_pinyin == "LSJ"
    entry = AuditEntry.objects.get(action="cadre.create", object_id=str(c.pk))
    assert entry.after["one_shoulder"] is True and entry.area_path == world.community.path
    assert entry.actor_id == world.users["street"].pk


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": " "}, "name", "请填写姓名"),
        ({"committee": "villagers"}, "committee", "社区设居民委员会，不设村民委员会"),
        ({"committee": "board"}, "committee", "所属组织取值无效"),
        ({"position": "director"}, "position", "党组织委员会的职务应为书记、副书记、委员"),
        (
            {"committee": "residents", "position": "secretary"},
            "position",
            "居民委员会的职务应为主任、副主任、委员",
        ),
        ({"one_shoulder": True}, "one_shoulder", "只有党组织书记可以兼任"),
        ({"party_member": False}, "party_member", "党组织委员会成员须为中共党员"),
        ({"gender": "x"}, "gender", "性别应为“男”或“女”"),
        ({"education": ""}, "education", "请填写学历"),
        ({"birth_date": dt.date(2010, 1, 1)}, "birth_date", "应年满18周岁"),
        ({"birth_date": dt.date(2005, 1, 1)}, "term_start", "任职时应年满18周岁"),
        ({"term_start": dt.date(2026, 7, 1)}, "term_start", "不能晚于今天"),
        ({"term_end": dt.date(2021, 1, 1)}, "term_end", "应晚于任期开始日期"),
        ({"term_end": dt.date(2027, 6, 1)}, "term_end", "每届任期5年"),
    ],
)
def test_validation_messages(world, overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        seat(world, **overrides)
    assert any(message in m for m in errors_of(exc)[field]), errors_of(exc)
    assert not Cadre.objects.exists()


def test_villagers_committee_only_in_a_village(world, village):
    c = seat(world, area=village, committee="villagers", position="director", party_member=False)
    assert c.committee == "villagers" and not c.party_member
    with pytest.raises(ValidationError) as exc:
        seat(world, area=village, committee="residents", position="member")
    assert "村设村民委员会" in errors_of(exc)["committee"][0]
    with pytest.raises(ValidationError) as exc:
        seat(world, area=world.grid)
    assert "请选择村(社区)（当前为网格）" in errors_of(exc)["area"][0]


def test_one_secretary_and_one_director_and_one_shoulder(world):
    sec = seat(world, position="secretary", name="书记甲")
    with pytest.raises(ValidationError) as exc:
        seat(world, position="secretary", name="书记乙")
    assert "已有书记书记甲" in errors_of(exc)["position"][0]
    director = seat(world, committee="residents", position="director", name="主任甲")
    # A secretary cannot take on the director's post while a director serves.
    with pytest.raises(ValidationError) as exc:
        cadre_services.cadre_update(actor=world.users["street"], cadre=sec, one_shoulder=True)
    assert "已有主任主任甲" in errors_of(exc)["one_shoulder"][0]
    # The director leaves; now the secretary can be one-shoulder, and no new director fits.
    left = cadre_services.cadre_update(
        actor=world.users["street"], cadre=director, ended_on=dt.date(2026, 5, 1)
    )
    assert left.ended_on == dt.date(2026, 5, 1)
    assert AuditEntry.objects.filter(action="cadre.leave", object_id=str(director.pk)).exists()
    sec = cadre_services.cadre_update(actor=world.users["street"], cadre=sec, one_shoulder=True)
    assert sec.one_shoulder and sec.cross_holding
    with pytest.raises(ValidationError) as exc:
        seat(world, committee="residents", position="director", name="主任乙")
    assert "主任由书记书记甲兼任" in errors_of(exc)["position"][0]
    # Other posts are open.
    seat(world, committee="residents", position="deputy_director", name="副主任")


def test_linked_member_supplies_and_checks_the_person(world):
    m = member(
        world.users["street"],
        world.orgs["community_committee"],
        name="郑芳",
        id_number=id_no("19880808", 5, female=True),
        education="master",
        joined_on=dt.date(2010, 7, 1),
        confirmed_on=dt.date(2011, 7, 1),
    )
    c = cadre_services.cadre_create(
        actor=world.users["street"],
        area=world.community,
        member=m,
        committee="residents",
        position="member",
        term_start=dt.date(2021, 3, 1),
    )
    assert (c.name, c.gender, c.birth_date, c.education, c.party_member) == (
        "郑芳",
        "female",
        dt.date(1988, 8, 8),
        "master",
        True,
    )
    with pytest.raises(ValidationError) as exc:
        seat(world, member=m, name="别人", gender="male")
    errors = errors_of(exc)
    assert "姓名与所选党员档案不符" in errors["name"][0]
    assert "性别与所选党员档案不符" in errors["gender"][0]
    assert "交叉任职" in errors["member"][0]  # one serving row per person and village


def test_member_from_out_of_reach_reads_as_absent(world, street2_user):
    m = member(world.users["street"], world.orgs["grid_branch"], name="赵六")
    with pytest.raises(Http404):
        seat(world, area=world.community2, actor=street2_user, member=m)


def test_update_rejects_area_and_unknown_fields(world):
    c = seat(world)
    with pytest.raises(ValidationError) as exc:
        cadre_services.cadre_update(actor=world.users["street"], cadre=c, area=world.community2)
    assert "新增任职记录" in errors_of(exc)["area"][0]
    with pytest.raises(ValidationError):
        cadre_services.cadre_update(actor=world.users["street"], cadre=c, created_at=None)


# --- scope --------------------------------------------------------------------------------------


def test_scope_404_and_403(world, street2_user):
    c = seat(world)
    outsider = world.users["street3"]
    with pytest.raises(Http404):
        seat(world, actor=outsider)
    with pytest.raises(Http404):
        cadre_services.cadre_update(actor=outsider, cadre=c, name="改")
    with pytest.raises(Http404):  # the other street of the same county
        cadre_services.cadre_update(actor=street2_user, cadre=c, name="改")
    assert not cadre_selectors.cadre_list(outsider).exists()
    # A grid worker on the community sees the area but may not manage its cadres: 403.
    viewer = world_mod.user("t-viewer", role="grid_worker", area_node=world.community)
    with pytest.raises(scope.Forbidden):
        seat(world, actor=viewer, name="越权")
    # The community's own secretary manages its cadres.
    seat(world, actor=world.users["community"], name="社区自管")
    assert Cadre.objects.filter(name="改").count() == 0


def test_api_list_create_update_and_404(world, api):
    street, outsider = world.users["street"], world.users["street3"]
    body = {
        "area_id": world.community.pk,
        "committee": "party",
        "position": "secretary",
        "name": "陈书记",
        "gender": "male",
        "birth_date": "1975-02-03",
        "education": "college",
        "term_start": "2021-03-01",
        "one_shoulder": True,
    }
    r = api.post(street, "/api/v1/members/cadres/", body)
    assert r.status_code == 200, r.content
    out = r.json()
    assert (out["committee_label"], out["position_label"], out["age"], out["college"]) == (
        "党组织委员会",
        "书记",
        51,
        True,
    )
    seat(world, name="李委员", education="high_school", birth_date=dt.date(1990, 1, 1))
    seat(world, area=world.community2, actor=world.users["county"], name="凤山委员")
    r = api.post(street, "/api/v1/members/cadres/", {**body, "name": "又一个书记"})
    assert r.status_code == 422
    assert "已有书记陈书记" in r.json()["errors"]["position"][0]

    def names(user, **params):
        r = api.get(user, "/api/v1/members/cadres/", **params)
        assert r.status_code == 200, r.content
        return sorted(i["name"] for i in r.json()["items"])

    assert names(street) == ["李委员", "陈书记"]
    assert names(world.users["county"], area=world.street2.pk) == ["凤山委员"]
    assert names(street, one_shoulder="true") == ["陈书记"]
    assert names(street, college="false") == ["李委员"]
    assert names(street, q="LWY") == ["李委员"]
    assert names(street, position="secretary") == ["陈书记"]
    assert api.get(street, "/api/v1/members/cadres/", position="boss").status_code == 422
    assert names(outsider) == []
    assert api.get(outsider, f"/api/v1/members/cadres/{out['id']}").status_code == 404
    assert api.get(street, "/api/v1/members/cadres/", area=world.street3.pk).status_code == 404

    r = patch(api, street, f"/api/v1/members/cadres/{out['id']}", {"education": "bachelor"})
    assert r.status_code == 200 and r.json()["education_label"] == "大学本科"
    r = patch(api, outsider, f"/api/v1/members/cadres/{out['id']}", {"education": "primary"})
    assert r.status_code == 404 and r.json() == {"detail": "未找到"}
    assert Cadre.objects.get(pk=out["id"]).education == "bachelor"
    r = patch(api, street, f"/api/v1/members/cadres/{out['id']}", {"ended_on": "2026-05-20"})
    assert r.status_code == 200 and r.json()["serving"] is False
    assert names(street) == ["李委员"]
    assert names(street, serving="false") == ["陈书记"]


# --- statistics ------------------------------------------------------------------------------------


@pytest.fixture
def structure(world, village):
    """Two communities and a village of the first county, with hand-checked figures."""
    # 龙桥社区: a one-shoulder secretary (college), two members.
    seat(
        world,
        position="secretary",
        one_shoulder=True,
        name="甲",
        birth_date=dt.date(1976, 6, 2),  # 49 on 2026-06-01
        education="college",
    )
    seat(
        world,
        committee="residents",
        position="member",
        name="乙",
        gender="female",
        birth_date=dt.date(1996, 6, 1),  # 30
        education="bachelor",
        party_member=False,
    )
    seat(
        world,
        position="deputy_secretary",
        name="丙",
        cross_holding=True,
        birth_date=dt.date(1966, 1, 1),  # 60
        education="high_school",
    )
    # 东山村: a secretary without a college degree, a director, one who already left.
    seat(
        world,
        area=village,
        position="secretary",
        name="丁",
        birth_date=dt.date(1970, 12, 31),  # 55
        education="secondary_vocational",
    )
    seat(
        world,
        area=village,
        committee="villagers",
        position="director",
        name="戊",
        gender="female",
        birth_date=dt.date(1985, 6, 1),  # 41
        education="master",
        cross_holding=True,
        party_member=False,
    )
    gone = seat(world, area=village, position="member", name="己")
    cadre_services.cadre_update(
        actor=world.users["street"], cadre=gone, ended_on=dt.date(2026, 1, 1)
    )
    # 凤山社区 (the other street): one secretary.
    seat(
        world,
        area=world.community2,
        actor=world.users["county"],
        position="secretary",
        one_shoulder=True,
        name="庚",
        birth_date=dt.date(1980, 1, 1),  # 46
        education="bachelor",
    )
    reserve = cadre_services.reserve_cadre_create(
        actor=world.users["street"],
        area=village,
        name="后备甲",
        gender="male",
        birth_date=dt.date(1998, 3, 3),
        education="bachelor",
        intended_position="secretary",
    )
    mentor = Cadre.objects.get(name="丁")
    cadre_services.mentor_pair_create(
        actor=world.users["street"], mentor=mentor, mentee=reserve, goal="三年内能独当一面"
    )
    return village


def test_statistics_exact(world, api, structure):
    village = structure
    r = api.get(world.users["street"], "/api/v1/stats/cadres")
    assert r.status_code == 200, r.content
    s = r.json()
    # The street sees its five serving seats in two villages (not 凤山社区, not 己 who left).
    assert (s["cadres"], s["villages"], s["secretaries"]) == (5, 2, 2)
    assert s["average_age"] == round((49 + 30 + 60 + 55 + 41) / 5, 1) == 47.0
    assert {b["code"]: b["count"] for b in s["by_age_band"]} == {
        "le35": 1,
        "36_45": 1,
        "46_55": 2,
        "ge56": 1,
    }
    assert {b["code"]: b["count"] for b in s["by_committee"]} == {
        "party": 3,
        "villagers": 1,
        "residents": 1,
    }
    assert (s["women"], s["women_share"]) == (2, 0.4)
    assert (s["college"], s["college_share"]) == (3, 0.6)
    assert (s["secretary_college"], s["secretary_college_share"]) == (1, 0.5)
    assert (s["one_shoulder"], s["one_shoulder_rate"]) == (1, 0.5)
    assert (s["cross_holding"], s["cross_holding_rate"]) == (3, 0.6)  # 甲 (one-shoulder), 丙, 戊
    assert s["party_members"] == 3
    assert (s["reserve_cadres"], s["mentor_pairs"]) == (1, 1)
    # "8595" counts villages only: 东山村's 丁 (no degree) and 戊 (master); 龙桥社区's
    # secretary 甲 (college) and its two members are left out of both targets.
    targets = {t["code"]: t for t in s["targets"]}
    assert targets["village_cadre_college_share"] == {
        "code": "village_cadre_college_share",
        "label": "村两委干部大专及以上学历占比（不含社区）",
        "target": 0.85,
        "actual": 0.5,
        "met": False,
    }
    assert targets["secretary_college_share"] == {
        "code": "secretary_college_share",
        "label": "村党组织书记大专及以上学历占比（不含社区）",
        "target": 0.95,
        "actual": 0.0,
        "met": False,
    }

    r = api.get(world.users["county"], "/api/v1/stats/cadres", area=village.pk)
    v = r.json()
    assert (v["node"]["name"], v["cadres"], v["average_age"], v["one_shoulder_rate"]) == (
        "东山村",
        2,
        48.0,
        0.0,
    )
    c = api.get(world.users["county"], "/api/v1/stats/cadres").json()
    assert (c["cadres"], c["secretaries"], c["one_shoulder_rate"]) == (6, 3, round(2 / 3, 4))


def test_statistics_targets_from_settings(world, api, structure, settings):
    settings.DANGJIAN = {
        **settings.DANGJIAN,
        "CADRE_TARGETS": {"village_cadre_college_share": 0.6, "secretary_college_share": 0.5},
    }
    s = api.get(world.users["street"], "/api/v1/stats/cadres").json()
    # Village shares 0.5 and 0.0 (the community's college secretary does not count).
    assert [(t["target"], t["actual"], t["met"]) for t in s["targets"]] == [
        (0.6, 0.5, False),
        (0.5, 0.0, False),
    ]
    settings.DANGJIAN = {
        **settings.DANGJIAN,
        "CADRE_TARGETS": {"village_cadre_college_share": 0.5, "secretary_college_share": 0.0},
    }
    s = api.get(world.users["street"], "/api/v1/stats/cadres").json()
    assert [(t["actual"], t["met"]) for t in s["targets"]] == [(0.5, True), (0.0, True)]


def test_statistics_community_only_has_no_village_share(world, api, structure):
    """Under a community alone the targets have nothing to divide by (null, not met)."""
    s = api.get(world.users["county"], "/api/v1/stats/cadres", area=world.community.pk).json()
    assert (s["cadres"], s["college"], s["secretary_college"]) == (3, 2, 1)
    assert [(t["actual"], t["met"]) for t in s["targets"]] == [(None, False), (None, False)]


def test_statistics_scope(world, api, structure):
    outsider = world.users["street3"]
    r = api.get(outsider, "/api/v1/stats/cadres", area=structure.pk)
    assert r.status_code == 404 and r.json() == {"detail": "未找到"}
    s = api.get(outsider, "/api/v1/stats/cadres").json()
    assert (s["cadres"], s["average_age"], s["college_share"], s["reserve_cadres"]) == (
        0,
        None,
        None,
        0,
    )
    assert all(t["actual"] is None and not t["met"] for t in s["targets"])


# --- reserve cadres and mentor pairs -------------------------------------------------------------


def test_reserve_and_mentor_rules(world, api, structure):
    village = structure
    secretary = Cadre.objects.get(name="甲")  # of 龙桥社区, not the village
    reserve = cadre_services.reserve_cadre_create(
        actor=world.users["street"],
        area=village,
        name="后备乙",
        gender="female",
        birth_date=dt.date(2000, 1, 1),
        education="college",
    )
    with pytest.raises(ValidationError) as exc:
        cadre_services.mentor_pair_create(
            actor=world.users["street"], mentor=secretary, mentee=reserve
        )
    assert "同一村(社区)" in errors_of(exc)["mentee"][0]
    mentor = Cadre.objects.get(name="丁")
    cadre_services.mentor_pair_create(actor=world.users["street"], mentor=mentor, mentee=reserve)
    with pytest.raises(ValidationError) as exc:
        cadre_services.mentor_pair_create(
            actor=world.users["street"], mentor=mentor, mentee=reserve
        )
    assert "二人已结对帮带" in errors_of(exc)["mentee"][0]
    with pytest.raises(Http404):
        cadre_services.mentor_pair_create(
            actor=world.users["street3"], mentor=mentor, mentee=reserve
        )

    r = api.get(world.users["street"], "/api/v1/members/cadres/mentorships/", area=village.pk)
    assert sorted(i["mentee_name"] for i in r.json()["items"]) == ["后备乙", "后备甲"]
    r = api.get(world.users["street"], "/api/v1/members/cadres/reserves/")
    assert [i["age"] for i in r.json()["items"]] == [28, 26]
    assert api.get(world.users["street3"], "/api/v1/members/cadres/reserves/").json() == {
        "items": [],
        "count": 0,
    }
    r = api.post(
        world.users["street"],
        "/api/v1/members/cadres/reserves/",
        {"area_id": village.pk, "name": "后备丙", "gender": "male"},
    )
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"birth_date", "education"}


# --- 党员中心户 and 楼栋长 -------------------------------------------------------------------------


def test_unit_roles(world, api):
    street = world.users["street"]
    resident = member(street, world.orgs["grid_branch"], name="住户党员", unit=world.unit)
    elsewhere = member(
        street, world.orgs["grid_branch"], name="外住党员", unit=world.grid2, id_number=id_no(seq=8)
    )
    nowhere = member(
        street,
        world.orgs["grid_branch"],
        name="未入格党员",
        id_number=id_no("19700101", 9),
    )
    body = {"member_id": resident.pk, "unit_id": world.unit.pk, "role": "center_household"}
    r = api.post(street, "/api/v1/members/unit-roles/", {**body, "households": 12})
    assert r.status_code == 200, r.content
    role = r.json()
    assert (role["role_label"], role["member_name"], role["households"]) == (
        "党员中心户",
        "住户党员",
        12,
    )
    r = api.post(street, "/api/v1/members/unit-roles/", body)
    assert "已是1号楼单元的党员中心户" in r.json()["errors"]["role"][0]
    r = api.post(street, "/api/v1/members/unit-roles/", {**body, "member_id": elsewhere.pk})
    assert r.json()["errors"]["member"] == ["党员中心户应居住在该单元"]
    r = api.post(street, "/api/v1/members/unit-roles/", {**body, "member_id": nowhere.pk})
    assert r.json()["errors"]["member"] == ["请先登记该党员的居住网格单元"]
    r = api.post(street, "/api/v1/members/unit-roles/", {**body, "unit_id": world.grid.pk})
    assert "请选择单元" in r.json()["errors"]["area"][0]
    # A building head lives in the same community; one per unit.
    head = {**body, "role": "building_head", "member_id": elsewhere.pk}
    assert api.post(street, "/api/v1/members/unit-roles/", head).status_code == 200
    r = api.post(street, "/api/v1/members/unit-roles/", {**head, "member_id": resident.pk})
    assert "已有楼栋长外住党员" in r.json()["errors"]["role"][0]
    r = api.post(street, "/api/v1/members/unit-roles/", {**body, "households": 999})
    assert "联系户数" in r.json()["errors"]["households"][0]

    items = api.get(world.users["community"], "/api/v1/members/unit-roles/").json()["items"]
    assert sorted(i["role"] for i in items) == ["building_head", "center_household"]
    outsider = world.users["street3"]
    assert api.get(outsider, "/api/v1/members/unit-roles/").json()["count"] == 0
    r = api.post(outsider, f"/api/v1/members/unit-roles/{role['id']}/end", {})
    assert r.status_code == 404
    r = api.post(street, f"/api/v1/members/unit-roles/{role['id']}/end", {"ended_on": "2026-06-01"})
    assert r.status_code == 200 and r.json()["ended_on"] == "2026-06-01"
    assert api.post(street, f"/api/v1/members/unit-roles/{role['id']}/end", {}).status_code == 409
    assert UnitRole.objects.filter(ended_on__isnull=True).count() == 1
    assert AuditEntry.objects.filter(action="unit_role.end").count() == 1
    # Ended, the member may be named again.
    assert api.post(street, "/api/v1/members/unit-roles/", body).status_code == 200
