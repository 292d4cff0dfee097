"""Member development in real Chromium: a community secretary signs in, finds an applicant on
the list by stage, names the two sponsors on the applicant's page and takes step 9; a step
that breaks a rule is refused on the page with the rule named."""

import datetime as dt

import pytest

from tests import world as world_mod

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_secretary_takes_a_step_in_the_console(live_server, page):
    from dangjian.development.models import Applicant
    from tests.development import helpers as h

    w = world_mod.build()
    sponsors = h.full_members(w, 3, prefix="介绍人")
    a = h.walk(
        w,
        h.applicant(w, name="陈发展"),
        8,
        dt.date(2024, 1, 2),
        people={"contacts": sponsors[:1], "sponsors": []},
    )
    h.applicant(w, name="周新人")  # stage 1: filtered out below
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/development/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "t-community")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/development/")
    assert page.locator("nav.sidebar a.active").inner_text() == "发展党员"

    page.select_option("#f-stage", "3")
    page.click("#applicant-filters button[type=submit]")
    page.wait_for_url("**/development/?*stage=3*")
    names = page.locator("#applicant-table a.applicant-name")
    assert names.all_inner_texts() == ["陈发展"]
    names.first.click()
    page.wait_for_url(f"{live_server.url}/development/{a.pk}/")
    assert "第9步 确定入党介绍人" in page.locator("#next-step").inner_text()
    assert page.locator("#timeline .no").count() == 25

    # one sponsor only: refused, nothing changes
    page.check(f"#people-pick input[value='{sponsors[1].pk}']")
    page.click("#take-step")
    page.locator("#step-errors").wait_for()
    assert "入党介绍人须为2名正式党员" in page.locator("#next-step").inner_text()
    assert Applicant.objects.get(pk=a.pk).step == 8

    # two sponsors: taken
    page.check(f"#people-pick input[value='{sponsors[1].pk}']")
    page.check(f"#people-pick input[value='{sponsors[2].pk}']")
    page.fill("#s-note", "支部委员会研究确定")
    page.click("#take-step")
    page.wait_for_url(f"{live_server.url}/development/{a.pk}/")
    page.locator(".banner-success").wait_for()
    assert "已办理第9步" in page.locator(".banner-success").inner_text()
    assert "第10步 政治审查" in page.locator("#next-step").inner_text()
    history = page.locator("#history").inner_text()
    assert sponsors[1].name in history and sponsors[2].name in history
    a.refresh_from_db()
    assert a.step == 9 and a.people.filter(role="sponsor").count() == 2

    # step 10 with a failed review: refused, the rule named
    for key in ("attitude", "history", "conduct", "relations"):
        page.fill(f"#s-review-{key}", "经审查，情况良好")
    page.fill("#s-review_conclusion", "审查结论")
    page.select_option("#s-review_passed", "false")
    page.click("#take-step")
    page.locator("#step-errors").wait_for()
    assert "不能发展入党" in page.locator("#next-step").inner_text()
    assert Applicant.objects.get(pk=a.pk).step == 9
