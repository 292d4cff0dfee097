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


def test_project_form_creates_through_the_service(rated, client):
    from dangjian.assessment.models import SecretaryProject
    from dangjian.core.models import AuditEntry

    client.force_login(rated.users["community"])
    page = text(client.get("/assessment/projects/new/"))
    branch = rated.orgs["grid_branch"]
    # The secretary's own organizations are offered; a 党小组 and other streets are not.
    assert branch.name in page and "1号楼党小组" not in page and "凤凰山" not in page
    assert "/assessment/projects/new/" in text(client.get("/assessment/projects/"))
    form = {
        "org": branch.pk,
        "year": YEAR,
        "title": "红色物业",
        "secretary_name": "王书记",
        "team": "李一、张二",
        "plan": "一季度摸底，二季度推进",
        "m0_title": "摸底",
        "m0_due": f"{YEAR}-03-31",
        "m2_title": "推进",
        "m2_due": "三月底",
    }
    # Bad input: the message names the field on the row it came from; nothing is written.
    page = text(client.post("/assessment/projects/new/", {**form, "plan": ""}))
    assert "请填写实施计划" in page and "计划完成日期格式应为YYYY-MM-DD" in page
    assert 'id="p-m2-due"' in page and "三月底" in page
    assert not SecretaryProject.objects.exists()
    form["m2_due"] = f"{YEAR}-06-30"
    r = client.post("/assessment/projects/new/", form)
    p = SecretaryProject.objects.get(org=branch, year=YEAR)
    assert r.status_code == 302 and r["Location"] == f"/assessment/projects/{p.pk}/"
    assert p.team == ["李一", "张二"]
    assert [(m.title, m.due_on) for m in p.milestones.all()] == [
        ("摸底", dt.date(YEAR, 3, 31)),
        ("推进", dt.date(YEAR, 6, 30)),
    ]
    assert p.reviews.count() == 7
    assert AuditEntry.objects.filter(action="assessment.project_create").count() == 1
    # A second one for the same year is refused on the year field.
    assert "该党组织本年度已有书记项目" in text(client.post("/assessment/projects/new/", form))
    # Another county's street cannot set one up for this branch (404); a grid worker may not.
    client.force_login(rated.users["street3"])
    assert client.post("/assessment/projects/new/", {**form, "year": YEAR + 1}).status_code == 404
    client.force_login(rated.users["grid"])
    assert client.get("/assessment/projects/new/").status_code == 403
