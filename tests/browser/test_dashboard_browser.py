"""The dashboard in real Chromium over the small demo city, as ``demo-street`` and
``demo-city``: the figures shown equal the API's, a drill-down to a child node and a click on
an event figure reach the list behind it, and that list counts exactly the figure shown."""

import re

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from dangjian.accounts.models import User
from tests import world as world_mod
from tests.cases.helpers import ensure_taxonomy

pytestmark = pytest.mark.browser

FIGURES = ("events_reported", "events_opened", "events_closed")


def _api(page, path):
    return page.evaluate(f"fetch({path!r}).then(r => r.json())")


def _login(page, base, username, totp):
    page.context.clear_cookies()
    page.goto(f"{base}/dashboard/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", django_settings.DANGJIAN["DEMO_PASSWORD"])
    page.fill("input[name=otp]", world_mod.fresh_code(totp, username))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/dashboard/")
    if not page.locator("table.dash-children").count():
        page.screenshot(path=f"/tmp/dash-login-{username}.png")
        raise AssertionError(
            f"{username}: no dashboard: {page.url} {page.inner_text('main')[:300]}"
        )


def _listed(page) -> int:
    """The count the events list shows ("共 N 条"; none: 0)."""
    info = page.locator(".pager-info")
    if info.count() == 0:
        assert "没有符合条件的事件" in page.locator("main").inner_text()
        return 0
    return int(re.search(r"共 (\d+) 条", info.first.inner_text()).group(1))


@pytest.mark.django_db(transaction=True)
def test_drill_down_reaches_the_list_behind_a_figure(live_server, page, settings):
    # a demonstration install: the demo accounts sign in with the demo password
    settings.DANGJIAN = {**settings.DANGJIAN, "DEMO_MODE": True}
    # An earlier transactional test's flush empties the tables the migrations filled (the
    # event taxonomy): put them back, as a fresh install has them, before seeding.
    ensure_taxonomy()
    call_command("seed", "--scale", "small", "--no-progress")
    password = settings.DANGJIAN["DEMO_PASSWORD"]
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    checked = 0
    for username in ("demo-street", "demo-city"):
        totp = world_mod.enrol_totp(User.objects.get(username=username), password=password)
        _login(page, live_server.url, username, totp)
        # one level down: the first child node of the user's node
        child = page.locator("table.dash-children tbody a").first
        name = child.inner_text()
        child.click()
        page.wait_for_url(re.compile(r".*[?&]node=\d+"))
        node = int(re.search(r"node=(\d+)", page.url).group(1))
        assert name in page.locator("main").inner_text()
        api = _api(page, f"/api/v1/dashboard/?node={node}")["items"][0]
        by_code = {f["code"]: f for f in api["figures"]}
        dashboard_url = page.url
        for code in FIGURES:
            row = page.locator(f"tr[data-figure={code}]").first
            shown = row.locator("td.num").first.get_attribute("data-value")
            assert shown == str(by_code[code]["value"]), (username, code)
            row.locator("a").click()
            page.wait_for_url(re.compile(r".*/cases/\?.*stage="))
            assert f"area={node}" in page.url and "period=" in page.url
            assert _listed(page) == int(shown), (username, code, page.url)
            checked += int(shown) > 0
            page.goto(dashboard_url)
    assert checked, "the demo city has events this month under the nodes drilled into"
    assert not errors, errors
