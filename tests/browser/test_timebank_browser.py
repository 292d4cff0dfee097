"""The time bank in real Chromium: a resident orders on the phone, the community dispatches on
the console, a member accepts on the phone, checks in and out, the resident confirms and rates;
the hours show on both phones, and the points the sweep gives for them on the member's."""

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


def _patient(page, live_server) -> str:
    """The page waits up to 30 s (the machine is shared); answers the server's base URL."""
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(30_000)
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_the_whole_order_on_phones_and_console(live_server, page):
    from dangjian.points import services as points
    from dangjian.timebank.models import Order, Participation
    from tests.points.helpers import member_scheme, rule
    from tests.timebank.helpers import helper

    w = world_mod.build()
    helper(w, "李红")  # t-李红, a member checked in to 龙桥社区
    # The community committee's 先锋指数 gives 2 points per confirmed hour of service.
    rule(w, member_scheme(w), name="志愿服务", source="timebank.hours", points="2")
    base = _patient(page, live_server)

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

    # The hourly points sweep (the worker's points_collect) credits the hours; the member's
    # phone shows the points, once however often it runs.
    assert points.collect(only=["timebank.hours"]) == {"timebank.hours": 1}
    assert points.collect(only=["timebank.hours"]) == {"timebank.hours": 0}
    page.goto(f"{base}/m/points/")
    text = page.locator("main").inner_text()
    assert "先锋指数" in text and "4.00" in text and "志愿服务" in text


@pytest.mark.django_db(transaction=True)
def test_talent_roster_to_a_booked_home_service(live_server, page):
    """Staff put a resident on the community's roster (能人榜) on the console; another resident
    books a home service from that talent on the phone through the one order flow; the entry's
    console page lists the order."""
    from dangjian.timebank.models import Order, TalentOffer

    w = world_mod.build()
    talent_user = world_mod.user("t-res2", role="resident", kind="resident", home=w.nodes["unit"])
    base = _patient(page, live_server)
    community = w.nodes["community"]

    roster = f"{base}/timebank/talents/?community={community.pk}"
    _login(page, roster, "t-community")
    page.select_option("#id_user", str(talent_user.pk))
    page.select_option("#id_service_class", "repair")
    page.fill("#id_skill", "修自行车")
    page.fill("#id_available", "周末")
    page.locator("#talent-new button[type=submit]").click()
    page.wait_for_url(roster)
    t = TalentOffer.objects.get()
    assert (t.user_id, t.community_id) == (talent_user.pk, community.pk)
    assert "修自行车" in page.locator("#tb-talents").inner_text()

    _login(page, f"{base}/m/timebank/talents/", "t-resident")
    card = page.locator("#talents li", has_text="修自行车")
    assert "t-res2" in card.inner_text()
    card.locator("a", has_text="预约上门服务").click()
    page.wait_for_url(f"{base}/m/timebank/order/?talent={t.pk}")
    page.fill("#id_description", "自行车链条断了，请上门修理")
    page.fill("#id_place", "1号楼302室")
    page.click("#order-submit")
    page.wait_for_url(f"{base}/m/timebank/orders/*/")
    o = Order.objects.get()
    assert (o.talent_id, o.requester_id) == (t.pk, w.users["resident"].pk)
    # A booking needs no dispatch: it waits for the talent to accept.
    assert "待接单" in page.locator("#order-state").inner_text()

    _login(page, f"{base}/timebank/talents/{t.pk}/", "t-community")
    bookings = page.locator("#talent-bookings").inner_text()
    assert o.no in bookings and "自行车链条断了" in bookings
    page.locator("#talent-bookings a", has_text=o.no).click()
    page.wait_for_url(f"{base}/timebank/orders/{o.pk}/")


@pytest.mark.django_db(transaction=True)
def test_a_rider_registers_becomes_assistant_and_reports_an_event(live_server, page):
    """A rider registers at a station on the phone; the station's community makes them an
    assistant grid worker on the console; the rider reports an event through the linked intake
    form and sees it listed on the rider page."""
    from dangjian.cases.models import Event
    from dangjian.timebank import riders
    from dangjian.timebank.models import Rider
    from tests.cases import helpers as cases_helpers

    w = world_mod.build()
    cases_helpers.ensure_taxonomy()
    station = riders.station_create(
        actor=w.users["community"],
        area=w.nodes["grid"],
        name="龙桥红色驿站",
        kind="red",
        location="龙桥路12号",
        services="饮水、充电、休息",
        opening_hours="8:00-20:00",
    )
    world_mod.user("t-rider", role="resident", kind="resident", home=w.nodes["grid2"])
    base = _patient(page, live_server)
    rider_url = f"{base}/m/timebank/rider/"

    _login(page, rider_url, "t-rider")
    page.select_option("#id_station", str(station.pk))
    page.select_option("#id_kind", "rider")
    page.fill("#id_platform", "美团")
    page.fill("#id_company", "某配送公司")
    page.click("#rider-submit")
    page.wait_for_url(rider_url)
    assert "龙桥红色驿站" in page.locator("#my-station").inner_text()
    assert "美团" in page.locator("#my-registration").inner_text()
    assert page.locator("#rider-report").count() == 0
    r = Rider.objects.get()

    _login(page, f"{base}/timebank/stations/", "t-community")
    row = page.locator("#tb-riders tr", has_text="t-rider")
    row.locator("button", has_text="设为兼职网格员").click()
    page.wait_for_url(f"{base}/timebank/stations/*")
    assert "是（取消）" in page.locator("#tb-riders tr", has_text="t-rider").inner_text()
    r.refresh_from_db()
    assert r.assistant_grid_worker

    _login(page, rider_url, "t-rider")
    assert "兼职网格员" in page.locator("#assistant").inner_text()
    page.click("#rider-report")
    page.wait_for_url(f"{base}/m/cases/report/")
    page.select_option("#id_area", str(w.nodes["grid"].pk))
    page.select_option("#id_class_code", "environment")
    page.fill("#id_description", "路口井盖破损有安全隐患")
    page.fill("#id_place", "龙桥路口")
    page.click("#report-submit")
    page.wait_for_url(f"{base}/m/cases/*/")
    e = Event.objects.get()
    assert e.area_id == w.nodes["grid"].pk

    page.goto(rider_url)
    reports = page.locator("#my-reports")
    assert "路口井盖破损" in reports.inner_text()
    assert reports.locator(f'[data-event="{e.pk}"]').count() == 1
