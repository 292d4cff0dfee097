"""The member registry's console pages: list, file, reveal, forms, transfers, mobile members,
check-ins, import, statistics; scope (404 out of it), masking, audit and query counts."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import parse_qsl, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dangjian.core import crypto
from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import (
    CommunityCheckin,
    Member,
    MemberTransfer,
    MobileRegistration,
)
from dangjian.organizations.models import OrgDomain, OrgKind
from tests import world as world_mod
from tests.members.helpers import bad_check, id_no, member, xlsx

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def text(response) -> str:
    return response.content.decode("utf-8")


def login(client, user):
    client.force_login(user)
    return client


def field_errors(body: str, name: str) -> str:
    """The error lines shown under one form field (up to the next field)."""
    rest = body[body.index(f'id="id_{name}"') :]
    rest = re.split(r'<div class="field|</form>', rest, maxsplit=1)[0]
    return " ".join(re.findall(r'<div class="error">(.*?)</div>', rest))


@pytest.fixture
def people(world):
    """Members of the first street (龙桥), one of the neighbouring street (凤凰山)."""
    street = world.users["street"]
    li = member(
        street,
        world.orgs["grid_branch"],
        name="李明",
        id_number=id_no("19850315", 1),
        phone=PHONE,
        categories=["in_service"],
        unit=world.unit,
        work_unit="龙桥街道办事处",
        education="bachelor",
    )
    wang = member(
        street,
        world.orgs["community_committee"],
        name="王芳",
        id_number=id_no("19600101", 2, female=True),
        status="probationary",
        confirmed_on=None,
        joined_on=dt.date(2025, 7, 1),
        categories=["retired"],
    )
    foreign = member(
        world.users["admin"],
        world.orgs["street2_wc"],
        name="赵外街",
        id_number=id_no("19700101", 3),
    )
    return {"li": li, "wang": wang, "foreign": foreign}


# --- the list ----------------------------------------------------------------------------------


def test_list_shows_visible_members_masked(world, people, client):
    r = login(client, world.users["community"]).get("/members/")
    assert r.status_code == 200
    body = text(r)
    assert "党员管理" in body and "李明" in body and "王芳" in body
    assert "赵外街" not in body  # another street's party tree
    number = people["li"].id_number
    assert crypto.mask("id_number", number) in body and number not in body
    assert "139****5678" in body and PHONE not in body
    assert "在职党员" in body and "龙桥社区第一网格党支部" in body
    assert f'href="/members/{people["li"].pk}/"' in body
    # The export is a POST form (CSRF): a cross-site <img> or link cannot start one.
    assert 'method="post" class="inline" action="/members/export/"' in body and "导出Excel" in body
    # the organization picker lists the user's organizations only
    picker = body.split('id="id_org"', 1)[1].split("</select>", 1)[0]
    assert "中共龙桥社区委员会" in picker and "龙桥社区第一网格党支部" in picker
    assert "中共龙桥街道工作委员会" not in picker and "凤凰山" not in picker


def test_out_of_scope_user_sees_no_foreign_names(world, people, client, street2_user):
    body = text(login(client, street2_user).get("/members/"))
    assert "赵外街" in body
    assert "李明" not in body and "王芳" not in body
    body = text(login(client, world.users["street3"]).get("/members/?q=李"))
    assert "李明" not in body and "没有符合条件的党员" in body


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("q=LM", {"李明"}, {"王芳"}),
        ("q=lm", {"李明"}, {"王芳"}),
        ("q=王", {"王芳"}, {"李明"}),
        ("category=retired", {"王芳"}, {"李明"}),
        ("status=probationary", {"王芳"}, {"李明"}),
        ("education=bachelor", {"李明"}, {"王芳"}),
        ("join_year=2025", {"王芳"}, {"李明"}),
        ("age_band=61_70", {"王芳"}, {"李明"}),
        ("age_band=41_50", {"李明"}, {"王芳"}),
    ],
)
def test_list_filters_and_search(world, people, client, query, shown, hidden):
    body = text(login(client, world.users["street"]).get(f"/members/?{query}"))
    table = body.split('id="member-table"', 1)[1] if 'id="member-table"' in body else ""
    for name in shown:
        assert name in table, query
    for name in hidden:
        assert name not in table, query
    # the export takes the same filters
    assert f"/members/export/?{urlencode(parse_qsl(query))}" in body


def test_search_by_whole_id_number(world, people, client):
    client = login(client, world.users["street"])
    body = text(client.get(f"/members/?q={people['wang'].id_number}"))
    assert "王芳" in body and "李明" not in body
    # another street's member stays out even by its exact number
    body = text(client.get(f"/members/?q={people['foreign'].id_number}"))
    assert "赵外街" not in body


def test_org_filter_takes_the_subtree_and_404s_out_of_scope(world, people, client):
    client = login(client, world.users["street"])
    body = text(client.get(f"/members/?org={world.orgs['grid_branch'].pk}"))
    assert "李明" in body.split('id="member-table"', 1)[1]
    assert "王芳" not in body.split('id="member-table"', 1)[1]
    assert client.get(f"/members/?org={world.orgs['street2_wc'].pk}").status_code == 404


def test_bad_filters_are_shown_not_crashed(world, people, client):
    r = login(client, world.users["street"]).get("/members/?join_year=1800&category=xx&org=abc")
    assert r.status_code == 200
    body = text(r)
    assert "入党年份不能早于1921年" in body
    assert "选择一个有效的选项" in body


def test_list_is_paginated_twenty_a_page(world, client):
    for i in range(23):
        member(world.users["street"], world.orgs["grid_branch"], name=f"分页党员{i:02d}")
    client = login(client, world.users["street"])
    body = text(client.get("/members/?q=分页"))
    assert body.count('class="member-name"') == 20
    assert "共 23 条" in body and "page=2" in body
    assert text(client.get("/members/?q=分页&page=2")).count('class="member-name"') == 3


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/members/?category=in_service")
    assert r.status_code == 200
    return len(ctx.captured_queries), text(r)


def test_list_query_count_does_not_grow_with_rows(world, client):
    street = world.users["street"]
    for i in range(5):
        member(street, world.orgs["grid_branch"], name=f"计数{i}", categories=["in_service"])
    client = login(client, street)
    client.get("/members/")  # warm the session
    few, body = _list_queries(client)
    assert body.count('class="member-name"') == 5
    for i in range(5, 30):
        member(
            street,
            world.orgs["unit_group"] if i % 2 else world.orgs["community_committee"],
            name=f"计数{i}",
            categories=["in_service", "in_difficulty"],
            unit=world.unit,
        )
    many, body = _list_queries(client)
    assert body.count('class="member-name"') == 20
    assert many == few, (few, many)


def test_export_uses_the_api_export_same_filters_masked_and_audited(world, people, client):
    r = login(client, world.users["street"]).post("/members/export/?category=in_service")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(r.content))
        .get_sheet_by_index(0)
        .to_python(skip_empty_area=False)
    )
    flat = [str(c) for row in rows for c in row]
    assert "李明" in flat and "王芳" not in flat and "赵外街" not in flat
    assert crypto.mask("id_number", people["li"].id_number) in flat
    assert people["li"].id_number not in flat
    entry = AuditEntry.objects.get(action="members.export")
    assert entry.after["count"] == 1 and entry.after["filters"] == {"category": "in_service"}


def test_menu_links_the_registry(world, client):
    body = text(login(client, world.users["street"]).get("/"))
    assert 'href="/members/"' in body and "党员管理" in body
    body = text(login(client, world.users["grid"]).get("/"))
    assert 'href="/members/"' not in body
    assert 'href="/members/checkins/"' in body  # the grid worker holds members.checkin_view
    assert login(client, world.users["grid"]).get("/members/").status_code == 403


# --- the file ----------------------------------------------------------------------------------


def test_file_page_shows_everything_masked(world, people, client):
    li = people["li"]
    reg = services.member_register_mobile(
        actor=world.users["street"],
        member=li,
        destination="广东省深圳市",
        left_on=timezone.localdate() - dt.timedelta(days=30),
        contact_phone="13700001111",
        host_org_name="深圳市某街道党工委",
    )
    services.member_checkin(actor=world.users["street"], member=li, community=world.community)
    target = world_mod.org(
        world.orgs["street_wc"],
        "龙桥街道机关党支部",
        OrgKind.BRANCH,
        world.street,
        OrgDomain.AGENCY,
    )
    services.transfer_request(
        actor=world.users["street"], member=li, to_org=target, reason="工作调动"
    )
    r = login(client, world.users["community"]).get(f"/members/{li.pk}/")
    assert r.status_code == 200
    body = text(r)
    for expected in (
        "李明",
        "汉族",
        "1985-03-15",
        "大学本科",
        "龙桥街道办事处",
        "正式党员",
        "在职党员",
        "流动党员",
        "龙桥社区第一网格党支部",
        "1号楼单元",
        crypto.mask("id_number", li.id_number),
        "139****5678",
        "广东省深圳市",
        "137****1111",
        "深圳市某街道党工委",
        "流动中",
        "龙桥社区",  # the check-in
        "龙桥街道机关党支部",
        "待转出方审批",
        "提出申请",  # the transfer's history
        "工作调动",
    ):
        assert expected in body, expected
    assert li.id_number not in body and PHONE not in body and "13700001111" not in body
    # the secretary manages the sending side: approve or refuse, not the receiving side's moves
    assert "转出方审批同意" in body and "转出方退回" in body and "转入方接收" not in body
    assert "查看完整号码" not in body  # a secretary may not reveal
    assert f'action="/members/mobile/{reg.pk}/end/"' in body


def test_out_of_scope_user_gets_404_on_every_member_page(world, people, client, street2_user):
    li = people["li"]
    for user in (street2_user, world.users["street3"]):
        client = login(client, user)
        for path in ("", "edit/", "transfer/", "mobile/"):
            assert client.get(f"/members/{li.pk}/{path}").status_code == 404, path
        r = client.post(f"/members/{li.pk}/reveal/", {"field": "id_number", **WHY})
        assert r.status_code == 404
        assert client.post(f"/members/{li.pk}/edit/", {"name": "改名"}).status_code == 404
    assert client.get(f"/members/{2**63}/").status_code == 404
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()
    li.refresh_from_db()
    assert li.name == "李明"


def test_viewer_without_manage_gets_403_on_edit(world, people, client):
    # A staff account holding only the self-reach member role (a member's own account has no
    # console pages at all: it is sent to /m/).
    viewer = world_mod.user("t-viewer", role="member", home=world.unit)
    people["li"].user = viewer
    people["li"].save(update_fields=["user"])
    client = login(client, viewer)
    assert client.get(f"/members/{people['li'].pk}/").status_code == 200  # one's own file
    r = client.get(f"/members/{people['li'].pk}/edit/")
    assert r.status_code == 403 and "403 无权访问" in text(r)
    assert client.get(f"/members/{people['wang'].pk}/").status_code == 404


# --- revealing personal data ---------------------------------------------------------------------

WHY = {"purpose": "verify", "reason": "核对转接材料"}


def test_reveal_through_htmx_is_audited(world, people, client):
    li = people["li"]
    client = login(client, world.users["street"])
    body = text(client.get(f"/members/{li.pk}/"))
    assert "查看完整号码" in body and f'hx-post="/members/{li.pk}/reveal/"' in body
    assert 'name="purpose"' in body and 'name="reason"' in body
    r = client.post(
        f"/members/{li.pk}/reveal/", {"field": "id_number", **WHY}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200
    assert li.id_number in text(r) and "<html" not in text(r)
    assert r["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.object_id == str(li.pk) and entry.actor_id == world.users["street"].pk
    assert entry.note == "查看完整身份证号码（用途：核实身份；理由：核对转接材料）"
    r = client.post(f"/members/{li.pk}/reveal/", {"field": "phone", **WHY})  # a page
    assert r.status_code == 200 and PHONE in text(r) and "返回档案" in text(r)
    assert AuditEntry.objects.filter(action="pii.reveal").count() == 2
    # the file itself stays masked
    assert li.id_number not in text(client.get(f"/members/{li.pk}/"))


def test_reveal_refused_with_a_message_and_nothing_audited(world, people, client):
    li = people["li"]
    client = login(client, world.users["community"])
    r = client.post(
        f"/members/{li.pk}/reveal/", {"field": "id_number", **WHY}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 403
    body = text(r)
    assert "您没有查看完整个人信息的权限" in body
    assert li.id_number not in body and crypto.mask("id_number", li.id_number) in body
    r = client.post(f"/members/{li.pk}/reveal/", {"field": "id_number"})
    assert r.status_code == 403 and "403 无权访问" in text(r)


def test_reveal_without_purpose_or_reason_is_refused_in_place(world, people, client):
    li = people["li"]
    client = login(client, world.users["street"])
    for data, message in (
        ({"reason": "核对材料"}, "请选择查看用途"),
        ({"purpose": "verify", "reason": "x"}, "请填写查看理由（至少2个字）"),
    ):
        r = client.post(
            f"/members/{li.pk}/reveal/",
            {"field": "id_number", **data},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 422 and message in text(r)
        assert li.id_number not in text(r)
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()
    assert client.post(f"/members/{li.pk}/reveal/", {"field": "name"}).status_code == 400
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


# --- create and edit ------------------------------------------------------------------------------

GOOD = {
    "name": "陈新",
    "ethnicity": "01",
    "status": "full",
    "joined_on": "2010-07-01",
    "confirmed_on": "2011-07-01",
    "categories": ["in_service", "in_difficulty"],
    "phone": "13600001234",
    "education": "master",
}


def test_create_page_offers_only_manageable_orgs(world, client):
    body = text(login(client, world.users["community"]).get("/members/new/"))
    assert "新建党员档案" in body
    picker = body.split('id="id_org"', 1)[1].split("</select>", 1)[0]
    assert "中共龙桥社区委员会" in picker and "龙桥社区第一网格党支部" in picker
    assert "中共龙桥街道工作委员会" not in picker and "凤凰山" not in picker
    assert 'hx-get="/members/options/orgs/?purpose=manage&amp;field=org"' in body
    assert login(client, world.users["grid"]).get("/members/new/").status_code == 403


def test_create_goes_through_the_service(world, client):
    number = id_no("19900520", 7, female=True)
    data = {**GOOD, "org": world.orgs["grid_branch"].pk, "id_number": number, "unit": world.unit.pk}
    r = login(client, world.users["community"]).post("/members/new/", data)
    assert r.status_code == 302
    m = Member.objects.get(name="陈新")
    assert r["Location"] == f"/members/{m.pk}/"
    assert m.gender == "female" and m.birth_date == dt.date(1990, 5, 20)  # from the ID
    assert m.org_id == world.orgs["grid_branch"].pk and m.unit_id == world.unit.pk
    assert sorted(m.category_codes()) == ["in_difficulty", "in_service"]
    assert AuditEntry.objects.filter(action="member.create", object_id=str(m.pk)).exists()
    body = text(client.get(r["Location"]))
    assert "已新建党员档案：陈新" in body


def test_create_with_a_bad_check_digit_shows_the_field_error_and_writes_nothing(world, client):
    before = (Member.objects.count(), AuditEntry.objects.count())
    number = bad_check(id_no("19900520", 7))
    data = {**GOOD, "org": world.orgs["grid_branch"].pk, "id_number": number}
    r = login(client, world.users["community"]).post("/members/new/", data)
    assert r.status_code == 200
    body = text(r)
    assert "身份证号码校验位错误" in field_errors(body, "id_number")
    assert "has-error" in body
    assert (Member.objects.count(), AuditEntry.objects.count()) == before
    # the form keeps what was typed, and the organization chosen
    assert 'value="陈新"' in body
    assert f'<option value="{world.orgs["grid_branch"].pk}" selected>' in body


def test_create_reports_every_field_the_service_refuses(world, client):
    data = {
        "org": world.orgs["grid_branch"].pk,
        "name": "",
        "gender": "male",
        "birth_date": "2015-01-01",
        "ethnicity": "",
        "status": "full",
        "joined_on": "2020-01-01",
        "phone": "12345",
        "categories": ["in_service", "retired"],
    }
    body = text(login(client, world.users["community"]).post("/members/new/", data))
    assert "请填写姓名" in field_errors(body, "name")
    assert "请填写民族" in field_errors(body, "ethnicity")
    assert "年满18周岁" in field_errors(body, "joined_on")
    assert "正式党员须填写转正日期" in field_errors(body, "confirmed_on")
    assert "在职党员与离退休党员不能同时选择" in body
    assert "手机号码" in field_errors(body, "phone")
    assert not Member.objects.exists()


def test_create_names_a_duplicate_only_to_who_may_see_it(world, people, client, street2_user):
    number = people["li"].id_number
    data = {**GOOD, "org": world.orgs["street2_wc"].pk, "id_number": number}
    body = text(login(client, street2_user).post("/members/new/", data))
    assert "已在系统中登记" in field_errors(body, "id_number")
    assert "李明" not in body


def test_create_in_an_org_out_of_scope_is_404(world, client):
    data = {**GOOD, "org": world.orgs["street2_wc"].pk}
    r = login(client, world.users["community"]).post("/members/new/", data)
    assert r.status_code == 404
    assert not Member.objects.exists()


def test_edit_changes_only_what_changed(world, people, client):
    li = people["li"]
    client = login(client, world.users["community"])
    body = text(client.get(f"/members/{li.pk}/edit/"))
    assert 'value="李明"' in body and li.id_number not in body and PHONE not in body
    assert crypto.mask("id_number", li.id_number) in body  # as the placeholder
    data = {
        "name": "李明",
        "gender": "male",
        "birth_date": "1985-03-15",
        "ethnicity": "01",
        "education": "master",
        "occupation": "",
        "work_unit": "龙桥街道综治中心",
        "status": "full",
        "joined_on": "2005-07-01",
        "confirmed_on": "2006-07-01",
        "categories": ["in_service"],
        "unit": world.unit.pk,
        "id_number": "",
        "phone": "",
    }
    r = client.post(f"/members/{li.pk}/edit/", data)
    assert r.status_code == 302, field_errors(text(r), "name")
    li.refresh_from_db()
    assert li.work_unit == "龙桥街道综治中心" and li.education == "master"
    assert li.phone == PHONE and li.id_number == people["li"].id_number  # blank keeps them
    entry = AuditEntry.objects.filter(action="member.update").latest("id")
    assert {"work_unit", "education"} <= set(entry.after)
    assert not {"phone", "id_number", "name", "categories"} & set(entry.after)


def test_edit_maps_service_errors_onto_fields(world, people, client):
    li = people["li"]
    data = {
        "name": "李明",
        "gender": "female",  # the ID number says male
        "birth_date": "1985-03-15",
        "ethnicity": "01",
        "status": "full",
        "joined_on": "2005-07-01",
        "confirmed_on": "2004-07-01",
        "categories": ["in_service"],
    }
    r = login(client, world.users["community"]).post(f"/members/{li.pk}/edit/", data)
    assert r.status_code == 200
    body = text(r)
    assert "性别与身份证号码不符" in field_errors(body, "gender")
    assert "转正日期不能早于入党日期" in field_errors(body, "confirmed_on")
    li.refresh_from_db()
    assert li.confirmed_on == dt.date(2006, 7, 1)


# --- transfers ------------------------------------------------------------------------------------


@pytest.fixture
def agency_branch(world):
    return world_mod.org(
        world.orgs["street_wc"],
        "龙桥街道机关党支部",
        OrgKind.BRANCH,
        world.street,
        OrgDomain.AGENCY,
    )


def test_transfer_request_and_transitions(world, people, client, agency_branch):
    li = people["li"]
    client = login(client, world.users["street"])
    body = text(client.get(f"/members/{li.pk}/transfer/"))
    assert "申请组织关系转接" in body and 'id="id_to_org"' in body
    r = client.post(
        f"/members/{li.pk}/transfer/",
        {"kind": "internal", "to_org": agency_branch.pk, "reason": "工作调动"},
    )
    assert r.status_code == 302 and r["Location"] == f"/members/{li.pk}/"
    t = MemberTransfer.objects.get(member=li)
    assert t.state == "requested" and t.to_org_id == agency_branch.pk
    # a second request while this one is open: the service's refusal on the form
    body = text(
        client.post(f"/members/{li.pk}/transfer/", {"kind": "internal", "to_org": agency_branch.pk})
    )
    assert "该党员已有未办结的组织关系转接" in body
    # a move the state does not allow: a clear message, nothing changed
    r = client.post(f"/members/transfers/{t.pk}/transition/", {"action": "approve_in"}, follow=True)
    assert "不能执行“转入方接收”" in text(r)
    t.refresh_from_db()
    assert t.state == "requested"
    r = client.post(
        f"/members/transfers/{t.pk}/transition/", {"action": "approve_out", "note": "同意转出"}
    )
    assert r.status_code == 302
    r = client.post(f"/members/transfers/{t.pk}/transition/", {"action": "approve_in"}, follow=True)
    assert "已办理：转入方接收" in text(r)
    t.refresh_from_db()
    li.refresh_from_db()
    assert t.state == "completed" and li.org_id == agency_branch.pk
    assert list(t.steps.values_list("action", flat=True)) == [
        "request",
        "approve_out",
        "approve_in",
    ]
    body = text(client.get(f"/members/{li.pk}/"))
    assert "已完成" in body and "同意转出" in body and "转出方审批同意" in body


def test_transfer_target_must_be_visible(world, people, client):
    li = people["li"]
    client = login(client, world.users["community"])
    r = client.post(
        f"/members/{li.pk}/transfer/", {"kind": "internal", "to_org": world.orgs["street2_wc"].pk}
    )
    assert r.status_code == 404
    body = text(client.post(f"/members/{li.pk}/transfer/", {"kind": "internal"}))
    assert "请选择转入党组织" in field_errors(body, "to_org")
    assert not MemberTransfer.objects.exists()


def test_receiving_side_acts_from_the_transfer_list(world, people, client, street2_user):
    li = people["li"]
    # the county sees both streets and sends the member to the other street
    t = services.transfer_request(
        actor=world.users["county"], member=li, to_org=world.orgs["street2_wc"]
    )
    client = login(client, street2_user)
    assert client.get(f"/members/{li.pk}/").status_code == 404  # the file is not theirs yet
    body = text(client.get("/members/transfers/"))
    assert "李明" in body and "待转出方审批" in body
    assert "转出方审批同意" not in body  # the sending side's move
    r = client.post(f"/members/transfers/{t.pk}/transition/", {"action": "approve_out"})
    assert r.status_code == 403 and "只有转出方党组织可以执行" in text(r)
    services.transfer_transition(actor=world.users["street"], transfer=t, action="approve_out")
    body = text(client.get("/members/transfers/?state=out_approved"))
    assert "转入方接收" in body
    r = client.post(
        f"/members/transfers/{t.pk}/transition/",
        {"action": "approve_in", "next": "/members/transfers/"},
    )
    assert r.status_code == 302 and r["Location"] == "/members/transfers/"
    li.refresh_from_db()
    assert li.org_id == world.orgs["street2_wc"].pk
    assert client.get(f"/members/{li.pk}/").status_code == 200
    assert (
        login(client, world.users["street3"])
        .post(f"/members/transfers/{t.pk}/transition/", {"action": "cancel"})
        .status_code
        == 404
    )


def test_out_of_system_transfer_needs_the_letter(world, people, client):
    li = people["wang"]
    client = login(client, world.users["street"])
    client.post(
        f"/members/{li.pk}/transfer/", {"kind": "out_of_system", "to_org_name": "某省某县委组织部"}
    )
    t = MemberTransfer.objects.get(member=li)
    r = client.post(
        f"/members/transfers/{t.pk}/transition/", {"action": "approve_out"}, follow=True
    )
    assert "请填写介绍信编号" in text(r)
    client.post(
        f"/members/transfers/{t.pk}/transition/",
        {"action": "approve_out", "letter_number": "闽组转〔2026〕18号"},
    )
    t.refresh_from_db()
    li.refresh_from_db()
    assert t.state == "completed" and li.left_on is not None
    body = text(client.get("/members/"))
    assert "王芳" not in body  # out of the registry's lists
    assert "王芳" in text(client.get("/members/?include_left=on"))


# --- mobile members ------------------------------------------------------------------------------


def test_register_and_end_a_mobile_member(world, people, client):
    li = people["li"]
    client = login(client, world.users["community"])
    body = text(client.get(f"/members/{li.pk}/mobile/"))
    assert "登记为流动党员" in body and 'id="id_card_issuer"' in body
    body = text(client.post(f"/members/{li.pk}/mobile/", {"destination": ""}))
    assert "请填写外出去向" in field_errors(body, "destination")
    assert "请填写外出日期" in field_errors(body, "left_on")
    left = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    r = client.post(
        f"/members/{li.pk}/mobile/",
        {"destination": "江苏省南通市", "left_on": left, "contact_phone": "13700002222"},
    )
    assert r.status_code == 302
    reg = MobileRegistration.objects.get(member=li)
    assert reg.active and reg.contact_phone == "13700002222"
    body = text(client.post(f"/members/{li.pk}/mobile/", {"destination": "上海", "left_on": left}))
    assert "该党员已登记为流动党员" in body
    r = client.post(f"/members/mobile/{reg.pk}/end/", follow=True)
    assert "已登记返回" in text(r)
    reg.refresh_from_db()
    assert not reg.active and "mobile" not in li.category_codes()


# --- check-ins -------------------------------------------------------------------------------------


def test_checkin_list_is_narrow(world, people, client):
    li = people["li"]
    checkin = services.member_checkin(
        actor=world.users["street"], member=li, community=world.community
    )
    services.checkin_service_record(
        actor=world.users["community"], checkin=checkin, content="环境整治", hours=2.5
    )
    r = login(client, world.users["community"]).get("/members/checkins/")
    assert r.status_code == 200
    table = text(r).split('id="checkin-table"', 1)[1].split("</table>", 1)[0]
    assert "李明" in table and "龙桥街道办事处" in table and "2.5" in table
    assert table.count("<th>") + table.count("<th ") == 3  # name, unit, hours only
    for private in (
        li.id_number,
        crypto.mask("id_number", li.id_number),
        "139****5678",
        "正式党员",
    ):
        assert private not in table
    assert "李明" in text(client.get("/members/checkins/?q=街道办"))
    assert "李明" not in text(client.get("/members/checkins/?q=没有这个"))
    assert "李明" not in text(login(client, world.users["street3"]).get("/members/checkins/"))
    r = login(client, world.users["resident"]).get("/members/checkins/")
    assert (r.status_code, r["Location"]) == (302, "/m/")  # no console pages
    assert CommunityCheckin.objects.count() == 1


# --- import ------------------------------------------------------------------------------------------

HEADER = ["姓名", "民族", "身份证号", "入党日期", "转正日期", "党员状态", "所在党组织"]


def _file(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("党员.xlsx", xlsx([HEADER, *rows]))


def _rows():
    branch = "龙桥社区第一网格党支部"
    return [
        [
            "导入一",
            "汉族",
            id_no("19800101", 41),
            dt.date(2005, 7, 1),
            dt.date(2006, 7, 1),
            "正式党员",
            branch,
        ],
        [
            "导入二",
            "汉族",
            bad_check(id_no("19800101", 42)),
            dt.date(2005, 7, 1),
            dt.date(2006, 7, 1),
            "正式党员",
            branch,
        ],
        [
            "导入三",
            "汉族",
            id_no("19800101", 43),
            dt.date(2005, 7, 1),
            None,
            "正式党员",
            "不存在的党支部",
        ],
    ]


def test_import_page_links_the_template(world, client):
    client = login(client, world.users["street"])
    body = text(client.get("/members/import/"))
    assert 'href="/members/import/template/"' in body and "全部成功才导入" in body
    r = client.get("/members/import/template/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    assert login(client, world.users["grid"]).get("/members/import/").status_code == 403


def test_import_all_or_nothing_shows_the_error_report(world, client):
    r = login(client, world.users["street"]).post(
        "/members/import/", {"file": _file(_rows()), "mode": "all_or_nothing"}
    )
    assert r.status_code == 200
    body = text(r)
    report = body.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    assert "第3行" in report and "身份证号" in report and "身份证号码校验位错误" in report
    assert "第4行" in report and "所在党组织" in report and "未找到党组织“不存在的党支部”" in report
    assert "转正日期" in report and "正式党员须填写转正日期" in report
    assert "未导入任何数据" in body
    assert not Member.objects.exists()


def test_import_skip_bad_creates_the_good_rows(world, client):
    r = login(client, world.users["street"]).post(
        "/members/import/", {"file": _file(_rows()), "mode": "skip_bad"}
    )
    body = text(r)
    assert '<dd id="import-created">1 人' in body
    assert list(Member.objects.values_list("name", flat=True)) == ["导入一"]
    assert "第3行" in body


def test_import_refuses_a_broken_file_on_the_field(world, client):
    client = login(client, world.users["street"])
    body = text(client.post("/members/import/", {"mode": "all_or_nothing"}))
    assert "请上传Excel文件（.xlsx）" in field_errors(body, "file")
    bad = SimpleUploadedFile("x.xlsx", b"not a workbook")
    body = text(client.post("/members/import/", {"file": bad, "mode": "all_or_nothing"}))
    assert field_errors(body, "file")
    assert not Member.objects.exists()


# --- statistics ----------------------------------------------------------------------------------------


def test_stats_tables(world, people, client):
    client = login(client, world.users["street"])
    r = client.get("/members/stats/")
    assert r.status_code == 200
    body = text(r)
    assert '<span class="stat-total" id="stat-total">2</span>' in body
    for title in (
        "按党员状态",
        "按性别",
        "按年龄段",
        "按学历",
        "按职业",
        "按党员类别",
        "按入党时间",
        "按民族",
    ):
        assert title in body
    assert "预备党员" in body and "2012年11月以来" in body
    body = text(client.get(f"/members/stats/?org={world.orgs['grid_branch'].pk}"))
    assert '<span class="stat-total" id="stat-total">1</span>' in body
    assert (
        "龙桥社区第一网格党支部" in body and f"/members/?org={world.orgs['grid_branch'].pk}" in body
    )
    body = text(client.get(f"/members/stats/?area={world.unit.pk}"))
    assert '<span class="stat-total" id="stat-total">1</span>' in body
    assert client.get(f"/members/stats/?org={world.orgs['street2_wc'].pk}").status_code == 404
    assert client.get(f"/members/stats/?area={world.street3.pk}").status_code == 404


# --- pickers ---------------------------------------------------------------------------------------------


def test_org_picker_search_is_scoped(world, client):
    client = login(client, world.users["street"])
    r = client.get("/members/options/orgs/?purpose=target&q=ZG", headers={"HX-Request": "true"})
    body = text(r)
    assert "<html" not in body
    assert "中共龙桥社区委员会" in body and "中共龙桥街道工作委员会" in body
    assert "凤凰山" not in body and "城厢区委" not in body
    assert "selected" in body  # typing picks the first match
    body = text(client.get("/members/options/orgs/?purpose=target&q=1号楼"))
    assert "1号楼党小组" not in body  # not a transfer target
    body = text(client.get("/members/options/areas/?purpose=residence&q=1号楼"))
    assert "1号楼单元（龙桥社区第一网格）" in body
    body = text(
        client.get(
            f"/members/options/orgs/?purpose=manage&field=org&org={world.orgs['unit_group'].pk}&q=zz"
        )
    )
    assert f'<option value="{world.orgs["unit_group"].pk}" selected>' in body
    assert "没有匹配的结果" in body
