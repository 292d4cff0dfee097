"""The phone as each role uses it, in real Chromium at 360 and 430 px (issue 18): every main
phone page of the resident, the member, the grid worker and the community secretary holds its
layout — the page never scrolls sideways, nothing runs out of its card, and no label or word
is squeezed to one character a line. Along the way each does their phone work: the member
taps a session for its agenda and materials and asks for leave; the grid worker opens an
event of the grid from 网格事件 and reads today's visits; the community secretary finds what
waits for them in 我的待办.

The world is set up through the services; what each person does goes through the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.test_inbox_browser import OVERFLOW_JS, _handled_report, _page, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 430)

# Text squeezed to one character a line: a text node of two or more characters laid out on two
# or more lines, none of them wider than about one character (1.6 times the font size).
ONE_CHAR_JS = """
() => {
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.replace(/\\s+/g, '');
    if (text.length < 2) continue;
    const el = node.parentElement;
    if (!el || el.closest('script, style, [hidden], details:not([open]) > :not(summary)')) continue;
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const tops = new Set();
    let widest = 0;
    for (const r of range.getClientRects()) {
      if (r.width === 0) continue;
      tops.add(Math.round(r.top));
      widest = Math.max(widest, r.width);
    }
    if (tops.size >= 2 && widest < 1.6 * parseFloat(s.fontSize)) {
      bad.push(el.tagName + '.' + el.className + ': ' + text.slice(0, 20));
    }
  }
  return bad;
}
"""


def test_the_checks_catch_a_squeezed_label_and_a_sideways_page(page):
    """The two checks are not vacuous: a label squeezed into one character's width and a row
    wider than the phone are caught; a paragraph that wraps normally is not."""
    page.set_viewport_size({"width": 360, "height": 800})
    page.set_content(
        '<body><div class="card"><span id="squeezed" style="display:inline-block;width:14px">'
        "我的待办</span><p>"
        + "这是一段在手机上正常换行的说明文字。" * 6
        + '</p></div><div style="width:500px">过宽的一行</div></body>'
    )
    assert page.evaluate(ONE_CHAR_JS) == ["SPAN.: 我的待办"]
    assert any("page scrolls sideways" in b for b in page.evaluate(OVERFLOW_JS))


@pytest.fixture
def world(transactional_db, settings):
    from tests import world as world_mod
    from tests.cases import helpers

    settings.DANGJIAN = {**getattr(settings, "DANGJIAN", {}), "TOTP_REQUIRED_FOR_GRANTORS": False}
    helpers.ensure_taxonomy()
    return world_mod.build()


def _holds(page, base: str, paths: list[str], role: str) -> None:
    """Each of ``paths`` at each phone width: no sideways scroll, nothing out of its card, no
    one-character lines."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            r = page.goto(f"{base}{path}")
            assert r is not None and r.status == 200, (role, path, r and r.status)
            page.wait_for_load_state("networkidle")
            assert not page.evaluate(OVERFLOW_JS), (role, width, path, page.evaluate(OVERFLOW_JS))
            assert not page.evaluate(ONE_CHAR_JS), (role, width, path, page.evaluate(ONE_CHAR_JS))


@pytest.fixture
def phone(live_server, chromium_browser):
    """``phone(username, landing, pages, role)``: a phone-sized page signed in as ``username``
    (landing on ``landing``) once ``pages`` hold at every phone width (``_holds``); its
    browser context is closed after the test, failed or not."""
    contexts = []

    def signed_in(username: str, landing: str, pages: list[str], role: str):
        ctx, page = _page(chromium_browser)
        contexts.append(ctx)
        page.set_viewport_size({"width": 360, "height": 800})
        page.set_default_timeout(60_000)  # a loaded machine: slow, not wrong
        _sign_in(page, live_server.url, username, landing)
        _holds(page, live_server.url, pages, role)
        return page

    yield signed_in
    for ctx in contexts:
        ctx.close()


def test_resident_pages_hold_at_phone_widths(phone, world):
    from tests.cases import helpers

    helpers.report(world.users["resident"], area=world.grid, description="小区东门路灯不亮")
    phone(
        "t-resident",
        "/m/",
        ["/m/", "/m/cases/", "/m/cases/report/", "/m/todos/", "/m/notifications/"],
        "resident",
    )


def test_member_taps_a_session_and_asks_for_leave_at_phone_widths(live_server, phone, world):
    from django.utils import timezone

    from dangjian.orglife import services
    from dangjian.orglife.models import Attendance
    from tests.orglife.helpers import people

    m = people(world.orgs["grid_branch"], 3)[0]
    m.user = world.users["member"]
    m.save(update_fields=["user"])
    start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    s = services.session_schedule(
        actor=world.users["community"],
        org=world.orgs["grid_branch"],
        session_type="party_lesson",
        topic="学习贯彻党的二十届三中全会精神专题党课",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="龙桥社区党群服务中心三楼会议室",
    )
    base = live_server.url
    page = phone(
        "t-member",
        "/m/",
        ["/m/", "/m/orglife/", f"/m/orglife/sessions/{s.pk}/", "/m/todos/", "/m/dues/"],
        "member",
    )
    page.goto(f"{base}/m/")
    page.click(".m-tile:has-text('组织生活')")
    page.wait_for_url(f"{base}/m/orglife/")
    page.click(f"a[href='/m/orglife/sessions/{s.pk}/']")
    page.wait_for_url(f"{base}/m/orglife/sessions/{s.pk}/")
    agenda = page.locator("#session-agenda").inner_text()
    assert "专题党课" in agenda and "党群服务中心三楼" in agenda
    assert "暂无会议材料" in page.locator("#session-materials").inner_text()
    page.fill("#leave-form textarea[name=reason]", "单位安排外出培训")
    page.click("#leave-form button[type=submit]")
    page.wait_for_selector("text=已提交请假，待记录人批准")
    assert "待记录人批准" in page.locator("#session-mine").inner_text()
    assert not page.evaluate(OVERFLOW_JS) and not page.evaluate(ONE_CHAR_JS)
    row = Attendance.objects.get(session=s, member=m)
    assert row.status == "leave" and row.reason == "单位安排外出培训"


def test_grid_worker_pages_hold_and_the_grids_events_open(live_server, phone, world):
    from django.utils import timezone

    from dangjian.cases.visits import services as visits
    from tests.cases import helpers

    helpers.departments(world)
    e = helpers.report(world.users["resident"], area=world.grid, description="菜市场门口占道经营")
    team = helpers.visit_team(world, "第一网格走访组")
    visits.visit_record(
        actor=world.users["grid"],
        team=team,
        area=world.grid,
        household_label="3号楼2单元501室",
        visited_on=timezone.localdate(),
        notes="独居老人，身体尚好",
    )
    base = live_server.url
    page = phone(
        "t-grid",
        "/m/",
        ["/m/", "/m/cases/grid/", "/m/cases/visits/", "/m/todos/", "/m/registrations/"],
        "grid",
    )
    page.goto(f"{base}/m/")
    page.click(".m-tile:has-text('网格事件')")
    page.wait_for_url(f"{base}/m/cases/grid/")
    page.click(f"#grid-events a[href='/m/cases/{e.pk}/']")
    page.wait_for_url(f"{base}/m/cases/{e.pk}/")
    assert "菜市场门口占道经营" in page.locator("main").inner_text()
    page.goto(f"{base}/m/cases/visits/")
    assert "3号楼2单元501室" in page.locator("#today-visits").inner_text()


def test_community_secretary_finds_what_waits_on_the_phone(live_server, phone, world):
    e, _community = _handled_report(world, "北区井盖缺失很危险")
    base = live_server.url
    page = phone("t-community", "/", ["/m/", "/m/todos/", "/m/notifications/"], "community")
    page.goto(f"{base}/m/")
    n = page.locator(".m-inbox-item", has_text="我的待办").locator(".m-inbox-n").inner_text()
    assert int(n) >= 1
    page.click(".m-inbox-item:has-text('我的待办')")
    page.wait_for_url(f"{base}/m/todos/")
    assert page.locator(f"#my-todos a[href='/cases/{e.pk}/']:has-text('核查结案')").count() == 1
