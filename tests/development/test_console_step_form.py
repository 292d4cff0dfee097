"""A move on the applicant's page is a Django form (``StepForm``): a bad value shows the
service's message on its own field, what was typed stays, nothing is written; the message of a
move the step form does not show (extend, cancel) reads above it."""

import datetime as dt
import re

import pytest

from dangjian.development.models import Applicant, ApplicantStep
from dangjian.members.models import Member
from tests.development import helpers as h

pytestmark = pytest.mark.django_db


def errors_of(html: str, name: str) -> list[str]:
    """The error lines of the field block holding the input named ``name``."""
    for block in html.split('<div class="field')[1:]:
        if f'name="{name}"' in block:
            return re.findall(r'<div class="error">([^<]*)</div>', block)
    raise AssertionError(f"no field {name}")


def banner(html: str) -> str:
    m = re.search(
        r'<div class="banner banner-error" role="alert" id="step-errors">([^<]*)</div>', html
    )
    return m.group(1) if m else ""


def unchanged(a: Applicant, before: int) -> bool:
    fresh = Applicant.objects.get(pk=a.pk)
    return (fresh.step, fresh.status) == (a.step, a.status) and (
        ApplicantStep.objects.filter(applicant=a).count() == before
    )


def post(client, world, a, data):
    with h.travel(h.NOW):
        client.force_login(world.users["community"])
        return client.post(f"/development/{a.pk}/transition/", data)


def test_vote_counts_each_message_on_its_field_values_kept(world, client):
    a = h.walk(world, h.applicant(world), 14, dt.date(2025, 1, 6))
    before = ApplicantStep.objects.filter(applicant=a).count()
    r = post(
        client,
        world,
        a,
        {
            "action": "15",
            "date": a.last_step_on.isoformat(),
            "entitled": "十",
            "present": "8",
            "yes": "5",
            "no": "0",
            "abstain": "0",
            "note": "第一次表决",
        },
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert errors_of(html, "entitled") == ["有表决权的正式党员人数必须是整数"]
    assert errors_of(html, "present") == [] and 'name="present" value="8"' in html
    assert 'name="entitled" value="十"' in html and 'value="第一次表决"' in html
    assert unchanged(a, before)
    r = post(client, world, a, {"action": "15", "date": a.last_step_on.isoformat()})
    html = r.content.decode()
    assert r.status_code == 422
    assert errors_of(html, "present") == ["请填写到会有表决权的正式党员人数"]
    assert unchanged(a, before)


def test_one_sponsor_is_refused_on_the_picker_and_stays_ticked(world, client):
    a = h.walk(world, h.applicant(world), 8, dt.date(2025, 1, 6))
    before = ApplicantStep.objects.filter(applicant=a).count()
    sponsor = Member.objects.filter(org=world.orgs["grid_branch"], status="full").first()
    r = post(client, world, a, {"action": "9", "date": h.NOW.isoformat(), "sponsors": [sponsor.pk]})
    html = r.content.decode()
    assert r.status_code == 422
    assert "入党介绍人须为2名正式党员（现为1名）" in html
    assert re.search(rf'value="{sponsor.pk}" checked', html)
    assert unchanged(a, before)


def test_review_items_missing_one_named_and_the_others_kept(world, client):
    a = h.walk(world, h.applicant(world), 9, dt.date(2025, 1, 6))
    before = ApplicantStep.objects.filter(applicant=a).count()
    r = post(
        client,
        world,
        a,
        {
            "action": "10",
            "date": h.NOW.isoformat(),
            "review_items.attitude": "拥护",
            "review_items.history": "清白",
            "review_items.conduct": "良好",
            "review_items.relations": "",
            "review_passed": "true",
            "review_conclusion": "同意",
        },
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert (
        "请填写政治审查内容“直系亲属和与本人关系密切的主要社会关系人的政治情况”（relations）"
        in html
    )
    assert errors_of(html, "review_passed") == [] and '<option value="true" selected>' in html
    assert 'name="review_items.attitude" value="拥护"' in html
    assert errors_of(html, "review_conclusion") == [] and 'value="同意"' in html
    assert unchanged(a, before)


def test_cancel_without_a_reason_reads_above_the_form(world, client):
    a = h.walk(world, h.applicant(world), 3, dt.date(2025, 1, 6))
    before = ApplicantStep.objects.filter(applicant=a).count()
    r = post(client, world, a, {"action": "cancel", "date": "", "note": "  "})
    html = r.content.decode()
    assert r.status_code == 422
    assert "终止培养考察须在说明中写明原因" in banner(html)
    assert unchanged(a, before)


def test_a_good_step_still_moves_and_redirects(world, client):
    a = h.walk(world, h.applicant(world), 1, dt.date(2025, 1, 6))
    r = post(client, world, a, {"action": "2", "date": h.NOW.isoformat(), "talker": " 王书记 "})
    assert r.status_code == 302 and r["Location"] == f"/development/{a.pk}/"
    step = ApplicantStep.objects.get(applicant=a, number=2)
    assert step.data["talker"] == "王书记"


def test_extend_message_reads_above_the_step_form(world, client):
    a = h.walk(world, h.applicant(world), 17, dt.date(2025, 1, 6))
    before = ApplicantStep.objects.filter(applicant=a).count()
    r = post(client, world, a, {"action": "extend", "date": "", "months": "3", "note": "再考察"})
    html = r.content.decode()
    assert r.status_code == 422
    assert "预备期可延长6至12个月（现为3个月）" in banner(html)
    assert '<div class="error">预备期可延长' not in html
    fresh = Applicant.objects.get(pk=a.pk)
    assert fresh.extension_months in (0, None) and unchanged(a, before)
