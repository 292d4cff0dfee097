"""Console pages of assessment: the ranking, a rating's explanation, objections, schemes,
projects; scope and the recompute button."""

import datetime as dt

import pytest

from dangjian.assessment.models import Objection, Rating, RatingState, Scheme
from dangjian.assessment.services import projects as project_services
from dangjian.assessment.services import rating as services
from tests.assessment.rating_helpers import YEAR, scheme

pytestmark = pytest.mark.django_db
TODAY = dt.date(YEAR, 12, 20)


def text(r) -> str:
    assert r.status_code == 200, r.status_code
    return r.content.decode()


@pytest.fixture
def rated(world):
    scheme(world.users["admin"])
    services.ratings_compute(year=YEAR, actor=None, today=TODAY)
    return world


def test_ranking_and_explanation_pages(rated, client):
    client.force_login(rated.users["county"])
    page = text(client.get(f"/assessment/?year={YEAR}&area={rated.nodes['county'].pk}"))
    assert "龙桥社区第一网格党支部" in page and "重新计算" in page
    r = Rating.objects.get(org=rated.orgs["grid_branch"], year=YEAR)
    page = text(client.get(f"/assessment/ratings/{r.pk}/"))
    assert "逐项得分" in page and "组织生活落实" in page and str(r.score) in page
    assert "/orglife/compliance/branch/" in page
    client.force_login(rated.users["street3"])
    assert client.get(f"/assessment/ratings/{r.pk}/").status_code == 404
    assert "龙桥社区第一网格党支部" not in text(client.get(f"/assessment/?year={YEAR}"))


def test_menu_and_schemes(rated, client):
    client.force_login(rated.users["street"])
    assert 'href="/assessment/"' in text(client.get("/"))
    assert "社区评星定级方案" in text(client.get(f"/assessment/schemes/?year={YEAR}"))
    s = Scheme.objects.get()
    r = client.post(
        f"/assessment/schemes/{s.pk}/",
        {
            "five_star": "90",
            "four_star": "80",
            "three_star": "70",
            "two_star": "60",
            "one_star": "50",
        },
    )
    assert r.status_code == 403
    client.force_login(rated.users["admin"])
    r = client.post(
        f"/assessment/schemes/{s.pk}/",
        {
            "five_star": "90",
            "four_star": "80",
            "three_star": "70",
            "two_star": "60",
            "one_star": "50",
        },
    )
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.five_star == 90


def test_publish_object_and_handle_in_console(rated, client):
    client.force_login(rated.users["county"])
    r = client.post("/assessment/publish/", {"area": rated.nodes["county"].pk, "year": YEAR})
    assert r.status_code == 302
    rating = Rating.objects.get(org=rated.orgs["grid_branch"], year=YEAR)
    assert rating.state == RatingState.PUBLISHED
    client.force_login(rated.users["community"])
    page = text(client.get(f"/assessment/ratings/{rating.pk}/"))
    assert "提交异议" in page
    client.post(f"/assessment/ratings/{rating.pk}/objections/", {"reason": "党课记录漏算"})
    o = Objection.objects.get()
    client.force_login(rated.users["county"])
    assert "异议成立" in text(client.get(f"/assessment/ratings/{rating.pk}/"))
    client.post(
        f"/assessment/objections/{o.pk}/handle/", {"decision": "upheld", "response": "已补录"}
    )
    o.refresh_from_db()
    rating.refresh_from_db()
    assert o.state == "upheld" and rating.state == RatingState.COMPUTED


def test_recompute_button_enqueues(rated, client):
    client.force_login(rated.users["county"])
    r = client.post("/assessment/recompute/", {"year": YEAR})
    assert r.status_code == 302
    client.force_login(rated.users["community"])
    assert client.post("/assessment/recompute/", {"year": YEAR}).status_code == 403


def test_project_pages(rated, client):
    p = project_services.project_create(
        actor=rated.users["community"],
        org=rated.orgs["grid_branch"],
        year=YEAR,
        title="红色物业",
        secretary_name="王书记",
        team=["李一"],
        plan="推进",
    )
    client.force_login(rated.users["street"])
    assert "红色物业" in text(client.get(f"/assessment/projects/?year={YEAR}"))
    page = text(client.get(f"/assessment/projects/{p.pk}/"))
    assert "季度调研" in page and "记录" in page
    review = p.reviews.first()
    r = client.post(f"/assessment/reviews/{review.pk}/", {"evidence": "纪要", "result_score": "88"})
    assert r.status_code == 302
    review.refresh_from_db()
    assert review.result_score == 88
    client.force_login(rated.users["street3"])
    assert client.get(f"/assessment/projects/{p.pk}/").status_code == 404
