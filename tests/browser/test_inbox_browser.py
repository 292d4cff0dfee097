"""Issue 18 in real Chromium, one test per role: each person signs in through the real login
page, lands on their home (the phone for residents, members and grid workers; the console home
for community and street staff), opens a to-do from it, does it, and sees it leave the inbox.
A notification raised by the deadline sweep (``manage.py notify_deadlines``) reaches the street
officer's bell. Each home is photographed at 1440 and 390 px wide (kept under
``$DANGJIAN_ARTIFACTS/homes`` or pytest's temp dir) and checked for text running out of its
card or the page scrolling sideways.

The world is set up through the services; everything the person does goes through the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = ((1440, 900), (390, 844))

# Every card-like box on the console and the phone: nothing inside may stick out of it.
OVERFLOW_JS = """
() => {
  const bad = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) bad.push('page scrolls sideways: ' + doc.scrollWidth);
  const boxes = document.querySelectorAll(
    '.card, .m-card, .m-tile, .m-inbox-item, .tile, .topbar, .m-top, .todo-item, .source-counts a');
  for (const box of boxes) {
    const r = box.getBoundingClientRect();
    if (r.width === 0) continue;
    if (box.scrollWidth > box.clientWidth + 1) bad.push((box.className || box.tagName) + ' scrolls');
    for (const el of box.querySelectorAll('*')) {
      const s = getComputedStyle(el);
      if (s.display === 'none' || s.visibility === 'hidden' || s.position === 'absolute') continue;
      if (el.closest('details:not([open]) > :not(summary)')) continue;
      const e = el.getBoundingClientRect();
      if (e.width === 0 || e.height === 0) continue;
      if (e.right > r.right + 1 || e.left < r.left - 1) {
        bad.push((box.className || box.tagName) + ' > ' + el.tagName + ': ' + (el.innerText || '').slice(0, 30));
      }
    }
  }
  return bad;
}
"""


@pytest.fixture
def world(transactional_db, settings):
    from tests import world as world_mod
    from tests.cases import helpers

    settings.DANGJIAN = {**getattr(settings, "DANGJIAN", {}), "TOTP_REQUIRED_FOR_GRANTORS": False}
    helpers.ensure_taxonomy()
    return world_mod.build()


@pytest.fixture
def shots(tmp_path_factory):
    """Where the photographs go: ``$DANGJIAN_ARTIFACTS/homes`` (CI keeps it), else pytest's
    temp dir."""
    import os
    import pathlib

    root = os.environ.get("DANGJIAN_ARTIFACTS")
    if root:
        path = pathlib.Path(root) / "homes"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("homes")


def _sign_in(page, base: str, username: str, lands_on: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{lands_on}")


def _check_home(page, shots, role: str) -> None:
    """The home at each width: a photograph kept, nothing running out of its card."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(shots / f"{role}-{width}.png"), full_page=True)
        bad = page.evaluate(OVERFLOW_JS)
        assert not bad, (role, width, bad)
    page.set_viewport_size({"width": 1440, "height": 900})


def _page(chromium_browser):
    ctx = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    return ctx, page


def _handled_report(world, description):
    """A report of the resident's, carried to 已处置待核查 through the services."""
    from tests.cases import helpers

    street, community = world.users["street"], world.users["community"]
    helpers.departments(world)
    e = helpers.report(world.users["resident"], area=world.grid, description=description)
    helpers.move(street, e, "open")
    e = helpers.move(street, e, "dispatch")
    dept_user = helpers.department_user("t-dept", e.department)
    helpers.move(dept_user, e, "accept")
    helpers.move(dept_user, e, "finish", note="已修复")
    return e, community


def test_resident_rates_a_handled_report_from_the_phone_todo(
    live_server, chromium_browser, world, shots
):
    from tests.cases import helpers

    e, community = _handled_report(world, "东门路灯连续三晚不亮")
    helpers.move(community, e, "verify_pass", resolution="solved")
    base = live_server.url
    ctx, page = _page(chromium_browser)
    _sign_in(page, base, "t-resident", "/m/")
    _check_home(page, shots, "resident")
    assert (
        page.locator(".m-inbox-item", has_text="我的待办").locator(".m-inbox-n").inner_text() == "1"
    )
    assert page.locator("text=进入管理后台").count() == 0
    page.click(".m-inbox-item:has-text('我的待办')")
    page.wait_for_url(f"{base}/m/todos/")
    page.click("#my-todos a:has-text('评价事件')")
    page.wait_for_url(f"{base}/m/cases/{e.pk}/")
    form = page.locator("#rate form")
    form.locator("input[type=radio][name=rating][value='5']").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/m/cases/{e.pk}/")
    page.goto(f"{base}/m/todos/")
    assert "暂无待办事项" in page.locator("main").inner_text()
    # Told of the report's progress along the way.
    page.goto(f"{base}/m/notifications/")
    body = page.locator("main").inner_text()
    assert "您上报的事件已受理" in body and "您上报的事件已办结" in body
    ctx.close()


def test_member_rates_a_session_they_attended(live_server, chromium_browser, world, shots):
    from django.utils import timezone

    from tests.orglife.helpers import hold, people

    m = people(world.orgs["grid_branch"], 3)[0]
    m.user = world.users["member"]
    m.save(update_fields=["user"])
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    s = hold(
        world.users["community"],
        world.orgs["grid_branch"],
        "members_meeting",
        start - dt.timedelta(days=1),
        present_all=True,
    )
    base = live_server.url
    ctx, page = _page(chromium_browser)
    _sign_in(page, base, "t-member", "/m/")
    _check_home(page, shots, "member")
    page.click(".m-inbox-item:has-text('我的待办')")
    page.wait_for_url(f"{base}/m/todos/")
    page.click("#my-todos a:has-text('评价组织生活')")
    page.wait_for_url(f"{base}/m/orglife/sessions/{s.pk}/rate/")
    page.locator("input[type=radio][name=score][value='4']").check()
    page.fill("textarea[name=comment]", "学习很有收获")
    page.click("button:has-text('提交评价')")
    page.wait_for_url(f"{base}/m/todos/")
    body = page.locator("main").inner_text()
    assert "感谢您的评价" in body and "暂无待办事项" in body
    ctx.close()


def test_grid_worker_confirms_a_registration(live_server, chromium_browser, world, shots):
    from dangjian.accounts.services import registration

    inv = registration.invitation_issue(actor=world.users["grid"], area=world.grid)
    registration.registration_submit(
        code=inv.code, name="王居民", phone="13700137000", password="Jumin@2026abc"
    )
    base = live_server.url
    ctx, page = _page(chromium_browser)
    _sign_in(page, base, "t-grid", "/m/")
    _check_home(page, shots, "grid")
    assert page.locator("a:has-text('进入管理后台')").count() == 1  # holds a staff role
    page.click(".m-inbox-item:has-text('我的待办')")
    page.wait_for_url(f"{base}/m/todos/")
    page.click("#my-todos a:has-text('确认居民注册')")
    page.wait_for_url(f"{base}/m/registrations/")
    page.click("li:has-text('王居民') button:has-text('确认')")
    page.wait_for_url(f"{base}/m/registrations/")
    page.goto(f"{base}/m/todos/")
    assert "暂无待办事项" in page.locator("main").inner_text()
    ctx.close()


def test_community_secretary_verifies_a_handled_event(live_server, chromium_browser, world, shots):
    e, _community = _handled_report(world, "北区井盖缺失很危险")
    base = live_server.url
    ctx, page = _page(chromium_browser)
    _sign_in(page, base, "t-community", "/")
    _check_home(page, shots, "community")
    page.click(f".todo-list a[href='/cases/{e.pk}/']:has-text('核查结案')")
    page.wait_for_url(f"{base}/cases/{e.pk}/")
    page.select_option("#move-verify_pass select[name=resolution]", "solved")
    page.click("#move-verify_pass button[type=submit]")
    page.locator("#event-state", has_text="已结案").wait_for()
    page.goto(f"{base}/todos/")
    assert page.locator(f"a[href='/cases/{e.pk}/']").count() == 0
    ctx.close()


def test_street_officer_opens_a_report_and_hears_of_a_passed_deadline(
    live_server, chromium_browser, world, shots
):
    from django.core.management import call_command
    from django.utils import timezone

    from dangjian.cases.models import Event
    from tests.cases import helpers

    street = world.users["street"]
    helpers.departments(world)
    fresh = helpers.report(
        world.users["resident"], area=world.grid, description="菜市场门口占道经营"
    )
    late = helpers.report(
        world.users["resident"], area=world.grid, description="小区垃圾桶满溢发臭"
    )
    helpers.move(street, late, "open")
    helpers.move(street, late, "dispatch")
    base = live_server.url
    ctx, page = _page(chromium_browser)
    _sign_in(page, base, "t-street", "/")
    _check_home(page, shots, "street")
    page.click(f".todo-list a[href='/cases/{fresh.pk}/']:has-text('立案审核')")
    page.wait_for_url(f"{base}/cases/{fresh.pk}/")
    page.click("#move-open button[type=submit]")
    page.locator("#event-state", has_text="已立案").wait_for()
    page.goto(f"{base}/todos/?source=cases.open")
    assert page.locator(f"a[href='/cases/{fresh.pk}/']").count() == 0

    # The deadline passes; the sweep (the management command the scheduler runs) tells them.
    Event.objects.filter(pk=late.pk).update(deadline=timezone.now() - dt.timedelta(hours=2))
    call_command("notify_deadlines")
    call_command("notify_deadlines")  # a second sweep raises nothing new
    page.goto(f"{base}/")
    bell = page.locator("[data-unread-count]")
    bell.wait_for(state="visible")
    assert bell.inner_text() == "1"
    page.click(".bell-button")
    item = page.locator("#bell-menu .note-open", has_text="事件已超过处置期限")
    item.wait_for()
    item.click()
    page.wait_for_url(re.compile(rf"/cases/{late.pk}/$"))
    page.goto(f"{base}/notifications/")
    assert page.locator(".note-item.is-unread").count() == 0
    ctx.close()
