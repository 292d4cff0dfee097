"""The demo city's member development: applicants at every step, some overdue, each chain
one the rules accept, members filed for those past the approval, targets set."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.months import add_months
from dangjian.demo.generator import seed
from dangjian.development import steps as S
from dangjian.development.models import Applicant, ApplicantStep, DevelopmentTarget
from dangjian.development.services import facts_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    return seed("small", progress=False)


def _every_step_and_overdue(demo):
    assert demo["applicants"] >= 26
    reached = set(Applicant.objects.values_list("step", flat=True))
    assert set(range(0, 26)) <= reached
    assert set(Applicant.objects.values_list("status", flat=True)) == {
        "active",
        "confirmed",
        "archived",
        "cancelled",
    }
    today = timezone.localdate()
    assert Applicant.objects.filter(next_due__lt=today, status="active").count() >= 3
    assert demo["applicants_overdue"] >= 3
    assert DevelopmentTarget.objects.filter(activists=500, candidates=300, new_members=100).exists()


def _chains_follow_the_rules():
    for a in Applicant.objects.all():
        rows = list(ApplicantStep.objects.filter(applicant=a, action="step").order_by("number"))
        assert [r.number for r in rows] == list(range(1, a.step + 1))
        replay = Applicant(birth_date=a.birth_date)
        prev = None
        for r in rows:
            if prev is not None:
                assert r.date >= prev
            earliest, _ = S.earliest(r.number, facts_of(replay), prev)
            assert earliest is None or r.date >= earliest, (a.pk, r.number)
            for rule in S.rules_at(r.number):
                anchor = S.anchor_date(rule, facts_of(replay))
                if rule.kind == "max" and anchor:
                    assert r.date <= S.rule_limit(rule, anchor)
            prev = r.date
            if r.number == 1:
                replay.applied_on = r.date
            elif r.number == 3:
                replay.activist_on = r.date
            elif r.number == 12:
                replay.notice_start = r.date
            elif r.number == 15:
                replay.admitted_on = r.date
                replay.probation_end = add_months(r.date, 12)
            elif r.number == 23:
                replay.confirmation_vote_on = r.date
        if a.step >= S.MEMBER_STEP and a.status != "cancelled":
            assert a.member is not None
            assert a.member.joined_on == a.admitted_on
            expected = "full" if a.step >= S.CONFIRM_STEP else "probationary"
            assert a.member.status == expected
        if a.step >= 9:
            assert a.people.filter(role="sponsor").count() == 2


def test_small_demo(demo, client):
    """One seed (it takes a while), three checks."""
    _every_step_and_overdue(demo)
    _chains_follow_the_rules()
    _accounts_see_development(client)


def _accounts_see_development(client):
    community = User.objects.get(username="demo-community")
    assert Applicant.objects.visible_to(community, "development.view").exists()
    resident = User.objects.get(username="demo-resident")
    own = Applicant.objects.visible_to(resident, "development.view")
    assert own.count() == 1
    client.force_login(resident)
    assert own.get().name in client.get("/m/development/").content.decode()
