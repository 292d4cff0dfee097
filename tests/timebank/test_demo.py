"""The demo time bank: orders in every state, hours on a verified ledger chain, the demo member
and the demo resident see theirs on the phone."""

import pytest

from dangjian.core import ledger
from dangjian.demo.generator import seed
from dangjian.timebank.models import Order, OrderState, Participation

pytestmark = pytest.mark.django_db


def test_small_seed(client):
    counts = seed("small", progress=False, modules=("members", "timebank"))
    assert Order.objects.count() == counts["timebank_orders"] > 0
    assert set(Order.objects.values_list("state", flat=True)) == set(OrderState.values)
    assert ledger.verify("timebank") == []
    assert Participation.objects.filter(state="confirmed", txn__isnull=False).exists()
    from dangjian.accounts.models import User

    client.force_login(User.objects.get(username="demo-member"))
    r = client.get("/m/timebank/hours/")
    assert r.status_code == 200
    assert "志愿服务时长" in r.content.decode()
    assert client.get("/m/timebank/").status_code == 200
    client.force_login(User.objects.get(username="demo-resident"))
    assert "我的订单" in client.get("/m/timebank/").content.decode()
    client.force_login(User.objects.get(username="demo-community"))
    assert client.get("/timebank/").status_code == 200
    # The roster, the stations with their riders, the rider's page: each shows something real.
    r = client.get("/timebank/talents/")
    assert r.status_code == 200 and len(r.context["rows"]) > 0
    r = client.get("/timebank/stations/")
    assert len(r.context["rows"]) > 0 and len(r.context["riders"]) > 0
    client.force_login(User.objects.get(username="demo-resident"))
    r = client.get("/m/timebank/rider/")
    assert r.status_code == 200 and len(r.context["stations"]) > 0
    assert len(client.get("/m/timebank/talents/").context["rows"]) > 0


def test_the_number_of_orders_is_asked_for_at_the_small_scale():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="订单数"):
        seed("small", progress=False, modules=("members",), timebank_orders=100)
    counts = seed("small", progress=False, modules=("members", "timebank"), timebank_orders=600)
    # Spread evenly over the communities: what is left over is less than one per community.
    assert 500 < Order.objects.count() == counts["timebank_orders"] <= 600
    assert ledger.verify("timebank") == []
