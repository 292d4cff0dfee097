"""To-dos of 考核 in the one inbox (``core.todo``): pending rating objections wait on county
staff; 督评考 items due or overdue wait on the level above, never on the organization itself."""

import datetime as dt

import pytest

from dangjian.assessment import todos
from dangjian.assessment.models import Rating
from dangjian.assessment.services import projects as project_services
from dangjian.assessment.services import rating as services
from dangjian.core import todo
from tests.assessment.rating_helpers import YEAR, scheme

pytestmark = pytest.mark.django_db
TODAY = dt.date(YEAR, 12, 20)


def test_pending_objection_waits_on_county_staff_until_decided(world):
    admin, county = world.users["admin"], world.users["county"]
    scheme(admin)
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    services.ratings_publish(actor=county, county=world.nodes["county"], year=YEAR, today=TODAY)
    r = Rating.objects.get(org=world.orgs["grid_branch"], year=YEAR)
    o = services.objection_file(
        actor=world.users["community"], rating=r, reason="组织生活记录漏算", today=TODAY
    )
    waiting = todo.inbox(county, only=["assessment.objection_handle"])
    assert [(t.title, t.subject, t.object_id) for t in waiting] == [
        ("处理评星异议", f"{YEAR}年 · 龙桥社区第一网格党支部", o.pk)
    ]
    assert waiting[0].url == f"/assessment/ratings/{r.pk}/"
    assert waiting[0].due == r.window_ends_on
    # The secretary who filed it, a street and the other county have nothing to decide.
    for name in ("community", "street", "street3"):
        assert not todo.inbox(world.users[name], only=["assessment.objection_handle"])
    services.objection_handle(actor=county, objection=o, decision="rejected", response="已核实")
    assert not todo.inbox(county, only=["assessment.objection_handle"])


def test_reviews_due_wait_on_the_level_above_within_the_lead(world):
    p = project_services.project_create(
        actor=world.users["community"],
        org=world.orgs["grid_branch"],
        year=YEAR,
        title="红色物业",
        secretary_name="王书记",
        team=["李一"],
        plan="推进",
    )
    street = world.users["street"]
    # 20 March: the first quarter's research (due 28 March) is within the 14-day lead.
    due = todos.reviews_due(street, today=dt.date(YEAR, 3, 20))
    assert [(t.title, t.subject, t.due) for t in due] == [
        ("督评考：季度调研", f"{YEAR}Q1 · 红色物业", dt.date(YEAR, 3, 28))
    ]
    assert due[0].url == f"/assessment/projects/{p.pk}/"
    assert not todos.reviews_due(street, today=dt.date(YEAR, 3, 13))
    # Overdue items stay until a result is recorded; the organization never grades itself,
    # and another county's street sees none.
    late = dt.date(YEAR, 7, 20)
    assert [t.subject for t in todos.reviews_due(street, today=late)] == [
        f"{YEAR}Q1 · 红色物业",
        f"{YEAR}Q2 · 红色物业",
        f"{YEAR}H1 · 红色物业",
    ]
    assert not todos.reviews_due(world.users["community"], today=late)
    assert not todos.reviews_due(world.users["street3"], today=late)
    first = p.reviews.get(period=f"{YEAR}Q1")
    project_services.review_record(actor=street, review=first, evidence="调研纪要", result_score=90)
    assert next(t.subject for t in todos.reviews_due(street, today=late)) == f"{YEAR}Q2 · 红色物业"
    # Through the inbox (today's date): the source is declared.
    assert "assessment.review_due" in {s.key for s in todo.sources()}
