"""The member page's two forms are Django forms: a service's message lands on the field it
names (an input of the form keeps what was typed) and nothing is written."""

import re

import pytest
import time_machine

from dangjian.dues.models import DuesBase, DuesPayment, DuesProfile, DuesRemittance, Hardship
from tests.dues.helpers import at, dues_member, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 7, 15), tick=False):
        yield


def errors_of(html: str, name: str) -> list[str]:
    blocks = html.split('<div class="field')
    for block in blocks:
        if f'name="{name}"' in block:
            return re.findall(r'<div class="error">([^<]*)</div>', block)
    raise AssertionError(f"no field {name}")


def test_a_negative_base_shows_on_the_base_field_and_writes_nothing(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    client.force_login(world.users["community"])
    bases = list(DuesBase.objects.values_list("pk", "base"))
    r = client.post(
        f"/dues/members/{m.pk}/",
        {"form": "profile", "category": "in_service", "base": "-1", "note": "调资"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert errors_of(html, "base") == ["缴费基数（base）不能为负数"]
    assert errors_of(html, "category") == [] and errors_of(html, "note") == []
    assert 'name="base" value="-1"' in html and 'value="调资"' in html
    assert list(DuesBase.objects.values_list("pk", "base")) == bases


def test_a_good_profile_still_saves_and_redirects(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    client.force_login(world.users["community"])
    r = client.post(
        f"/dues/members/{m.pk}/",
        {
            "form": "profile",
            "category": "in_service",
            "base": "12000",
            "effective_month": "2026-08",
        },
    )
    assert r.status_code == 302 and r["Location"] == f"/dues/members/{m.pk}/"
    assert (
        DuesBase.objects.filter(profile__member=m).order_by("-effective_month").first().base
        == 12000
    )


def test_a_hardship_without_a_reason_shows_on_the_reason_field(world, client, clock):
    m = dues_member(world, month="2026-01")
    client.force_login(world.users["community"])
    r = client.post(
        f"/dues/members/{m.pk}/",
        {"form": "hardship", "kind": "waive", "from_month": "2026-09", "to_month": "2026-08"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert errors_of(html, "reason") == ["请填写困难情况（reason）"]
    assert errors_of(html, "to_month") == ["截止月份不能早于起始月份"]
    assert errors_of(html, "kind") == []
    assert Hardship.objects.count() == 0
    # The profile form on the same page is untouched by the hardship form's errors.
    assert errors_of(html, "base") == []
    assert DuesProfile.objects.filter(member=m).count() == 1


def test_pay_form_puts_each_message_on_its_field(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    client.force_login(world.users["community"])
    r = client.post(
        f"/dues/members/{m.pk}/pay/",
        {"months": ["2026-07"], "paid_on": "2026-07-16", "note": "现金", "client_key": "k-1"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert errors_of(html, "paid_on") == ["缴纳日期不能晚于今天"]
    assert errors_of(html, "note") == [] and 'value="现金"' in html
    assert 'value="2026-07" checked' in html  # the ticked month stays ticked
    assert DuesPayment.objects.count() == 0
    r = client.post(f"/dues/members/{m.pk}/pay/", {"extra": "abc", "client_key": "k-2"})
    html = r.content.decode()
    assert errors_of(html, "extra") == ["自愿多交金额（extra）必须是金额，如“12.50”"]
    assert DuesPayment.objects.count() == 0


def test_remittance_amount_message_on_the_amount_field(world, client, clock):
    a = dues_member(world, month="2026-07", name="甲")
    pay(world, a, ["2026-07"])
    branch = world.orgs["grid_branch"]
    client.force_login(world.users["community"])
    base = {"org": branch.pk, "month": "2026-07", "client_key": "k-r", "note": "七月"}
    r = client.post("/dues/remittances/new/", {**base, "amount": "abc"})
    html = r.content.decode()
    assert r.status_code == 422
    assert errors_of(html, "amount") == ["上缴金额（amount）必须是金额，如“12.50”"]
    assert errors_of(html, "note") == [] and 'value="七月"' in html
    assert DuesRemittance.objects.count() == 0
    r = client.post("/dues/remittances/new/", {**base, "amount": "40.00"})
    assert r.status_code == 302 and DuesRemittance.objects.get().amount == 40
