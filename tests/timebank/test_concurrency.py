"""16 parallel acceptances of the last place on PostgreSQL: exactly one wins, the others are
refused as full, the order is never oversold."""

import pytest
from django.http import Http404

from dangjian.core.errors import Conflict
from dangjian.timebank import services
from dangjian.timebank.models import Order, Participation
from tests.concurrency import race
from tests.conftest import postgres_only
from tests.timebank.helpers import dispatched, helper, move

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def test_sixteen_parallel_acceptances_of_the_last_place_never_oversell(world):
    first = helper(world, "先到")
    others = [helper(world, f"并发{i}") for i in range(16)]
    o = dispatched(world, helpers=2)
    move(first, o, "accept")  # one place left
    out = race(
        *[
            lambda u=u: services.order_transition(actor=u, order=Order(pk=o.pk), action="accept")
            for u in others
        ]
    )
    outcomes = [
        f"refused:{x}"
        if isinstance(x, (Conflict, Http404))
        else (repr(x) if isinstance(x, Exception) else "ok")
        for x in out
    ]
    assert outcomes.count("ok") == 1, outcomes
    assert all(x.startswith("refused:") and "满员" in x for x in outcomes if x != "ok"), outcomes
    o.refresh_from_db()
    assert o.accepted_count == 2 and o.state == "staffed"
    assert Participation.objects.filter(order=o).count() == 2
