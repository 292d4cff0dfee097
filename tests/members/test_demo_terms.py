"""The demo city shows elections due, overdue and postponed, a vacant secretary and a
before/after comparison."""

import pytest

from dangjian.accounts.models import User
from dangjian.cadres import elections
from dangjian.demo.generator import seed
from dangjian.members import committee_selectors as sel
from dangjian.members.models.committee import OrgCommittee

pytestmark = pytest.mark.django_db


def test_small_demo_terms(api):
    counts = seed("small", progress=False)
    admin = User.objects.get(username="demo-admin")
    assert counts["terms_overdue"] > 0 and counts["terms_reminder"] > 0
    assert counts["terms_predecessors"] > 0
    assert counts["terms_postponed"] > 0 and counts["terms_vacant_secretaries"] > 0
    overdue = sel.elections_due(admin, status="overdue")
    reminder = sel.elections_due(admin, status="reminder")
    assert overdue.exists() and reminder.exists()
    assert OrgCommittee.objects.exclude(postponed_to=None).count() == counts["terms_postponed"]
    assert sel.vacant_secretaries(admin).count() == counts["terms_vacant_secretaries"]
    body = api.get(admin, "/api/v1/elections/due/").json()
    assert body["count"] == sel.elections_due(admin).count() > 0
    c = OrgCommittee.objects.filter(status="past").first()
    new = OrgCommittee.objects.get(org_id=c.org_id, status="current")
    cmp = elections.election_comparison(admin, c.org_id, new.pk)
    assert cmp["old"]["seats"] >= 3 and cmp["new"]["seats"] >= 3
    year = new.term_start.year
    pooled = api.get(admin, "/api/v1/elections/comparison", year=year).json()
    assert pooled["elections"] >= 1
