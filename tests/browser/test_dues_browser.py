"""Dues in real Chromium: the secretary opens the overview (amber for three months behind),
records a payment on the form, lands on the printable receipt; the member sees it on the phone."""

import pytest
from django.utils import timezone

from dangjian.dues import calc
from tests import world as world_mod

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_secretary_records_a_payment_and_the_member_sees_the_receipt(live_server, page):
    from tests.dues.helpers import dues_member

    w = world_mod.build()
    current = calc.month_of(timezone.localdate())
    behind = calc.month_text(calc.add_months(current, -3))
    m = dues_member(w, base="4000", month=behind, name="赵党员", user=w.users["member"])
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/dues/")
    page.fill("input[name=username]", "t-community")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dues/")
    row = page.locator("#dues-table tr", has_text="赵党员")
    assert "连续3个月未交" in row.inner_text()
    assert row.locator(".dues-amber").count() == 1

    row.locator("a", has_text="登记缴费").click()
    page.wait_for_url(f"{live_server.url}/dues/members/{m.pk}/pay/")
    page.check(f"input[name=months][value='{behind}']")
    page.check(f"input[name=months][value='{calc.month_text(current)}']")
    page.click("#pay-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dues/payments/*/receipt/")
    receipt = page.locator("#receipt").inner_text()
    assert "党费收据" in receipt and "80.00" in receipt and "赵党员" in receipt
    receipt_no = receipt.split("收据编号：", 1)[1].split()[0]

    # The console page's background fetch (inbox.js: menu and bell counts) saves the session;
    # let it finish before the cookies go, or it races the next request on the test database.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/m/dues/")
    page.fill("input[name=username]", "t-member")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/m/dues/")
    body = page.locator("body").inner_text()
    assert "40.00 元" in body and receipt_no in body
    page.locator("#my-receipts a").first.click()
    assert receipt_no in page.locator("#receipt").inner_text()
