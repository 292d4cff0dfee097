"""The member registry in real Chromium: sign in, search by pinyin initials, narrow by an
organization found through the htmx picker, open the file, reveal a number (htmx, audited)."""

import datetime as dt
import re

import pytest

from tests import world as world_mod

pytestmark = pytest.mark.browser


def _members(w):
    from tests.members.helpers import id_no, member

    street = w.users["street"]
    li = member(
        street,
        w.orgs["grid_branch"],
        name="李明",
        id_number=id_no("19850315", 1),
        phone="13912345678",
        categories=["in_service"],
    )
    member(street, w.orgs["community_committee"], name="王芳", id_number=id_no("19600101", 2))
    member(
        w.users["admin"],
        w.orgs["street2_wc"],
        name="林敏",  # the same initials, in the other street
        id_number=id_no("19700101", 3),
        joined_on=dt.date(2000, 7, 1),
        confirmed_on=dt.date(2001, 7, 1),
    )
    return li


@pytest.mark.django_db(transaction=True)
def test_street_user_finds_a_member_and_opens_the_file(live_server, page):
    w = world_mod.build()
    # t-street can grant roles: a second factor is required (issue 14)
    totp = world_mod.enrol_totp(w.users["street"])
    li = _members(w)
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/members/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "t-street")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.fill("input[name=otp]", world_mod.next_code(totp))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/members/")

    names = page.locator("#member-table a.member-name")
    assert sorted(names.all_inner_texts()) == ["李明", "王芳"]
    assert "林敏" not in page.locator("body").inner_text()

    # The organization picker: typing initials reloads its options through htmx.
    page.fill("#member-filters input.picker-search", "LQSQDYWG")
    page.locator("#id_org option[selected]").wait_for(state="attached")
    assert page.locator("#id_org").input_value() == str(w.orgs["grid_branch"].pk)

    page.fill("#id_q", "lm")
    page.click("#member-filters button[type=submit]")
    page.wait_for_url(re.compile(r"/members/\?.*q=lm"))
    assert names.all_inner_texts() == ["李明"]
    assert "139****5678" in page.locator("#member-table").inner_text()

    names.first.click()
    page.wait_for_url(f"{live_server.url}/members/{li.pk}/")
    assert page.locator("h1").inner_text().startswith("李明")
    body = page.locator("body").inner_text()
    assert "龙桥社区第一网格党支部" in body and "在职党员" in body
    assert li.id_number not in body

    # Reveal the ID number in place (htmx); the file records the reveal.
    page.select_option("#pii-id_number select[name=purpose]", "verify")
    page.fill("#pii-id_number input[name=reason]", "核对转接材料")
    page.locator("#pii-id_number button.reveal-btn").click()
    page.locator("#pii-id_number .revealed").wait_for(state="visible")
    assert page.locator("#pii-id_number .revealed").inner_text() == li.id_number
    assert page.locator("#pii-phone").inner_text().startswith("139****5678")
    page.screenshot(path="/tmp/members.png", full_page=True)

    from dangjian.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="pii.reveal", object_id=str(li.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_secretary_sees_the_refusal_in_place(live_server, page):
    w = world_mod.build()
    li = _members(w)
    # A secretary cannot reveal: the button is not offered; a user who may reveal elsewhere
    # but not here gets the 403 message swapped in. The community secretary with reveal
    # granted on another branch only:
    from dangjian.accounts import services as accounts

    u = world_mod.user("t-revealer", role="secretary", org_node=w.orgs["community_committee"])
    other = world_mod.org(w.orgs["street_wc"], "龙桥街道机关党支部", "branch", w.street)
    accounts.grant_add(actor=None, user=u, role_code="township_staff", org=other)
    totp = world_mod.enrol_totp(u)  # township staff can grant roles: TOTP (issue 14)
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/login/?next=/members/{li.pk}/")
    page.fill("input[name=username]", "t-revealer")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.fill("input[name=otp]", world_mod.next_code(totp))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/members/{li.pk}/")
    page.select_option("#pii-id_number select[name=purpose]", "contact")
    page.fill("#pii-id_number input[name=reason]", "联系本人")
    page.locator("#pii-id_number button.reveal-btn").click()
    page.locator("#pii-id_number .error").wait_for(state="visible")
    assert page.locator("#pii-id_number .error").inner_text() == "您没有查看完整个人信息的权限"
    assert li.id_number not in page.locator("body").inner_text()
