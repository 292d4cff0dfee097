"""Weak organizations in real Chromium: county staff open this year's ranking, confirm the
bottom list; the community secretary plans the rectification and files a progress report."""

import datetime as dt

import pytest

from dangjian.assessment.models import Ranking, Rectification
from dangjian.assessment.services import weak
from tests import world as world_mod

pytestmark = pytest.mark.browser


def _login(page, live_server, path, username, totp=None):
    page.goto(f"{live_server.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", world_mod.PASSWORD)
    if totp is not None:
        page.fill("input[name=otp]", world_mod.fresh_code(totp, username))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")


@pytest.mark.django_db(transaction=True)
def test_county_confirms_the_list_and_the_secretary_reports(live_server, page):
    w = world_mod.build()
    today = dt.date(2026, 12, 7)
    for summary in ("班子不团结", "群众反映强烈"):
        weak.flag_add_manual(
            actor=w.users["county"],
            org=w.orgs["community_committee"],
            year=2026,
            summary=summary,
            evidence="走访座谈记录",
        )
    weak.flags_recompute(year=2026, today=today)
    weak.rankings_recompute(year=2026, today=today)
    ranking = Ranking.objects.get(county=w.nodes["county"], year=2026)
    county_totp = world_mod.enrol_totp(w.users["county"])  # may grant roles: a second factor
    page.set_default_timeout(10_000)

    _login(page, live_server, "/assessment/rankings/", "t-county", county_totp)
    page.locator("#ranking-list a", has_text="城厢区").click()
    page.wait_for_url(f"{live_server.url}/assessment/rankings/{ranking.pk}/")
    bottom = page.locator("#bottom-list").inner_text()
    assert "中共龙桥社区委员会" in bottom and "班子不团结" in bottom
    page.fill("#confirm-note", "经部务会研究确认")
    page.click("#confirm-ranking")
    page.wait_for_url(f"{live_server.url}/assessment/rankings/{ranking.pk}/")
    assert page.locator("#ranking-state").inner_text() == "已确认"
    rect = Rectification.objects.get(org=w.orgs["community_committee"], year=2026)

    page.context.clear_cookies()
    _login(page, live_server, f"/assessment/rectifications/{rect.pk}/", "t-community")
    page.fill("#p-measures", "一、补齐班子；二、按期召开党员大会")
    page.fill("#p-leader", "李书记")
    page.click("#form-plan button[type=submit]")
    page.wait_for_selector("#form-report")
    assert page.locator("#rect-state").inner_text() == "整顿中"
    page.fill("#p-report", "已补选委员两名，召开党员大会一次")
    page.click("#file-report")
    page.wait_for_selector("#rect-history >> text=已补选委员两名")
    rect.refresh_from_db()
    assert rect.reports == 1 and rect.leader == "李书记"
