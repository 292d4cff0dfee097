"""The demo dues: profiles for every active member, payments on a verified ledger chain,
arrears at both levels, and the demo member sees their own dues."""

import pytest

from dangjian.core import ledger
from dangjian.demo.generator import seed
from dangjian.dues import selectors
from dangjian.dues.models import DuesPaymentMonth, DuesProfile
from dangjian.members.models import Member

pytestmark = pytest.mark.django_db


def test_small_seed(client):
    counts = seed("small", progress=False)
    active = Member.objects.filter(left_on__isnull=True, status__in=("full", "probationary"))
    # Every member active when the dues were seeded has a profile (member development seeds
    # its new probationary members afterwards, without one yet).
    assert DuesProfile.objects.count() == counts["dues_profiles"] > 0.8 * active.count()
    assert not DuesProfile.objects.exclude(member__in=active).exists()
    assert DuesPaymentMonth.objects.count() == counts["dues_paid_months"] > 0
    assert ledger.verify("dues") == []
    ids = list(active.values_list("pk", flat=True))
    levels = {s.level for s in selectors.statuses(ids).values()}
    assert {"none", "warning", "leave"} <= levels
    from dangjian.accounts.models import User

    client.force_login(User.objects.get(username="demo-member"))
    r = client.get("/m/dues/")
    assert r.status_code == 200 and "本月应交" in r.content.decode()
