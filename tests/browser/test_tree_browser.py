"""The area tree in real Chromium: sign in through the form, expand with htmx, stay in scope."""

import pytest

from tests import world as world_mod

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_street_user_browses_the_area_tree(live_server, page):
    w = world_mod.build()
    # t-street can grant roles: a second factor is required (issue 14)
    totp = world_mod.enrol_totp(w.users["street"])
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/areas/")
    assert "/login/" in page.url  # signed out: sent to the form, next= kept
    page.fill("input[name=username]", "t-street")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.fill("input[name=otp]", world_mod.next_code(totp))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/areas/")

    assert page.locator(".brand-title").inner_text() == "党建引领基层治理平台"
    top = page.locator("#tree-area > li.tree-node > .tree-row .tree-name")
    assert top.all_inner_texts() == ["龙桥街道"]

    toggle = page.locator("#tree-area > li.tree-node > .tree-row button.tree-toggle")
    assert toggle.inner_text() == "展开"
    toggle.click()
    child = page.locator("#tree-area .tree-kids .tree-name", has_text="龙桥社区")
    child.first.wait_for(state="visible")
    assert child.first.inner_text() == "龙桥社区"
    assert toggle.inner_text() == "收起"

    body = page.locator("body").inner_text()
    assert "凤凰山街道" not in body
    assert "莆田市" not in body
    assert "城厢区" not in body

    page.screenshot(path="/tmp/tree.png", full_page=True)

    # Collapsing hides the loaded children without asking the server again.
    toggle.click()
    assert page.locator(f"#kids-area-{_street_pk()}").is_hidden()
    assert toggle.inner_text() == "展开"


def _street_pk() -> int:
    from dangjian.territory.models import Area

    return Area.objects.get(name="龙桥街道").pk
