"""Query budgets of the lists (no N+1), and the console pages."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.assessment.models import Ranking, Rectification
from dangjian.assessment.services import weak
from dangjian.assessment.services.warnings import warnings_recompute
from dangjian.members.models.mobile import MobileRegistration
from tests.assessment.helpers import bottom_list
from tests.orglife.helpers import people

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def built(world):
    for i in range(4):
        weak.flag_add_manual(
            actor=world.users["county"],
            org=world.orgs["community_committee"],
            year=2026,
            summary=f"人工情形{i}",
            evidence="走访记录",
        )
    weak.rankings_recompute(year=2026, today=TODAY)
    bottom_list(world, 2026, TODAY)
    weak.ranking_confirm(
        actor=world.users["county"],
        ranking=Ranking.objects.get(county=world.nodes["county"]),
        today=TODAY,
    )
    for m in people(world.orgs["grid_branch"], 12):
        MobileRegistration.objects.create(
            member=m,
            destination="外省",
            left_on=dt.date(2020, 1, 1),
            last_contact_on=dt.date(2020, 1, 1),
        )
    warnings_recompute(today=TODAY)
    return world


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/assessment/flags/?page_size=200",
        "/api/v1/assessment/rankings/",
        "/api/v1/assessment/rectifications/",
        "/api/v1/assessment/warnings/?page_size=200",
        "/api/v1/assessment/warnings/counts",
    ],
)
def test_list_query_budget(built, api, path, django_assert_max_num_queries):
    county = built.users["county"]
    api.get(county, "/api/v1/me")  # the token and the grants are read once
    with django_assert_max_num_queries(8):
        res = api.get(county, path)
    assert res.status_code == 200
    body = res.json()
    assert (body["count"] if isinstance(body, dict) else len(body)) >= 1


def test_ranking_detail_query_budget(built, api, django_assert_max_num_queries):
    county = built.users["county"]
    r = Ranking.objects.get(county=built.nodes["county"])
    api.get(county, "/api/v1/me")
    with django_assert_max_num_queries(10):
        res = api.get(county, f"/api/v1/assessment/rankings/{r.pk}")
    assert res.status_code == 200 and res.json()["entries"][0]["rectification_id"]


@pytest.mark.parametrize(
    "path",
    [
        "/assessment/flags/?year=2026",
        "/assessment/rankings/?year=2026",
        "/assessment/rectifications/",
        "/assessment/warnings/",
        "/assessment/settings/",
    ],
)
def test_console_pages(built, client, path):
    client.force_login(built.users["county"])
    res = client.get(path)
    assert res.status_code == 200
    assert "软弱涣散" in res.content.decode() or "预警" in res.content.decode()


def test_ranking_and_rectification_pages(built, client):
    r = Ranking.objects.get(county=built.nodes["county"])
    rect = Rectification.objects.get()
    client.force_login(built.users["county"])
    page = client.get(f"/assessment/rankings/{r.pk}/").content.decode()
    assert "中共龙桥社区委员会" in page and "人工情形0" in page
    client.force_login(built.users["community"])
    page = client.get(f"/assessment/rectifications/{rect.pk}/").content.decode()
    assert "制定整顿方案" in page
    res = client.post(
        f"/assessment/rectifications/{rect.pk}/",
        {"action": "plan", "measures": "配齐班子", "leader": "王书记"},
    )
    assert res.status_code == 302
    rect.refresh_from_db()
    assert rect.state == "in_progress" and rect.leader == "王书记"
    res = client.post(f"/assessment/rectifications/{rect.pk}/", {"action": "report", "note": ""})
    assert res.status_code == 200 and "请填写说明" in res.content.decode()


def test_org_page_shows_flags_and_rectification(built, client):
    client.force_login(built.users["county"])
    org = built.orgs["community_committee"]
    page = client.get(f"/orgs/{org.pk}/").content.decode()
    assert f'hx-get="/assessment/orgs/{org.pk}/"' in page
    panel = client.get(f"/assessment/orgs/{org.pk}/").content.decode()
    assert 'id="org-assessment"' in panel and "2026年整顿" in panel and "人工情形0" in panel


def test_todos_for_each_side(built):
    from dangjian.core import todo

    sec = built.users["community"]
    assert [t.title for t in todo.inbox(sec, only=["assessment.rectification_plan"])] == [
        "制定整顿方案"
    ]
    assert not todo.inbox(built.users["county"], only=["assessment.rectification_plan"])


def test_signoff_and_confirmation_todos(world):
    from dangjian.core import todo

    weak.flag_add_manual(
        actor=world.users["county"],
        org=world.orgs["community_committee"],
        year=2026,
        summary="人工情形",
        evidence="走访记录",
    )
    bottom_list(world, 2026, TODAY)
    county = world.users["county"]
    waiting = todo.inbox(county, only=["assessment.ranking_confirm"])
    assert [t.subject for t in waiting] == ["2026年 · 城厢区"]
    assert not todo.inbox(world.users["community"], only=["assessment.ranking_confirm"])


def test_recompute_command_and_button(world, client, settings):
    from django.core.management import call_command

    from dangjian.assessment.models import Flag

    call_command("assessment_recompute", year=2026)
    n = Flag.objects.count()
    assert n > 0
    call_command("assessment_recompute", year=2026)
    assert Flag.objects.count() == n
    client.force_login(world.users["grid"])
    assert client.post("/assessment/recompute/", {"year": 2026}).status_code == 403
