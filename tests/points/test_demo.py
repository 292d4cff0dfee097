"""The demo points: a year in the demo community through the services, every page has data."""

import pytest

from dangjian.core import ledger
from dangjian.demo.generator import seed
from dangjian.points.models import Award, AwardState, Redemption, Star

pytestmark = pytest.mark.django_db


def test_small_seed_has_a_year_of_points(client):
    counts = seed("small", progress=False, modules=("members", "orglife", "dues", "points"))
    assert counts["points_awards"] > 50
    assert Award.objects.filter(state=AwardState.SUBMITTED).exists()
    assert Award.objects.filter(state=AwardState.POSTED, source="manual").exists()
    assert Star.objects.exists() and Redemption.objects.exists()
    # A year of them: posted awards in each of the last twelve months.
    months = {
        (d.year, d.month)
        for d in Award.objects.filter(state=AwardState.POSTED).values_list("occurred_on", flat=True)
    }
    assert len(months) >= 12, sorted(months)
    assert ledger.verify("points") == []
    from dangjian.accounts.models import User

    client.force_login(User.objects.get(username="demo-resident"))
    page = client.get("/m/points/").content.decode()
    assert "居民积分" in page
    assert client.get("/m/points/boards/").status_code == 200
    client.force_login(User.objects.get(username="demo-community"))
    assert "月度评议通过" in client.get("/points/review/").content.decode()
