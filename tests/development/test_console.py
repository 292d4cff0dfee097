"""Console pages (list with the stage filter, the applicant's page with the 25-step timeline
and the next step's form, the board with targets) and the mobile page (/m/development/)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from dangjian.development.models import DevelopmentTarget
from tests.development import helpers as h

pytestmark = pytest.mark.django_db


def test_menu_entry_and_list_with_stage_filter(world, client):
    a = h.walk(world, h.applicant(world), 3, dt.date(2026, 1, 5))
    b = h.applicant(world, name="王申请")
    client.force_login(world.users["community"])
    r = client.get("/development/")
    text = r.content.decode()
    assert r.status_code == 200
    assert 'href="/development/"' in text and "发展党员" in text
    assert a.name in text and b.name in text
    text = client.get("/development/?stage=2").content.decode()
    assert a.name in text and b.name not in text
    text = client.get("/development/?stage=9").content.decode()
    assert "阶段应为1至5" in text


def test_list_query_count_is_pinned(world, client, django_assert_max_num_queries):
    for i in range(3):
        h.walk(world, h.applicant(world, name=f"申请人{i}"), i, dt.date(2026, 1, 5))
    client.force_login(world.users["community"])
    client.get("/development/")
    reset_queries()
    with CaptureQueriesContext(connection) as small:
        client.get("/development/")
    baseline = len(small.captured_queries)
    assert baseline >= 2
    for i in range(10):
        h.walk(world, h.applicant(world, name=f"更多申请人{i}"), i % 4, dt.date(2026, 1, 5))
    reset_queries()
    with django_assert_max_num_queries(baseline):
        r = client.get("/development/")
    assert r.content.decode().count('class="applicant-name"') == 13


def test_detail_shows_timeline_and_next_step_form(world, client):
    a = h.walk(world, h.applicant(world), 8, dt.date(2025, 1, 6))
    with h.travel(h.NOW):
        client.force_login(world.users["community"])
        text = client.get(f"/development/{a.pk}/").content.decode()
    assert text.count('<span class="no">') == 25
    assert "第9步 确定入党介绍人" in text
    assert 'name="sponsors"' in text  # the member picker
    assert "350302********" in text and a.id_number not in text


def test_take_a_step_through_the_console(world, client):
    a = h.walk(world, h.applicant(world), 16, dt.date(2025, 1, 6))
    with h.travel(h.NOW):
        client.force_login(world.users["community"])
        r = client.post(
            f"/development/{a.pk}/transition/",
            {
                "action": "17",
                "date": a.last_step_on.isoformat(),
                "approving_org_id": world.orgs["community_committee"].pk,
            },
        )
        assert r.status_code == 422
        assert "村(社区)党委无权审批" in r.content.decode()
        page = client.get(f"/development/{a.pk}/").content.decode()
        assert world.orgs["county_committee"].name in page  # offered as an approver
        r = client.post(
            f"/development/{a.pk}/transition/",
            {
                "action": "17",
                "date": a.last_step_on.isoformat(),
                "approving_org_id": world.orgs["county_committee"].pk,
            },
        )
        assert r.status_code == 302
    a.refresh_from_db()
    assert a.step == 17 and a.member_id


def test_console_refusal_names_the_rule(world, client):
    a = h.walk(world, h.applicant(world), 6, dt.date(2025, 3, 1))
    with h.travel(h.NOW):
        client.force_login(world.users["community"])
        r = client.post(f"/development/{a.pk}/transition/", {"action": "7", "date": "2026-02-28"})
    assert r.status_code == 409
    assert "最早可于2026年3月1日" in r.content.decode()


def test_new_applicant_form(world, client):
    client.force_login(world.users["community"])
    r = client.get("/development/new/")
    assert world.orgs["grid_branch"].name in r.content.decode()
    r = client.post("/development/new/", {"org": world.orgs["grid_branch"].pk, "name": ""})
    assert r.status_code == 200 and "请填写姓名" in r.content.decode()
    r = client.post(
        "/development/new/",
        {
            "org": world.orgs["grid_branch"].pk,
            "name": "钱申请",
            "ethnicity": "01",
            "id_number": h.id_no("19980101", 77),
        },
    )
    assert r.status_code == 302


def test_board_page_and_target_form(world, client):
    h.walk(world, h.applicant(world), 3, dt.date(2026, 1, 5))
    node = world.orgs["county_committee"]
    with h.travel(dt.date(2026, 6, 1)):
        client.force_login(world.users["county"])
        text = client.get(f"/development/board/?org={node.pk}").content.decode()
        assert "2026年度目标完成情况" in text and "中共龙桥街道工作委员会" in text
        r = client.post(
            "/development/board/targets/",
            {
                "tree": "org",
                "node": node.pk,
                "year": 2026,
                "activists": 500,
                "candidates": 300,
                "new_members": 100,
            },
        )
        assert r.status_code == 302
        text = client.get(r["Location"]).content.decode()
    t = DevelopmentTarget.objects.get(org=node, year=2026)
    assert (t.activists, t.candidates, t.new_members) == (500, 300, 100)
    assert "500 / 1" in text


def test_board_query_count_is_pinned(world, client, django_assert_max_num_queries):
    h.walk(world, h.applicant(world), 2, dt.date(2026, 1, 5))
    with h.travel(h.NOW):
        client.force_login(world.users["county"])
        client.get("/development/board/")
        reset_queries()
        with CaptureQueriesContext(connection) as small:
            first = client.get("/development/board/")
        baseline = len(small.captured_queries)
        assert baseline >= 2
        assert first.status_code == 200, first
    for i in range(8):
        h.walk(world, h.applicant(world, name=f"申请人{i}"), i % 3, dt.date(2026, 1, 5))
    with h.travel(h.NOW):
        client.get("/development/board/")
        reset_queries()
        with django_assert_max_num_queries(baseline):
            r = client.get("/development/board/")
    assert r.status_code == 200


def test_mobile_applicant_and_contact_see_the_next_step(world, client):
    from dangjian.accounts.models import UserKind
    from tests.world import user as make_user

    contact_user = make_user("t-contact", role="member", kind=UserKind.MEMBER, home=world.unit)
    contact = h.full_members(world, 1, prefix="联系人")[0]
    contact.user = contact_user
    contact.save()
    others = h.full_members(world, 2, prefix="介绍人")
    a = h.applicant(world, user=world.users["resident"])
    a = h.walk(world, a, 6, dt.date(2026, 1, 5), people={"contacts": [contact], "sponsors": others})
    with h.travel(dt.date(2026, 6, 1)):
        client.force_login(world.users["resident"])
        home = client.get("/m/").content.decode()
        assert "入党进度" in home
        text = client.get("/m/development/").content.decode()
        assert a.name in text and "第7步 确定发展对象" in text and "2027-01-05" in text
        client.force_login(contact_user)
        text = client.get("/m/development/").content.decode()
        assert a.name in text and "我是培养联系人" in text
        client.force_login(world.users["member"])
        text = client.get("/m/development/").content.decode()
        assert a.name not in text and "暂无" in text
