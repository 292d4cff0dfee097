"""The star rating on the phone in real Chromium: the community secretary opens the ratings
tile from the phone home, reads the branch's rating explained line by line at 360 and 430 px
(nothing runs out of its card, the page never scrolls sideways) and files an objection within
the publication window; it lands with county staff."""

from __future__ import annotations

import pytest

from tests.browser.test_inbox_browser import OVERFLOW_JS
from tests.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db, settings):
    from dangjian.assessment.services import rating as services
    from tests import world as world_mod
    from tests.assessment.rating_helpers import YEAR, scheme

    settings.DANGJIAN = {**getattr(settings, "DANGJIAN", {}), "TOTP_REQUIRED_FOR_GRANTORS": False}
    w = world_mod.build()
    scheme(w.users["admin"])
    services.ratings_compute(year=YEAR, actor=None)
    # Published today: the 5-day window is open.
    services.ratings_publish(actor=w.users["county"], county=w.nodes["county"], year=YEAR)
    return w


def test_secretary_reads_and_objects_on_the_phone(live_server, chromium_browser, world):
    from dangjian.assessment.models import Objection, Rating

    r = Rating.objects.get(org=world.orgs["grid_branch"])
    ctx = chromium_browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 780})
    page = ctx.new_page()
    page.set_default_timeout(90_000)  # a loaded machine: slow, not wrong
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "t-community")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/m/")
    page.click("text=评星定级")
    page.wait_for_url(f"{base}/m/assessment/ratings/")
    page.click(f"a[href='/m/assessment/ratings/{r.pk}/']")
    page.wait_for_url(f"{base}/m/assessment/ratings/{r.pk}/")
    for width in (360, 430):
        page.set_viewport_size({"width": width, "height": 780})
        page.reload()
        page.wait_for_load_state("networkidle")
        assert not page.evaluate(OVERFLOW_JS), width
        assert page.locator("#rating-lines li").count() == r.lines.count()
    page.fill("#objection-form textarea[name=reason]", "第三季度主题党日漏记")
    page.click("#objection-form button[type=submit]")
    page.wait_for_selector("text=异议已提交")
    assert page.locator("#rating-objections").inner_text().count("第三季度主题党日漏记") == 1
    assert not page.evaluate(OVERFLOW_JS)
    o = Objection.objects.get(rating=r)
    assert o.state == "filed" and o.filed_by == world.users["community"]
    ctx.close()
