"""Organizational life in real Chromium: a secretary opens the compliance board, sees red,
amber and green, drills down to a branch and its missing session, and opens a session record
(validity verdict, attendance, the check-in QR code)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import world as world_mod

pytestmark = pytest.mark.browser


def _sessions(w):
    from tests.orglife.helpers import hold, people, schedule

    secretary = w.users["community"]
    branch = w.orgs["grid_branch"]
    people(branch, 10)
    today = timezone.localdate()
    first = today.replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=1)
    start = timezone.make_aware(dt.datetime(last_month.year, last_month.month, 3, 9))
    hold(secretary, branch, "theme_day", start, topic="重温入党誓词主题党日")
    soon = timezone.make_aware(dt.datetime(today.year, today.month, today.day, 9))
    return schedule(
        secretary, branch, "members_meeting", start=soon, topic="党员大会：讨论发展对象"
    )


@pytest.mark.django_db(transaction=True)
def test_secretary_opens_the_board_and_a_session_record(live_server, page):
    w = world_mod.build()
    s = _sessions(w)
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/orglife/compliance/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "t-community")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/orglife/compliance/")

    assert page.locator("nav.sidebar a.active").inner_text() == "组织生活"
    page.fill("input[name=period]", str(timezone.localdate().year))
    page.click("form.filter-row button[type=submit]")
    table = page.locator("table[aria-label=各支部落实情况]")
    table.wait_for()
    assert "龙桥社区第一网格党支部" in table.inner_text()
    assert table.locator(".rag").count() >= 1

    table.locator("a", has_text="龙桥社区第一网格党支部").click()
    page.wait_for_url(f"**/orglife/compliance/branch/{w.orgs['grid_branch'].pk}/**")
    items = page.locator("table[aria-label=逐项落实情况]").inner_text()
    assert "未完成" in items and "主题党日" in items
    assert "重温入党誓词主题党日" in page.locator("body").inner_text()

    page.goto(f"{live_server.url}/orglife/sessions/{s.pk}/")
    verdict = page.locator("#validity [role=status]").inner_text()
    assert "不符合规定" in verdict and "至少需6人" in verdict
    assert page.locator("#checkin .qr svg").count() == 1
    rows = page.locator("#attendance tbody tr")
    assert rows.count() == 10
    rows.first.locator("button", has_text="登记").click()
    page.wait_for_url(f"{live_server.url}/orglife/sessions/{s.pk}/")
    assert "出席情况已登记" in page.locator("body").inner_text()
    assert "实到1人" in page.locator("#validity").inner_text()
    page.screenshot(path="/tmp/orglife.png", full_page=True)
