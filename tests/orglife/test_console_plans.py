"""Console pages of organizational-life plans: the list (scope, filters, paging, query count),
creating a plan with its items (errors in place, nothing half-written), the plan page with
which items already have a session, and editing or deleting items before they are used."""

import pytest
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.orglife import plans
from dangjian.orglife.models import Plan, PlanItem, Session
from tests.orglife.helpers import at, schedule
from tests.world import org

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def make_plan(actor, branch, *, quarter=None, items=None, year=YEAR):
    return plans.plan_create(
        actor=actor,
        org=branch,
        year=year,
        quarter=quarter,
        items=items
        if items is not None
        else [
            {"session_type": "party_lesson", "month": 3, "topic": "学习新党章"},
            {"session_type": "theme_day", "month": 5, "topic": "重温入党誓词"},
        ],
    )


def test_list_in_scope_filtered_paginated_with_fixed_query_count(
    client, world, secretary, branch, django_assert_num_queries
):
    other = org(world.orgs["community_committee"], "第二网格党支部", "branch", world.grid2)
    make_plan(secretary, branch)
    make_plan(secretary, other, quarter=1, items=[])
    make_plan(secretary, branch, year=YEAR - 1, items=[])
    client.force_login(secretary)
    html = client.get("/orglife/plans/").content.decode()
    assert "组织生活计划" in html and f"{YEAR}年第1季度" in html and "0/2" in html
    assert html.count("/orglife/plans/") >= 3
    # by organization and year
    html = client.get("/orglife/plans/", {"org": other.pk, "year": YEAR}).content.decode()
    assert "第二网格党支部" in html and "0/2" not in html
    html = client.get("/orglife/plans/", {"year": YEAR - 1}).content.decode()
    assert f"{YEAR - 1}年全年" in html and f"{YEAR}年全年" not in html
    r = client.get("/orglife/plans/", {"year": "20x6"})
    assert r.status_code == 200 and "年度应为2000至2100" in r.content.decode()
    # the same number of queries whatever the number of plans and items
    for i in range(4):
        b = org(world.orgs["community_committee"], f"新支部{i}", "branch", world.grid2)
        make_plan(secretary, b)
    with django_assert_num_queries(8):
        r = client.get("/orglife/plans/", {"year": YEAR})
    assert r.status_code == 200 and "新支部3" in r.content.decode()
    # another county's staff see none of them, and the branch filter reads as absent
    client.force_login(world.users["street3"])
    assert "学习新党章" not in client.get("/orglife/plans/").content.decode()
    assert "没有符合条件" in client.get("/orglife/plans/").content.decode()
    assert client.get("/orglife/plans/", {"org": branch.pk}).status_code == 404


def test_list_pages(client, world, secretary):
    for i in range(31):
        b = org(world.orgs["community_committee"], f"支部{i:02d}", "branch", world.grid2)
        make_plan(secretary, b, items=[])
    client.force_login(secretary)
    first = client.get("/orglife/plans/").content.decode()
    second = client.get("/orglife/plans/", {"page": 2}).content.decode()
    assert "共 31 条" in first and "第 2/2 页" in second


def test_create_with_items_and_errors_kept_in_the_form(client, secretary, branch):
    client.force_login(secretary)
    r = client.get("/orglife/plans/new/", {"org": branch.pk})
    assert r.status_code == 200 and "龙桥社区第一网格党支部" in r.content.decode()
    bad = {
        "org": branch.pk,
        "year": YEAR,
        "quarter": "2",
        "title": "二季度计划",
        "item_type": ["party_lesson", "theme_day", ""],
        "item_month": ["5", "9", ""],
        "item_topic": ["学习党史", "", ""],
    }
    r = client.post("/orglife/plans/new/", bad)
    html = r.content.decode()
    assert r.status_code == 422
    assert "计划月份应在4至6月之间" in html and "请填写主题" in html
    assert 'value="学习党史"' in html and 'value="二季度计划"' in html
    assert not Plan.objects.exists() and not PlanItem.objects.exists()
    good = {**bad, "item_month": ["5", "6", ""], "item_topic": ["学习党史", "植树", ""]}
    r = client.post("/orglife/plans/new/", good)
    plan = Plan.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/orglife/plans/{plan.pk}/"
    assert plan.quarter == 2 and plan.title == "二季度计划"
    assert sorted(plan.items.values_list("month", "topic")) == [(5, "学习党史"), (6, "植树")]
    # the same period again: a Chinese message on the year, nothing written
    r = client.post("/orglife/plans/new/", good)
    assert r.status_code == 422 and "该组织本期计划已存在" in r.content.decode()
    assert Plan.objects.count() == 1
    r = client.post("/orglife/plans/new/", {**good, "year": "abc", "org": ""})
    html = r.content.decode()
    assert r.status_code == 422 and "请选择党组织" in html and "年度应为" in html


def test_plan_page_items_with_sessions_edit_and_delete(client, secretary, branch):
    plan = make_plan(secretary, branch)
    lesson, theme = plan.items.order_by("month")
    client.force_login(secretary)
    # schedule a session from the item: the form is prefilled and the session references it
    r = client.get("/orglife/sessions/new/", {"org": branch.pk, "plan_item": lesson.pk})
    assert 'value="学习新党章"' in r.content.decode()
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "plan_item": lesson.pk,
            "session_type": "party_lesson",
            "topic": "学习新党章",
            "starts_at": f"{YEAR}-03-10T09:00",
            "ends_at": f"{YEAR}-03-10T11:00",
        },
    )
    assert r.status_code == 302
    s = Session.objects.get()
    assert s.plan_item_id == lesson.pk
    html = client.get(f"/orglife/plans/{plan.pk}/").content.decode()
    assert "已安排 1 项" in html and f"/orglife/sessions/{s.pk}/" in html and "未安排" in html
    assert f"/orglife/plans/items/{theme.pk}/" in html
    assert f"/orglife/plans/items/{lesson.pk}/" not in html  # used: no edit link
    # a used item can be neither changed nor deleted
    r = client.post(
        f"/orglife/plans/items/{lesson.pk}/",
        {"session_type": "party_lesson", "month": "4", "topic": "改"},
        follow=True,
    )
    assert "已安排组织生活，不能再修改或删除" in r.content.decode()
    r = client.post(f"/orglife/plans/items/{lesson.pk}/delete/", follow=True)
    assert "不能再修改或删除" in r.content.decode()
    assert PlanItem.objects.filter(pk=lesson.pk, month=3).exists()
    # an unused one can: a bad month is shown in place, then a good edit, then delete
    r = client.post(
        f"/orglife/plans/items/{theme.pk}/",
        {"session_type": "theme_day", "month": "13", "topic": "重温誓词"},
    )
    assert r.status_code == 422 and "计划月份应在1至12月之间" in r.content.decode()
    assert 'value="重温誓词"' in r.content.decode()
    r = client.post(
        f"/orglife/plans/items/{theme.pk}/",
        {"session_type": "theme_day", "month": "7", "topic": "重温誓词"},
    )
    assert r.status_code == 302
    theme.refresh_from_db()
    assert (theme.month, theme.topic) == (7, "重温誓词")
    assert AuditEntry.objects.filter(action="orglife.plan_item.update").exists()
    r = client.post(f"/orglife/plans/items/{theme.pk}/delete/")
    assert r.status_code == 302 and not PlanItem.objects.filter(pk=theme.pk).exists()
    # add an item; a bad one re-renders the page with the values kept
    r = client.post(
        f"/orglife/plans/{plan.pk}/items/new/",
        {"session_type": "heart_talk", "month": "8", "topic": ""},
    )
    assert r.status_code == 422 and "请填写主题" in r.content.decode()
    assert plan.items.count() == 1
    r = client.post(
        f"/orglife/plans/{plan.pk}/items/new/",
        {"session_type": "heart_talk", "month": "8", "topic": "谈心谈话"},
    )
    assert r.status_code == 302 and plan.items.filter(topic="谈心谈话", month=8).exists()


def test_session_via_plan_shows_on_items_and_out_of_scope_is_404(client, world, secretary, branch):
    plan = make_plan(secretary, branch)
    item = plan.items.get(month=5)
    schedule(secretary, branch, "theme_day", start=at(YEAR, 5, 1), plan_item=item)
    client.force_login(world.users["street3"])
    assert client.get(f"/orglife/plans/{plan.pk}/").status_code == 404
    assert client.get(f"/orglife/plans/items/{item.pk}/").status_code == 404
    assert client.post(f"/orglife/plans/items/{item.pk}/delete/").status_code == 404
    r = client.post(
        f"/orglife/plans/{plan.pk}/items/new/",
        {"session_type": "heart_talk", "month": "8", "topic": "越界"},
    )
    assert r.status_code == 404 and plan.items.count() == 2


def test_links_from_menu_calendar_and_branch_drill_down(client, secretary, branch):
    client.force_login(secretary)
    html = client.get("/orglife/", {"org": branch.pk}).content.decode()
    assert "组织生活计划" in html and f"/orglife/plans/?org={branch.pk}" in html
    html = client.get(f"/orglife/compliance/branch/{branch.pk}/", {"period": str(YEAR)})
    assert f"/orglife/plans/?org={branch.pk}&year={YEAR}" in html.content.decode()
    html = client.get("/").content.decode()
    assert 'href="/orglife/plans/"' in html
