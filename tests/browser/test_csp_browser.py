"""The content security policy holds on the console and the phone pages in real Chromium: no
page needs an inline script (or a <style> element), and the behaviours that used to be inline
(filtering a select, submitting on change, asking before a delete) still work."""

import pytest

from tests import world as world_mod

pytestmark = pytest.mark.browser

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""

CONSOLE_PAGES = [
    "/",
    "/users/",
    "/areas/",
    "/orgs/",
    "/members/",
    "/cases/",
    "/cases/new/",
    "/cases/visits/new/",
    "/orglife/",
    "/dues/",
    "/development/",
    "/audit/",
    "/map/",
    "/screen/",
    "/reports/",
    "/reports/members_basic/",
]
PHONE_PAGES = ["/m/", "/m/cases/report/", "/m/cases/", "/m/cases/visits/new/"]


def _sign_in(browser, live_server, username, totp=None, **context):
    """Sign in; an account that may grant roles gives its second factor (issue 14)."""
    ctx = browser.new_context(locale="zh-CN", **context)
    ctx.add_init_script(WATCH)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", world_mod.PASSWORD)
    if totp is not None:
        page.fill("input[name=otp]", world_mod.next_code(totp))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, page.url
    return ctx, page


def _violations(page, live_server, paths) -> dict:
    found = {}
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status < 400, (path, response and response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        seen = page.evaluate("window.__csp")
        if seen:
            found[path] = seen
    return found


@pytest.mark.django_db(transaction=True)
def test_console_and_phone_pages_pass_the_policy(live_server, chromium_browser):
    w = world_mod.build()
    totp = world_mod.enrol_totp(w.users["street"])
    ctx, page = _sign_in(chromium_browser, live_server, "t-street", totp)
    assert _violations(page, live_server, CONSOLE_PAGES) == {}
    # The intake form's unit list follows the chosen grid (was an inline script).
    page.goto(f"{live_server.url}/cases/new/")
    grids = page.locator("#id_grid option").evaluate_all(
        "els => els.map(e => e.value).filter(Boolean)"
    )
    page.select_option("#id_grid", grids[0])
    shown = page.locator("#id_unit option[data-grid]").evaluate_all(
        "els => els.filter(e => !e.hidden).map(e => e.getAttribute('data-grid'))"
    )
    assert shown and set(shown) == {grids[0]}
    ctx.close()

    ctx, page = _sign_in(
        chromium_browser, live_server, "t-grid", viewport={"width": 390, "height": 844}
    )
    assert _violations(page, live_server, PHONE_PAGES) == {}
    ctx.close()


@pytest.mark.django_db(transaction=True)
def test_a_confirm_asked_with_a_data_attribute_still_guards_the_delete(
    live_server, chromium_browser
):
    """The plan page's delete asks first (data-confirm, console.js): dismissing it keeps the item."""
    from dangjian.orglife import plans
    from dangjian.orglife.models import PlanItem

    w = world_mod.build()
    plan = plans.plan_create(
        actor=w.users["street"],
        org=w.orgs["grid_branch"],
        year=2026,
        items=[{"session_type": "party_lesson", "month": 12, "topic": "学习新党章"}],
    )
    totp = world_mod.enrol_totp(w.users["street"])
    ctx, page = _sign_in(chromium_browser, live_server, "t-street", totp)
    page.goto(f"{live_server.url}/orglife/plans/{plan.pk}/")
    page.once("dialog", lambda d: d.dismiss())
    page.locator("form[data-confirm] button[type=submit]").first.click()
    page.wait_for_timeout(300)
    assert PlanItem.objects.filter(plan=plan).count() == 1
    page.once("dialog", lambda d: d.accept())
    page.locator("form[data-confirm] button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert PlanItem.objects.filter(plan=plan).count() == 0
    assert page.evaluate("window.__csp") == []
    ctx.close()
