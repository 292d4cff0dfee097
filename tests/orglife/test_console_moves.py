"""A session's moves go through the web kit's ``TransitionForm``: a refusal answers with the
service's Chinese message (a missing or unknown action included, never a failure) and writes
nothing; a new plan's item rows are one form per row, each message on its own cell."""

import re

import pytest
from django.utils import timezone

from dangjian.orglife.models import Plan, PlanItem, Session
from tests.orglife.helpers import schedule

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def page(client, url) -> str:
    return client.get(url).content.decode()


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"action": "cancel", "note": "  "}, "请填写取消原因"),
        ({"action": "review"}, None),  # not the manager's move on a scheduled session
        ({"action": "launch"}, "操作只能是 close（归档）、cancel（取消）或 review（督查）"),
        ({}, "操作只能是 close（归档）、cancel（取消）或 review（督查）"),
    ],
)
def test_refused_moves_answer_with_the_message(client, secretary, branch, ten, posted, message):
    s = schedule(secretary, branch)
    client.force_login(secretary)
    r = client.post(f"/orglife/sessions/{s.pk}/transition/", posted)
    assert r.status_code in (302, 403, 409)
    if r.status_code == 302:
        assert r["Location"] == f"/orglife/sessions/{s.pk}/"
        if message:
            assert message in page(client, r["Location"])
    fresh = Session.objects.get(pk=s.pk)
    assert (fresh.state, fresh.review_note) == (s.state, s.review_note)


def test_a_good_cancel_still_redirects_with_its_message(client, secretary, branch, ten):
    s = schedule(secretary, branch)
    client.force_login(secretary)
    r = client.post(f"/orglife/sessions/{s.pk}/transition/", {"action": "cancel", "note": "台风"})
    assert r.status_code == 302 and "已取消" in page(client, r["Location"])
    assert Session.objects.get(pk=s.pk).state == "cancelled"


def cells(html: str) -> list[str]:
    """The rows of the item table, each as its HTML."""
    body = html.split('aria-label="计划事项"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]  # the head row aside


def test_plan_row_messages_sit_on_their_cells(client, secretary, branch):
    client.force_login(secretary)
    r = client.post(
        "/orglife/plans/new/",
        {
            "org": branch.pk,
            "year": YEAR,
            "quarter": "2",
            "item_type": ["party_lesson", "", "theme_day"],
            "item_month": ["9", "", " 5 "],
            "item_topic": ["学习党史", "", ""],
        },
    )
    html = r.content.decode()
    assert r.status_code == 422
    first, blank, third = cells(html)[:3]
    month_cell, topic_cell = re.findall(r"<td>(.*?)</td>", first, re.S)[1:3]
    assert "计划月份应在4至6月之间" in month_cell and "field-error" not in topic_cell
    assert '<option value="party_lesson" selected>' in first and 'value="学习党史"' in first
    assert "field-error" not in blank  # a blank row is left out
    assert "请填写主题" in re.findall(r"<td>(.*?)</td>", third, re.S)[2]
    assert '<option value="theme_day" selected>' in third
    assert len(cells(html)) == 6  # padded to the usual six rows
    assert not Plan.objects.exists() and not PlanItem.objects.exists()
