"""Rating from the phone in real Chromium, as the demo's resident and party member: each
finds a closed report of their own marked 待评价, picks the stars (radio buttons) and
submits; the report reads 已评价 (it used to answer 请选择评分 to every submit)."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("username", "stars", "grade"),
    [("demo-resident", "4", "satisfied"), ("demo-member", "3", "basic")],
)
def test_the_reporter_rates_from_the_phone(
    live_server, chromium_browser, username, stars, grade, settings
):
    from dangjian.accounts.models import User
    from dangjian.cases.models import Event, EventStep
    from dangjian.demo.generator import seed
    from tests.cases import helpers

    helpers.ensure_taxonomy()
    seed("small", progress=False, modules=("members", "cases"))
    user = User.objects.get(username=username)
    ev = Event.objects.filter(reporter=user, state="closed", rating="").order_by("-id").first()
    assert ev is not None, "the demo leaves the account a closed report to rate"

    ctx = chromium_browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/m/cases/")
    assert "/login/" in page.url
    page.fill("input[name=username]", username)
    # The demo's published password works in demo mode only (issue 14).
    settings.DANGJIAN = {**settings.DANGJIAN, "DEMO_MODE": True}
    page.fill("input[name=password]", settings.DANGJIAN["DEMO_PASSWORD"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/m/cases/")
    assert page.locator("#my-reports .m-tag-red", has_text="待评价").count() >= 1

    page.goto(f"{live_server.url}/m/cases/{ev.pk}/")
    form = page.locator("#rate form")
    assert form.locator("input[type=radio][name=rating]").count() == 5
    assert form.locator("input[name=call_date]").count() == 0  # their own rating: no call
    form.locator(f"input[type=radio][name=rating][value='{stars}']").check()
    form.locator("input[name=note]").fill("处理及时")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/m/cases/{ev.pk}/")
    body = page.locator("body").inner_text()
    assert "感谢您的评价" in body and "请选择评分" not in body
    assert page.locator("#event-state").inner_text() == "已评价"
    assert page.locator("#rate").count() == 0
    ctx.close()

    ev.refresh_from_db()
    assert (ev.state, ev.rating) == ("evaluated", grade)
    step = EventStep.objects.get(event=ev, action="evaluate")
    assert (step.actor_id, step.note) == (user.pk, f"评分{stars}分：处理及时")
