"""The star rating on the phone (/m/assessment/ratings/): the secretary's organizations'
ratings explained line by line with the stars and the publication window, an objection filed
within the window (and refused after it); a member's own organization's published rating; the
home page links the rating and the member's warnings; scope (another county reads 404)."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.assessment.models import Objection, Rating, RatingState
from dangjian.assessment.services import rating as services
from tests.assessment.rating_helpers import YEAR, scheme
from tests.orglife.helpers import member_user, people

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


def _publish(world) -> Rating:
    services.ratings_publish(actor=world.users["county"], county=world.nodes["county"], year=YEAR)
    return Rating.objects.get(org=world.orgs["grid_branch"], year=YEAR)


def test_secretary_reads_the_explanation_and_objects_within_the_window(rated, client):
    r = _publish(rated)
    client.force_login(rated.users["community"])
    listing = text(client.get("/m/assessment/ratings/"))
    assert "龙桥社区第一网格党支部" in listing and f"/m/assessment/ratings/{r.pk}/" in listing
    page = text(client.get(f"/m/assessment/ratings/{r.pk}/"))
    # Stars, score, window; each line: indicator, figure, source link, points of the weight.
    assert "★" * r.stars + "☆" * (5 - r.stars) in page
    assert f'<strong id="rating-score">{r.score}</strong>' in page
    assert f"公示期 {r.published_on:%Y-%m-%d} 至 {r.window_ends_on:%Y-%m-%d}" in page
    for ln in r.lines.all():
        assert ln.name in page and ln.figure in page
        assert f"{ln.points}/{ln.weight}分" in page
    assert 'href="/orglife/compliance/branch/' in page
    assert 'id="objection-form"' in page
    resp = client.post(f"/m/assessment/ratings/{r.pk}/objections/", {"reason": ""})
    assert resp.status_code == 302 and not Objection.objects.exists()
    assert "请填写异议理由" in text(client.get(f"/m/assessment/ratings/{r.pk}/"))
    resp = client.post(f"/m/assessment/ratings/{r.pk}/objections/", {"reason": "组织生活漏算"})
    assert resp.status_code == 302
    o = Objection.objects.get(rating=r)
    assert o.filed_by == rated.users["community"]
    page = text(client.get(f"/m/assessment/ratings/{r.pk}/"))
    assert "异议已提交" in page and "组织生活漏算" in page and "待处理" in page
    # After the window: no form, and a post is refused with the rule.
    Rating.objects.filter(pk=r.pk).update(window_ends_on=timezone.localdate() - dt.timedelta(1))
    page = text(client.get(f"/m/assessment/ratings/{r.pk}/"))
    assert 'id="objection-form"' not in page
    client.post(f"/m/assessment/ratings/{r.pk}/objections/", {"reason": "晚了"})
    assert "只能在公示期内" in text(client.get(f"/m/assessment/ratings/{r.pk}/"))
    assert Objection.objects.count() == 1
    # Another county's street reads neither the rating nor may object to it.
    client.force_login(rated.users["street3"])
    assert client.get(f"/m/assessment/ratings/{r.pk}/").status_code == 404
    resp = client.post(f"/m/assessment/ratings/{r.pk}/objections/", {"reason": "越界"})
    assert resp.status_code == 404 and Objection.objects.count() == 1
    assert "龙桥社区第一网格党支部" not in text(client.get("/m/assessment/ratings/"))


def test_member_sees_the_published_rating_of_their_branch(rated, client):
    member = people(rated.orgs["unit_group"], 1)[0]  # a 党小组 under the branch
    user = member_user(member)
    client.force_login(user)
    home = text(client.get("/m/"))
    assert "/m/assessment/ratings/" in home and "/m/assessment/warnings/" in home
    # Computed but not yet published: members see nothing of it.
    page = text(client.get("/m/assessment/ratings/"))
    assert 'id="no-rating"' in page and "/m/assessment/warnings/" in page
    r = _publish(rated)
    page = text(client.get("/m/assessment/ratings/"))
    assert "龙桥社区第一网格党支部" in page and f"{r.score}</strong>分" in page
    assert all(ln.name in page for ln in r.lines.all())
    # No console links for a member, no objection form, no other rating.
    assert "查看数据来源" not in page and "objection-form" not in page
    assert client.get(f"/m/assessment/ratings/{r.pk}/").status_code in (403, 404)
    Rating.objects.filter(pk=r.pk).update(state=RatingState.FINAL)
    assert "已确定" in text(client.get("/m/assessment/ratings/"))
