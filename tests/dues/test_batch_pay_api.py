"""POST /api/v1/dues/payments/batch (issue 18): the overview's batch through the API, the same
service: each member's assessed amount and receipt, all or nothing with each refused member
named (422), a member out of reach 404, audited once for the batch."""

from __future__ import annotations

import pytest
import time_machine

from dangjian.core.models import AuditEntry
from dangjian.dues.models import DuesPayment
from tests.dues.helpers import at, dues_member, pay

pytestmark = pytest.mark.django_db
URL = "/api/v1/dues/payments/batch"


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 7, 15), tick=False):
        yield


def test_the_branch_records_this_month_for_several_members(world, api, clock):
    a = dues_member(world, month="2026-07", name="接口批量甲", base="4000")  # 1%: 40.00
    b = dues_member(world, month="2026-07", name="接口批量乙", base="2000")  # 0.5%: 10.00
    r = api.post(world.users["community"], URL, {"member_ids": [a.pk, b.pk]})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2 and body["month"] == "2026-07"
    assert body["month_label"] == "2026年7月" and body["total"] == "50.00"
    assert {i["member_id"]: i["total"] for i in body["items"]} == {a.pk: "40.00", b.pk: "10.00"}
    assert {tuple(i["months"]) for i in body["items"]} == {("2026-07",)}
    paid = {p.member_id: str(p.total) for p in DuesPayment.objects.all()}
    assert paid == {a.pk: "40.00", b.pk: "10.00"}
    entry = AuditEntry.objects.get(action="dues.payment_batch")
    assert entry.after["month"] == "2026-07"
    assert sorted(entry.after["payment_ids"]) == sorted(i["id"] for i in body["items"])


def test_a_named_month_and_day(world, api, clock):
    a = dues_member(world, month="2026-06", name="接口批量丙", base="4000")
    r = api.post(
        world.users["community"],
        URL,
        {"member_ids": [a.pk], "month": "2026-06", "paid_on": "2026-07-10"},
    )
    assert r.status_code == 200, r.content
    item = r.json()["items"][0]
    assert item["months"][0].startswith("2026-06") and item["paid_on"] == "2026-07-10"


def test_a_member_already_paid_records_nobody_and_is_named(world, api, clock):
    a = dues_member(world, month="2026-07", name="接口批量甲")
    b = dues_member(world, month="2026-07", name="接口已交乙")
    pay(world, b, ["2026-07"])
    before = DuesPayment.objects.count()
    r = api.post(world.users["community"], URL, {"member_ids": [a.pk, b.pk]})
    assert r.status_code == 422
    errors = r.json()["errors"]["member_ids"]
    assert errors[0] == "未登记任何缴费（1名党员不能登记）"
    assert any(e.startswith("接口已交乙：") for e in errors[1:]), errors
    assert DuesPayment.objects.count() == before
    assert not DuesPayment.objects.filter(member=a).exists()
    assert not AuditEntry.objects.filter(action="dues.payment_batch").exists()


def test_a_member_out_of_reach_is_not_found_and_nothing_is_recorded(world, api, clock):
    a = dues_member(world, month="2026-07", name="接口批量甲")
    r = api.post(world.users["street3"], URL, {"member_ids": [a.pk]})
    assert r.status_code in (403, 404)
    r = api.post(world.users["community"], URL, {"member_ids": [a.pk, 99999999]})
    assert r.status_code == 404 and r.json()["detail"] == "未找到"
    assert not DuesPayment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "member_ids", "请勾选要登记缴费的党员"),
        ({"member_ids": ["甲"]}, "member_ids", ""),
        ({"member_ids": "self", "month": "2026-13"}, "month", "格式应为YYYY-MM"),
        ({"member_ids": "self", "paid_on": "昨天"}, "paid_on", ""),
        ({"member_ids": list(range(1, 102))}, "member_ids", "一次最多登记100名党员"),
    ],
)
def test_malformed_bodies_are_refused_on_their_field(world, api, clock, body, field, message):
    a = dues_member(world, month="2026-07", name="接口批量丁")
    if body.get("member_ids") == "self":
        body = {**body, "member_ids": [a.pk]}
    r = api.post(world.users["community"], URL, body)
    assert r.status_code == 422, r.content
    errors = r.json()["errors"]
    named = [k for k in errors if k == field or k.startswith(f"{field}.")]
    assert named and all(errors[k] for k in named), errors
    assert message in "".join(errors[named[0]])
    assert not DuesPayment.objects.exists()


def test_a_member_who_may_only_see_cannot_record(world, api, clock):
    a = dues_member(world, month="2026-07", name="接口批量戊")
    r = api.post(world.users["member"], URL, {"member_ids": [a.pk]})
    assert r.status_code in (403, 404)
    assert not DuesPayment.objects.exists()


@pytest.mark.parametrize(
    ("paid_on", "message"),
    [("2026-07-16", "缴纳日期不能晚于今天"), ("2026-05-31", "缴纳日期最早为上月")],
)
def test_a_bad_day_is_one_error_on_paid_on_not_one_per_member(world, api, clock, paid_on, message):
    """The day is the batch's: a day the rule refuses is named once, on ``paid_on``, as the
    single-payment route names it (``dues.services.paid_day_of``), whatever the batch's size."""
    members = [dues_member(world, month="2026-07", name=f"接口批量日{i}") for i in range(3)]
    r = api.post(
        world.users["community"],
        URL,
        {"member_ids": [m.pk for m in members], "paid_on": paid_on},
    )
    assert r.status_code == 422, r.content
    assert r.json()["errors"] == {"paid_on": [message]}
    single = api.post(
        world.users["community"],
        "/api/v1/dues/payments/",
        {"member_id": members[0].pk, "months": ["2026-07"], "paid_on": paid_on},
    )
    assert single.status_code == 422 and single.json()["errors"] == {"paid_on": [message]}
    assert not DuesPayment.objects.exists()
    assert not AuditEntry.objects.filter(action="dues.payment_batch").exists()
