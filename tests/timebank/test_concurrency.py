"""16 parallel acceptances of the last place on PostgreSQL: exactly one wins, the others are
refused as full, the order is never oversold."""

import threading

import pytest
from django.db import connections
from django.http import Http404

from dangjian.core.errors import Conflict
from dangjian.timebank import services
from dangjian.timebank.models import Order, Participation
from tests.conftest import postgres_only
from tests.timebank.helpers import dispatched, helper, move

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def test_sixteen_parallel_acceptances_of_the_last_place_never_oversell(world):
    first = helper(world, "先到")
    others = [helper(world, f"并发{i}") for i in range(16)]
    o = dispatched(world, helpers=2)
    move(first, o, "accept")  # one place left
    outcomes = []
    barrier = threading.Barrier(16)

    def go(user):
        try:
            barrier.wait()
            services.order_transition(actor=user, order=Order(pk=o.pk), action="accept")
            outcomes.append("ok")
        except (Conflict, Http404) as exc:
            outcomes.append(f"refused:{exc}")
        except Exception as exc:  # collected, asserted below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(u,)) for u in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert all(x.startswith("refused:") and "满员" in x for x in outcomes if x != "ok"), outcomes
    o.refresh_from_db()
    assert o.accepted_count == 2 and o.state == "staffed"
    assert Participation.objects.filter(order=o).count() == 2
