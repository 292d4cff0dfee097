"""Recording this month's dues of several members at once (issue 18): each member's assessed
amount, one receipt each, all or nothing with each refused member named."""

from __future__ import annotations

import pytest
import time_machine

from dangjian.core.models import AuditEntry
from dangjian.dues.models import DuesPayment
from tests.dues.helpers import at, dues_member, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 7, 15), tick=False):
        yield


def test_the_branch_records_the_month_for_the_ticked_members(world, client, clock):
    a = dues_member(world, month="2026-07", name="批量甲", base="4000")  # 1%: 40.00
    b = dues_member(world, month="2026-07", name="批量乙", base="2000")  # 0.5%: 10.00
    client.force_login(world.users["community"])
    page = client.get("/dues/").content.decode()
    assert 'id="batch-pay"' in page and f'value="{a.pk}" form="batch-pay"' in page
    r = client.post("/dues/pay-batch/", {"member_ids": [a.pk, b.pk], "next": "/dues/?level="})
    assert r.status_code == 302 and r["Location"] == "/dues/?level="
    paid = {p.member_id: str(p.total) for p in DuesPayment.objects.all()}
    assert paid == {a.pk: "40.00", b.pk: "10.00"}
    entry = AuditEntry.objects.get(action="dues.payment_batch")
    assert entry.after["month"] == "2026-07" and len(entry.after["payment_ids"]) == 2
    msgs = [str(m) for m in client.get("/dues/").context["messages"]]
    assert "已登记2名党员本月党费，合计50.00元" in msgs


def test_a_member_already_paid_records_nobody_and_is_named(world, client, clock):
    a = dues_member(world, month="2026-07", name="批量甲")
    b = dues_member(world, month="2026-07", name="已交乙")
    pay(world, b, ["2026-07"])
    client.force_login(world.users["community"])
    client.post("/dues/pay-batch/", {"member_ids": [a.pk, b.pk]})
    assert not DuesPayment.objects.filter(member=a).exists()
    assert not AuditEntry.objects.filter(action="dues.payment_batch").exists()
    msgs = [str(m) for m in client.get("/dues/").context["messages"]]
    assert "未登记任何缴费（1名党员不能登记）" in msgs
    assert any(m.startswith("已交乙：") for m in msgs)


def test_a_member_out_of_scope_is_not_found_and_nothing_is_recorded(world, client, clock):
    a = dues_member(world, month="2026-07", name="批量甲")
    client.force_login(world.users["street3"])
    r = client.post("/dues/pay-batch/", {"member_ids": [a.pk]})
    assert r.status_code in (403, 404)
    assert not DuesPayment.objects.exists()
