"""The demo of 考核: this year's flags, one confirmed list, a rectification in progress that
the demo secretary reported on, and warnings."""

import pytest

from dangjian.accounts.models import User
from dangjian.assessment.models import Flag, MemberWarning, Ranking, Rectification
from dangjian.demo.generator import seed

pytestmark = pytest.mark.django_db


def test_small_seed(client):
    counts = seed("small", progress=False)
    assert counts["assessment_flags"] > 0 and Flag.objects.filter(manual=False).exists()
    assert Ranking.objects.filter(state="confirmed").count() == counts["assessment_confirmed"] == 1
    r = Rectification.objects.get(state="in_progress")
    assert r.reports == 1 and r.leader
    assert MemberWarning.objects.filter(active=True).count() == counts["assessment_warnings"] > 0
    client.force_login(User.objects.get(username="demo-community"))
    page = client.get(f"/assessment/rectifications/{r.pk}/").content.decode()
    assert "报告整顿进展" in page
    client.force_login(User.objects.get(username="demo-county"))
    assert client.get("/assessment/rankings/").status_code == 200
