"""The time bank in real Chromium: a resident orders on the phone, the community dispatches on
the console, a member accepts on the phone, checks in and out, the resident confirms and rates;
the hours show on both phones."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import world as world_mod

pytestmark = pytest.mark.browser


def _login(page, url, username):
    # The console page's background fetch (inbox.js: menu and bell counts) saves the session;
    # let it finish before the cookies go, or it races the next request on the test database.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url)


@pytest.mark.django_db(transaction=True)
def test_the_whole_order_on_phones_and_console(live_server, page):
    from dangjian.timebank.models import Order, Participation
    from tests.timebank.helpers import helper

    w = world_mod.build()
    helper(w, "李红")  # t-李红, a member checked in to 龙桥社区
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(30_000)
    base = live_server.url

    _login(page, f"{base}/m/timebank/order/", "t-resident")
    page.select_option("#id_service_class", "elderly")
    page.fill("#id_description", "帮独居老人打扫卫生")
    page.fill("#id_place", "1号楼302室")
    page.click("#order-submit")
    page.wait_for_url(f"{base}/m/timebank/orders/*/")
    assert "待派单" in page.locator("#order-state").inner_text()
    o = Order.objects.get()

    _login(page, f"{base}/timebank/", "t-community")
    page.locator("#tb-orders a", has_text=o.no).click()
    page.wait_for_url(f"{base}/timebank/orders/{o.pk}/")
    page.click("#act-dispatch")
    page.wait_for_url(f"{base}/timebank/orders/{o.pk}/")
    assert "待接单" in page.locator("#order-state").inner_text()

    _login(page, f"{base}/m/timebank/", "t-李红")
    page.locator("#available a").first.click()
    page.wait_for_url(f"{base}/m/timebank/orders/{o.pk}/")
    page.click("#act-accept")
    page.wait_for_url(f"{base}/m/timebank/orders/{o.pk}/")
    assert "已满员" in page.locator("#order-state").inner_text()
    assert "1号楼302室" in page.locator("#order").inner_text()
    page.click("#act-check_in")
    page.wait_for_url(f"{base}/m/timebank/orders/{o.pk}/")
    # Two hours of service pass.
    Participation.objects.filter(order=o).update(check_in_at=timezone.now() - dt.timedelta(hours=2))
    page.click("#act-check_out")
    page.wait_for_url(f"{base}/m/timebank/orders/{o.pk}/")
    assert "已签退" in page.locator("#helpers").inner_text()

    _login(page, f"{base}/m/timebank/", "t-resident")
    page.locator("#mine a").first.click()
    page.wait_for_url(f"{base}/m/timebank/orders/{o.pk}/")
    page.select_option("#id_rating", "5")
    page.click("#act-confirm")
    page.wait_for_url(f"{base}/m/timebank/orders/{o.pk}/")
    assert "已完成" in page.locator("#order-state").inner_text()
    assert "2.00小时" in page.locator("#helpers").inner_text().replace(" ", "")

    _login(page, f"{base}/m/timebank/hours/", "t-李红")
    assert page.locator("#hours-balance").inner_text() == "2.00"
    assert "志愿服务时长" in page.locator("#hours-entries").inner_text()
