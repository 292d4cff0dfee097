"""The member file: validation, duplicates through the blind index, scope, masking, audit."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from dangjian.core import crypto, scope
from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import Member, MemberCategory
from dangjian.organizations.services import org_move
from tests.members.helpers import bad_check, id_no, member, patch

pytestmark = pytest.mark.django_db


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def create(world, **kw):
    return member(world.users["street"], world.orgs["grid_branch"], **kw)


# --- validation ----------------------------------------------------------------------------


def test_create_derives_birth_and_gender_and_encrypts(world):
    number = id_no("19850315", 3, female=True)
    m = create(
        world,
        name="李梅",
        id_number=number.lower(),
        phone="138 0013 8000",
        categories=["in_service", "in_difficulty"],
    )
    m.refresh_from_db()
    assert m.birth_date == dt.date(1985, 3, 15)
    assert m.gender == "female"
    assert m.id_number == number.upper()
    assert m.phone == "13800138000"
    assert m.name_pinyin == "LM"
    assert m.org_path == world.orgs["grid_branch"].path
    assert sorted(MemberCategory.objects.filter(member=m).values_list("code", flat=True)) == [
        "in_difficulty",
        "in_service",
    ]
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM members_member WHERE id = %s", [m.pk])
        raw_id, raw_phone = cur.fetchone()
    assert raw_id.startswith("sm4gcm:") and number not in raw_id
    assert raw_phone.startswith("sm4gcm:")
    entry = AuditEntry.objects.get(action="member.create", object_id=str(m.pk))
    assert entry.after["id_number"] == crypto.mask("id_number", number)
    assert entry.after["phone"] == "138****8000"
    assert "id_number_index" not in entry.after
    assert entry.after["categories"] == ["in_service", "in_difficulty"]
    assert entry.org_path == m.org_path


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", "请填写姓名"),
        ({"name": "名" * 51}, "name", "姓名不能超过50个字"),
        ({"id_number": "35030219800101003"}, "id_number", "身份证号码应为18位"),
        ({"id_number": bad_check(id_no())}, "id_number", "身份证号码校验位错误"),
        ({"id_number": "350302199902300011"}, "id_number", "身份证号码出生日期无效"),
        (
            {"id_number": "", "gender": "", "birth_date": dt.date(1980, 1, 1)},
            "gender",
            "请填写性别",
        ),
        ({"id_number": "", "gender": "male"}, "birth_date", "请填写出生日期"),
        ({"gender": "m"}, "gender", "性别应为“男”或“女”"),
        ({"gender": "female"}, "gender", "性别与身份证号码不符"),
        ({"birth_date": dt.date(1981, 1, 1)}, "birth_date", "出生日期与身份证号码不符"),
        ({"ethnicity": ""}, "ethnicity", "请填写民族"),
        ({"ethnicity": "汉族"}, "ethnicity", "民族代码无效"),
        ({"phone": "12345678901"}, "phone", "手机号码应以13至19开头"),
        ({"phone": "1380013800"}, "phone", "手机号码应为11位数字"),
        ({"education": "phd"}, "education", "学历取值无效"),
        ({"occupation": "x"}, "occupation", "职业取值无效"),
        ({"status": ""}, "status", "请填写党员状态"),
        ({"status": "active"}, "status", "党员状态取值无效"),
        ({"joined_on": None}, "joined_on", "请填写入党日期"),
        ({"joined_on": dt.date(2100, 1, 1)}, "joined_on", "入党日期不能晚于今天"),
        ({"joined_on": dt.date(1920, 1, 1)}, "joined_on", "入党日期不能早于1921年7月1日"),
        ({"joined_on": dt.date(1995, 1, 1)}, "joined_on", "入党时应年满18周岁"),
        ({"confirmed_on": None}, "confirmed_on", "正式党员须填写转正日期"),
        ({"status": "probationary"}, "confirmed_on", "预备党员尚未转正"),
        ({"confirmed_on": dt.date(2004, 1, 1)}, "confirmed_on", "转正日期不能早于入党日期"),
        ({"categories": ["vip"]}, "categories", "党员类别“vip”无效"),
        (
            {"categories": ["in_service", "retired"]},
            "categories",
            "在职党员与离退休党员不能同时选择",
        ),
        ({"work_unit": "单" * 101}, "work_unit", "工作单位不能超过100个字"),
    ],
)
def test_every_refusal_names_the_field_in_chinese(world, overrides, field, message):
    before = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        create(world, **overrides)
    assert any(message in m for m in errors_of(exc)[field]), errors_of(exc)
    assert Member.objects.count() == before


def test_all_bad_fields_reported_at_once(world):
    with pytest.raises(ValidationError) as exc:
        create(world, name="", ethnicity="", status="", joined_on=None, phone="1")
    assert {"name", "ethnicity", "status", "joined_on", "phone"} <= set(errors_of(exc))


def test_duplicate_id_names_the_existing_file_when_visible(world):
    number = id_no("19700101", 7)
    first = create(world, name="王五", id_number=number)
    with pytest.raises(ValidationError) as exc:
        member(
            world.users["community"],
            world.orgs["unit_group"],
            name="王五二",
            id_number=number.lower(),
        )
    msg = errors_of(exc)["id_number"][0]
    assert "王五" in msg and str(first.pk) in msg and "龙桥社区第一网格党支部" in msg


def test_duplicate_id_does_not_name_a_file_out_of_sight(world, street2_user):
    number = id_no("19700101", 8)
    create(world, name="赵六", id_number=number)
    with pytest.raises(ValidationError) as exc:
        member(street2_user, world.orgs["street2_wc"], name="某某", id_number=number)
    msg = errors_of(exc)["id_number"][0]
    assert "已在系统中登记" in msg
    assert "赵六" not in msg and "龙桥" not in msg
    assert Member.objects.filter(name="某某").count() == 0


def test_blind_index_unique_in_the_database(world):
    m = create(world)
    dup = Member(
        name="x",
        gender="male",
        ethnicity="01",
        birth_date=m.birth_date,
        joined_on=m.joined_on,
        status="full",
        org=m.org,
        org_path=m.org_path,
        id_number_index=m.id_number_index,
    )
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError, wrapped differently per backend
        from django.db import transaction

        with transaction.atomic():
            dup.save()


def test_update_rederives_from_a_new_id_and_checks_duplicates(world):
    a = create(world, id_number=id_no("19800101", 1))
    b = create(world, id_number=id_no("19860202", 2))
    new = id_no("19820505", 4, female=True)
    services.member_update(actor=world.users["street"], member=a, id_number=new)
    a.refresh_from_db()
    assert (a.birth_date, a.gender) == (dt.date(1982, 5, 5), "female")
    with pytest.raises(ValidationError) as exc:
        services.member_update(actor=world.users["street"], member=a, id_number=b.id_number)
    assert "已登记" in errors_of(exc)["id_number"][0]
    with pytest.raises(ValidationError) as exc:
        services.member_update(actor=world.users["street"], member=a, org=world.orgs["unit_group"])
    assert "组织关系转接" in errors_of(exc)["org"][0]
    with pytest.raises(ValidationError) as exc:
        services.member_update(actor=world.users["street"], member=a, confirmed_on=None)
    assert "正式党员须填写转正日期" in errors_of(exc)["confirmed_on"][0]


def test_update_audits_only_the_changes_masked(world):
    m = create(world, phone="13800138000")
    services.member_update(
        actor=world.users["street"], member=m, phone="13900139000", categories=["retired"]
    )
    entry = AuditEntry.objects.filter(action="member.update", object_id=str(m.pk)).get()
    assert {k: entry.before[k] for k in ("phone", "categories")} == {
        "phone": "138****8000",
        "categories": [],
    }
    assert entry.after["phone"] == "139****9000"
    assert entry.after["categories"] == ["retired"]
    assert "13900139000" not in str(entry.after)


def test_residence_and_account_rules(world):
    with pytest.raises(ValidationError) as exc:
        create(world, unit=world.street)
    assert "居住地须为" in errors_of(exc)["unit"][0]
    with pytest.raises(ValidationError) as exc:
        create(world, user=world.users["street"])
    assert "党员类型" in errors_of(exc)["user"][0]
    m = create(world, user=world.users["member"], unit=world.unit)
    assert m.area_path == world.unit.path
    with pytest.raises(ValidationError) as exc:
        create(world, user=world.users["member"])
    assert "已关联" in errors_of(exc)["user"][0]


# --- scope -----------------------------------------------------------------------------------


def test_other_street_gets_404_and_visible_but_not_allowed_gets_403(world):
    m = create(world, user=world.users["member"])
    with pytest.raises(Http404):
        services.member_update(actor=world.users["street3"], member=m, name="改")
    # The member sees their own file but may not edit it.
    with pytest.raises(scope.Forbidden):
        services.member_update(actor=world.users["member"], member=m, name="改")
    # Creating in an organization out of sight reads as absent.
    with pytest.raises(Http404):
        member(world.users["street3"], world.orgs["grid_branch"])
    # Seen through an area grant only (the street3 user sees no party organization of its own).
    assert Member.objects.filter(name="改").count() == 0


def test_tree_moves_rewrite_member_paths(world):
    m = create(world, unit=world.unit)
    org_move(
        actor=world.users["admin"],
        org=world.orgs["grid_branch"],
        new_parent=world.orgs["street2_wc"],
    )
    m.refresh_from_db()
    grid_branch = world.orgs["grid_branch"]
    grid_branch.refresh_from_db()
    assert m.org_path == grid_branch.path
    assert m.org_path.startswith(world.orgs["street2_wc"].path)
    assert (
        not Member.objects.visible_to(world.users["street"], "members.view")
        .filter(pk=m.pk)
        .exists()
    )


# --- the API -----------------------------------------------------------------------------------


def test_api_create_masks_and_refuses_in_chinese(world, api):
    u = world.users["street"]
    body = {
        "org_id": world.orgs["grid_branch"].pk,
        "name": "陈七",
        "ethnicity": "01",
        "status": "probationary",
        "joined_on": "2024-06-01",
        "id_number": id_no("19990101", 9),
        "phone": "13712345678",
        "categories": ["in_service"],
        "unit_id": world.unit.pk,
    }
    r = api.post(u, "/api/v1/members/", body)
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["id_number"] == crypto.mask("id_number", body["id_number"])
    assert out["phone"] == "137****5678"
    assert out["party_age"] is None and out["status_label"] == "预备党员"
    assert body["id_number"] not in r.content.decode()
    r = api.post(u, "/api/v1/members/", {**body, "name": "重复"})
    assert r.status_code == 422
    assert "陈七" in r.json()["errors"]["id_number"][0]
    r = api.post(
        u,
        "/api/v1/members/",
        {**body, "id_number": bad_check(body["id_number"]), "joined_on": "2024-13-01"},
    )
    assert r.status_code == 422
    assert r.json()["errors"]["joined_on"] == ["日期格式应为YYYY-MM-DD"]
    r = api.post(u, "/api/v1/members/", {**body, "id_number": bad_check(body["id_number"])})
    assert "校验位错误" in r.json()["errors"]["id_number"][0]
    assert "校验位错误" in r.json()["detail"]
    r = api.post(u, "/api/v1/members/", {**body, "org_id": world.orgs["street2_wc"].pk})
    assert r.status_code == 404
    r = api.post(u, "/api/v1/members/", {**body, "org_id": 2**63})
    assert r.status_code == 404


def test_api_scope_list_detail_update(world, api, street2_user):
    mine = [create(world, name=f"甲{i}") for i in range(3)]
    other = member(street2_user, world.orgs["street2_wc"], name="乙")
    r = api.get(world.users["street"], "/api/v1/members/")
    assert r.status_code == 200
    assert sorted(i["id"] for i in r.json()["items"]) == sorted(m.pk for m in mine)
    assert api.get(world.users["street"], f"/api/v1/members/{other.pk}").json() == {
        "detail": "未找到"
    }
    r = patch(api, world.users["street"], f"/api/v1/members/{other.pk}", {"name": "改名"})
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.name == "乙"
    assert api.get(world.users["street3"], f"/api/v1/members/{mine[0].pk}").status_code == 404
    r = api.post(world.users["street3"], f"/api/v1/members/{mine[0].pk}/reveal", WHY_ID)
    assert r.status_code == 404
    assert api.get(world.users["street3"], "/api/v1/members/").json() == {"items": [], "count": 0}
    r = patch(
        api,
        world.users["street"],
        f"/api/v1/members/{mine[0].pk}",
        {"work_unit": "区财政局", "education": "bachelor"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["education_label"] == "大学本科"
    r = patch(
        api,
        world.users["street"],
        f"/api/v1/members/{mine[0].pk}",
        {"org_id": world.orgs["unit_group"].pk},
    )
    assert r.status_code == 422 and "组织关系转接" in r.json()["detail"]


WHY_ID = {"field": "id_number", "purpose": "verify", "reason": "核实转接材料"}


def test_api_own_file_and_reveal(world, api):
    m = create(world, user=world.users["member"], phone="13800138000")
    own = world.users["member"]
    r = api.get(own, "/api/v1/members/")
    assert [i["id"] for i in r.json()["items"]] == [m.pk]
    assert api.get(own, f"/api/v1/members/{m.pk}").status_code == 200
    r = api.post(own, f"/api/v1/members/{m.pk}/reveal", WHY_ID)
    assert r.status_code == 403
    street = world.users["street"]
    r = api.post(street, f"/api/v1/members/{m.pk}/reveal", {**WHY_ID, "field": "phone"})
    assert r.json() == {"field": "phone", "value": "13800138000"}
    assert r["Cache-Control"] == "no-store"
    row = AuditEntry.objects.get(action="pii.reveal", object_id=str(m.pk), actor=street)
    assert row.after == {"field": "phone", "purpose": "verify", "reason": "核实转接材料"}
    assert row.note == "查看完整手机号码（用途：核实身份；理由：核实转接材料）"
    r = api.post(street, f"/api/v1/members/{m.pk}/reveal", {**WHY_ID, "field": "name"})
    assert r.status_code == 422


def test_api_reveal_needs_a_purpose_and_a_reason_and_a_post(world, api):
    """Issue 19: a reveal is a POST (a cross-site <img> cannot start one) with a purpose and a
    reason, kept in the audit row; without them nothing is revealed or recorded."""
    m = create(world, phone="13800138000")
    street, path = world.users["street"], f"/api/v1/members/{m.pk}/reveal"
    r = api.get(street, path, field="id_number")
    assert r.status_code == 405 and "POST" in r.json()["detail"]
    r = api.post(street, path, {"field": "phone", "reason": "核实"})
    assert r.status_code == 422 and "purpose" in r.json()["errors"]
    r = api.post(street, path, {"field": "phone", "purpose": "gossip", "reason": "核实"})
    assert r.status_code == 422 and r.json()["errors"]["purpose"][0].startswith("请选择查看用途")
    r = api.post(street, path, {"field": "phone", "purpose": "contact", "reason": " 看 "})
    assert r.json()["errors"] == {"reason": ["请填写查看理由（至少2个字）"]}
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_api_filters(world, api):
    u = world.users["street"]
    a = create(
        world,
        name="张伟",
        id_number=id_no("19600101", 1),
        categories=["retired"],
        education="bachelor",
        joined_on=dt.date(1990, 3, 1),
        confirmed_on=dt.date(1991, 3, 1),
        unit=world.unit,
    )
    b = member(
        u,
        world.orgs["unit_group"],
        name="李娜",
        id_number=id_no("20000101", 2, female=True),
        status="probationary",
        confirmed_on=None,
        joined_on=dt.date(2024, 5, 1),
        categories=["in_service"],
    )
    c = member(
        u,
        world.orgs["community_committee"],
        name="王强",
        id_number=id_no("19750101", 3),
        occupation="worker",
    )

    def ids(**params):
        r = api.get(u, "/api/v1/members/", **params)
        assert r.status_code == 200, r.content
        return sorted(i["id"] for i in r.json()["items"])

    assert ids(org=world.orgs["grid_branch"].pk) == sorted([a.pk, b.pk])
    assert ids(org=world.orgs["unit_group"].pk) == [b.pk]
    assert ids(area=world.grid.pk) == [a.pk]
    assert ids(category="retired") == [a.pk]
    assert ids(status="probationary") == [b.pk]
    assert ids(education="bachelor") == [a.pk]
    assert ids(occupation="worker") == [c.pk]
    assert ids(gender="female") == [b.pk]
    assert ids(join_year=2024) == [b.pk]
    assert ids(age_band="le30") == [b.pk]
    assert ids(age_band="61_70") == [a.pk] or ids(age_band="ge71") == [a.pk]
    assert ids(q="王") == [c.pk]
    assert ids(q="zw") == [a.pk]
    assert ids(q=c.id_number) == [c.pk]
    assert ids(q=c.id_number.lower()) == [c.pk]
    for params, field in (
        ({"status": "x"}, "status"),
        ({"age_band": "x"}, "age_band"),
        ({"category": "x"}, "category"),
        ({"join_year": 1800}, "join_year"),
        ({"join_year": "abc"}, "join_year"),
        ({"page_size": 500}, "page_size"),
    ):
        r = api.get(u, "/api/v1/members/", **params)
        assert r.status_code == 422, (params, r.content)
        assert field in r.json()["errors"], r.json()
    assert api.get(u, "/api/v1/members/", org=world.orgs["street2_wc"].pk).status_code == 404


def _count_queries(api, user, path):
    from django.test.utils import CaptureQueriesContext

    api.get(user, path)  # the token's first use stamps it: not part of the list
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(user, path, page_size=50)
    assert r.status_code == 200
    return len(ctx.captured_queries), r.json()["count"]


def test_list_query_count_does_not_grow_with_rows(world, api):
    u = world.users["street"]
    for i in range(5):
        create(world, name=f"党员{i}", categories=["in_service", "in_difficulty"], unit=world.unit)
    few, n1 = _count_queries(api, u, "/api/v1/members/")
    for i in range(25):
        create(world, name=f"党员{i + 5}", categories=["retired"], unit=world.unit)
    many, n2 = _count_queries(api, u, "/api/v1/members/")
    assert (n1, n2) == (5, 30)
    assert few == many, (few, many)
    assert few <= 8, few  # token, grants, count, rows (with org and unit), categories


def test_control_characters_never_reach_the_database(world, api):
    """PostgreSQL refuses NUL in text: searches and inputs drop control characters."""
    u = world.users["street"]
    m = create(world, name="蒋二")
    assert api.get(u, "/api/v1/members/", q="蒋\x00二").json()["count"] == 1
    assert api.get(u, "/api/v1/members/checkins/", q="\x00").status_code == 200
    r = api.post(
        u,
        "/api/v1/members/",
        {"org_id": world.orgs["grid_branch"].pk, "name": "\x00", "id_number": "\x00"},
    )
    assert r.status_code == 422 and r.json()["errors"]["name"] == ["请填写姓名"]
    r = api.post(
        u,
        f"/api/v1/members/{m.pk}/transfers",
        {"kind": "out_of_system", "to_org_name": "外省\x00某党委"},
    )
    assert r.status_code == 200 and r.json()["to_org_name"] == "外省某党委"
