"""PostgreSQL: 16 parallel redemptions of the last item never oversell."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.core import ledger
from dangjian.points import services
from dangjian.points.models import Item, Redemption
from tests.concurrency import race
from tests.conftest import postgres_only
from tests.points.helpers import credit, item, resident, resident_scheme

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def _outcome(result):
    """A redemption made ("ok"), refused with its message ("refused"), or what went wrong."""
    if isinstance(result, ValidationError):
        return "refused"
    return result if isinstance(result, Exception) else "ok"


def test_sixteen_parallel_redemptions_of_the_last_item(world):
    s = resident_scheme(world)
    users = [resident(world, f"兑换{i}") for i in range(16)]
    for n, u in enumerate(users):
        credit(world, s, u, points="10", ref=f"c{n}")
    it = item(world, s, price="10", stock=1)
    out = race(*[lambda u=u: services.redemption_create(actor=u, item_id=it.pk) for u in users])
    outcomes = [_outcome(x) for x in out]
    assert sorted(map(str, outcomes)) == ["ok"] + ["refused"] * 15
    assert Item.objects.get(pk=it.pk).stock == 0
    assert Redemption.objects.count() == 1
    assert ledger.verify("points") == []


def test_sixteen_parallel_redemptions_by_one_person_never_overdraw(world):
    s = resident_scheme(world)
    u = resident(world)
    credit(world, s, u, points="30")
    it = item(world, s, price="10", stock=100)
    out = race(*[lambda: services.redemption_create(actor=u, item_id=it.pk)] * 16)
    outcomes = [_outcome(x) for x in out]
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == 13
    assert Item.objects.get(pk=it.pk).stock == 97
    from dangjian.core.models import LedgerAccount
    from dangjian.points.services.awards import account_code

    acct = LedgerAccount.objects.get(ledger="points", code=account_code(s.pk, u.pk))
    assert acct.balance == Decimal("0.00")
    assert ledger.verify("points") == []
