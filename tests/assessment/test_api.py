"""The assessment API: schemes, ratings with their explanation, objections, projects and
reviews; scope (a street sees no other street's ratings); query counts pinned on lists."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from dangjian.assessment.models import Rating, Review
from dangjian.assessment.services import rating as services
from dangjian.organizations.models import OrgKind
from tests.assessment.rating_helpers import YEAR, scheme
from tests.world import org

pytestmark = pytest.mark.django_db
TODAY = dt.date(YEAR, 12, 20)


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(YEAR, 12, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def rated(world, clock):
    admin = world.users["admin"]
    scheme(admin)
    # Branches in both streets of the county, and one in the other county.
    world.orgs["street2_branch"] = org(
        world.orgs["street2_wc"], "凤山社区第一党支部", OrgKind.BRANCH, world.nodes["community2"]
    )
    for i in range(6):
        org(
            world.orgs["community_committee"],
            f"龙桥社区第{i + 3}党支部",
            OrgKind.BRANCH,
            world.nodes["grid2"],
        )
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    return world


def test_rating_detail_lines_add_up(rated, api):
    r = Rating.objects.get(org=rated.orgs["grid_branch"], year=YEAR)
    body = api.get(rated.users["community"], f"/api/v1/assessment/ratings/{r.pk}").json()
    assert body["org_name"] == "龙桥社区第一网格党支部"
    assert sum(Decimal(ln["points"]) for ln in body["lines"]) == Decimal(body["score"])
    assert {ln["code"] for ln in body["lines"]} >= {"orglife", "dues", "service"}
    assert all(ln["figure"] and ln["source"] for ln in body["lines"])


def test_street_sees_no_other_streets_ratings(rated, api):
    other = Rating.objects.get(org=rated.orgs["street2_branch"], year=YEAR)
    street = rated.users["street"]
    items = api.get(street, "/api/v1/assessment/ratings/?page_size=200").json()["items"]
    ids = {i["id"] for i in items}
    assert other.pk not in ids and len(ids) >= 7
    assert api.get(street, f"/api/v1/assessment/ratings/{other.pk}").status_code == 404
    assert api.get(street, f"/api/v1/assessment/ratings/{other.pk}/objections/").status_code == 404
    r3 = api.get(rated.users["street3"], "/api/v1/assessment/ratings/").json()
    assert r3["count"] == 0
    county = api.get(rated.users["county"], "/api/v1/assessment/ratings/?page_size=200").json()
    assert other.pk in {i["id"] for i in county["items"]}


def test_county_ranking_in_score_order(rated, api):
    body = api.get(
        rated.users["county"],
        f"/api/v1/assessment/ratings/?area={rated.nodes['county'].pk}&year={YEAR}&page_size=200",
    ).json()
    scores = [Decimal(i["score"]) for i in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert body["items"][0]["rank"] == 1


def test_ratings_list_query_count_is_flat(rated, api, django_assert_max_num_queries):
    user = rated.users["county"]
    api.get(user, "/api/v1/assessment/ratings/")  # token and grants cached
    with django_assert_max_num_queries(8):
        r = api.get(user, "/api/v1/assessment/ratings/?page_size=200")
    assert r.json()["count"] >= 9


def test_bad_input_is_422_in_chinese(rated, api):
    user = rated.users["county"]
    r = api.get(user, "/api/v1/assessment/ratings/?year=abc")
    assert r.status_code == 422 and "year" in r.json()["errors"]
    r = api.get(user, "/api/v1/assessment/ratings/?state=zzz")
    assert r.status_code == 422
    r = api.post(
        rated.users["admin"],
        "/api/v1/assessment/schemes/",
        {"sector": "village", "year": 2026, "five_star": "abc"},
    )
    assert r.status_code == 422 and "five_star" in r.json()["errors"]


def test_objection_through_the_api(rated, api):
    r = Rating.objects.get(org=rated.orgs["grid_branch"], year=YEAR)
    path = f"/api/v1/assessment/ratings/{r.pk}/objections/"
    assert api.post(rated.users["community"], path, {"reason": "漏算"}).status_code == 409
    resp = api.post(
        rated.users["county"],
        "/api/v1/assessment/publications/",
        {"area_id": rated.nodes["county"].pk, "year": YEAR},
    )
    assert resp.status_code == 200 and resp.json()["published"] >= 8
    resp = api.post(rated.users["community"], path, {"reason": ""})
    assert resp.status_code == 422 and "reason" in resp.json()["errors"]
    resp = api.post(rated.users["community"], path, {"reason": "组织生活记录漏算"})
    assert resp.status_code == 200
    oid = resp.json()["id"]
    detail = api.get(rated.users["county"], f"/api/v1/assessment/ratings/{r.pk}").json()
    assert "handle_objection" in detail["allowed_actions"]
    # The secretary cannot decide on an objection.
    resp = api.post(
        rated.users["community"],
        f"/api/v1/assessment/objections/{oid}/handle",
        {"decision": "upheld", "response": "自己批"},
    )
    assert resp.status_code == 403
    resp = api.post(
        rated.users["county"],
        f"/api/v1/assessment/objections/{oid}/handle",
        {"decision": "rejected", "response": "经核实记录完整"},
    )
    assert resp.status_code == 200 and resp.json()["state"] == "rejected"


def test_schemes_list(rated, api, django_assert_max_num_queries):
    user = rated.users["street"]
    api.get(user, "/api/v1/assessment/schemes/")
    with django_assert_max_num_queries(6):
        body = api.get(user, "/api/v1/assessment/schemes/").json()
    assert body["count"] == 1 and body["items"][0]["total_weight"] == "100.00"
    r = api.post(user, "/api/v1/assessment/schemes/", {"sector": "village", "year": 2026})
    assert r.status_code == 403


def test_project_cadence_and_rating_feed(rated, api):
    community, street = rated.users["community"], rated.users["street"]
    branch = rated.orgs["grid_branch"]
    r = api.post(
        community,
        "/api/v1/assessment/projects/",
        {
            "org_id": branch.pk,
            "year": YEAR,
            "title": "红色物业",
            "secretary_name": "王书记",
            "team": ["李一", "张二"],
            "plan": "一季度摸底，二季度推进",
            "milestones": [{"title": "摸底", "due_on": f"{YEAR}-03-31"}],
        },
    )
    assert r.status_code == 200, r.json()
    p = r.json()
    assert len(p["reviews"]) == 7 and len(p["milestones"]) == 1
    assert {x["kind"] for x in p["reviews"]} == {"research", "evaluation", "assessment"}
    # The secretary does not grade their own project.
    rid = p["reviews"][0]["id"]
    resp = api.post(
        community, f"/api/v1/assessment/reviews/{rid}", {"evidence": "调研纪要", "result_score": 90}
    )
    assert resp.status_code == 403
    resp = api.post(
        street, f"/api/v1/assessment/reviews/{rid}", {"evidence": "调研纪要", "result_score": 90}
    )
    assert resp.status_code == 200 and resp.json()["result_score"] == "90.00"
    resp = api.post(
        street, f"/api/v1/assessment/reviews/{rid}", {"evidence": "调研纪要", "result_score": 190}
    )
    assert resp.status_code == 422
    resp = api.post(
        street, f"/api/v1/assessment/projects/{p['id']}/evaluate", {"score": 80, "note": "成效明显"}
    )
    assert resp.status_code == 200 and resp.json()["evaluation_score"] == "80.00"
    listed = api.get(street, "/api/v1/assessment/reviews/?pending=false").json()
    assert listed["count"] == 1
    assert api.get(rated.users["street3"], "/api/v1/assessment/projects/").json()["count"] == 0
    services.ratings_compute(year=YEAR, actor=None, today=TODAY)
    line = Rating.objects.get(org=branch, year=YEAR).lines.get(code="project")
    assert line.points == Decimal("8.50")  # (90 + 80) / 2 of 10 points
    assert Review.objects.filter(project_id=p["id"]).count() == 7


def test_other_lists_query_counts_are_flat(rated, api, django_assert_max_num_queries):
    from dangjian.assessment.services import projects as project_services

    for key in ("grid_branch", "community_committee"):
        project_services.project_create(
            actor=rated.users["community"],
            org=rated.orgs[key],
            year=YEAR,
            title="项目",
            secretary_name="书记",
            team=["甲"],
            plan="计划",
        )
    user = rated.users["county"]
    county = rated.nodes["county"].pk
    r = Rating.objects.get(org=rated.orgs["grid_branch"], year=YEAR)
    paths = [
        "/api/v1/assessment/projects/?page_size=200",
        "/api/v1/assessment/reviews/?page_size=200",
        f"/api/v1/assessment/ratings/{r.pk}/objections/",
        f"/api/v1/assessment/ratings/?area={county}&year={YEAR}&page_size=200",
        f"/api/v1/assessment/ratings/{r.pk}",
    ]
    for path in paths:
        api.get(user, path)
        with django_assert_max_num_queries(8):
            assert api.get(user, path).status_code == 200
    ranking = api.get(user, paths[3]).json()
    assert ranking["count"] >= 8
    assert [i["rank"] for i in ranking["items"]] == sorted(i["rank"] for i in ranking["items"])
