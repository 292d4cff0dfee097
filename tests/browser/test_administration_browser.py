"""Issue 14 end to end in real Chromium: a county officer signs in with a second factor and,
through the console pages only, creates a township, a community under it and a grid under the
community; sets up the township's party committee and the grid's party branch and records the
branch's secretary and deputy; creates a grid worker account granted at the new grid and reads
its one-time password off the page. The grid worker signs in with it, is made to change it, and
then sees the new grid alone: the other grids of the world answer 404.

Every step goes through the console pages; only the world and the officer's second factor are
set up through the services."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import world as world_mod
from tests.members.helpers import id_no

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Wangge@2026xin"


def _sign_in(page, base: str, username: str, password: str, otp: str = "") -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    if otp:
        page.fill("input[name=otp]", otp)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _id_from(url: str, prefix: str) -> int:
    found = re.search(rf"/{prefix}/(\d+)/$", url)
    assert found, url
    return int(found.group(1))


def _new_area(page, base: str, parent_pk: int, kind: str, name: str, code: str = "") -> int:
    """From the parent's page: 新建下级区域, fill the form, 确定; back on the new area's page."""
    page.goto(f"{base}/areas/{parent_pk}/")
    page.click("#area-actions a:has-text('新建下级区域')")
    page.wait_for_url(f"{base}/areas/{parent_pk}/new/")
    page.select_option("select[name=kind]", kind)
    page.fill("input[name=name]", name)
    if code:
        page.fill("input[name=code]", code)
    page.click("button:has-text('确定')")
    page.wait_for_url(re.compile(r"/areas/\d+/$"))
    assert page.locator("h1").first.inner_text().startswith(name)
    return _id_from(page.url, "areas")


def _new_org(page, base, parent_pk, *, name, kind, area_pk, founding=None) -> int:
    page.goto(f"{base}/orgs/{parent_pk}/")
    page.click("a:has-text('新建下级组织')")
    page.wait_for_url(f"{base}/orgs/{parent_pk}/new/")
    page.fill("input[name=name]", name)
    page.select_option("select[name=kind]", kind)
    page.select_option("select[name=area]", str(area_pk))
    if founding is not None:
        page.fill("input[name=founding_full_members]", str(founding))
    page.click("form.form button:has-text('保存')")
    page.wait_for_url(re.compile(r"/orgs/\d+/$"))
    assert name in page.locator("h1").first.inner_text()
    return _id_from(page.url, "orgs")


def _new_member(page, base, org_pk: int, org_name: str, name: str, id_number: str) -> None:
    page.goto(f"{base}/members/new/")
    form = page.locator("form.form:has(#id_org)")
    form.locator("input.picker-search").first.fill(org_name)
    page.locator(f"#id_org option[value='{org_pk}']").wait_for(state="attached")
    page.wait_for_load_state("networkidle")  # the picker's htmx swap is over
    page.select_option("#id_org", str(org_pk))
    assert page.locator("#id_org").input_value() == str(org_pk)
    form.locator("#id_name").fill(name)
    form.locator("#id_id_number").fill(id_number)
    form.locator("#id_ethnicity").select_option("01")
    form.locator("#id_status").select_option("full")
    form.locator("#id_joined_on").fill("2005-07-01")
    form.locator("#id_confirmed_on").fill("2006-07-01")
    form.locator("button:has-text('保存')").click()
    page.wait_for_url(re.compile(r"/members/\d+/$"))
    assert f"已新建党员档案：{name}" in page.locator("body").inner_text()


@pytest.mark.django_db(transaction=True)
def test_county_officer_sets_up_a_grid_and_its_worker_sees_only_that_grid(live_server, page):
    w = world_mod.build()
    totp = world_mod.enrol_totp(w.users["county"])  # may grant roles: a second factor
    base = live_server.url
    page.set_default_timeout(15_000)

    # --- the county officer signs in: password and a code --------------------------------
    _sign_in(page, base, "t-county", world_mod.PASSWORD, world_mod.next_code(totp))
    assert "/login/" not in page.url

    # The area tree shows the county; its page offers the administration buttons.
    page.goto(f"{base}/areas/")
    county = w.nodes["county"]
    page.click(f"#tree-area a[href='/areas/{county.pk}/']")
    page.wait_for_url(f"{base}/areas/{county.pk}/")
    assert page.locator("#area-actions").is_visible()

    # --- township, community, grid ---------------------------------------------------------
    # 城厢区 is 350302: a town (名称以“镇”结尾) takes 100-199 in digits 7-9 (华亭镇 has 100).
    town = _new_area(page, base, county.pk, "township", "东海镇", "350302101000")
    body = page.locator("body").inner_text()
    assert "350302101000" in body and "乡镇" in body
    community = _new_area(page, base, town, "community", "东海社区", "350302101001")
    grid = _new_area(page, base, community, "grid", "东海社区第一网格")
    assert "已新建网格“东海社区第一网格”" in page.locator("body").inner_text()

    # --- the party side: the town's 党委 under the 区委, the grid's 党支部 under it --------------
    town_committee = _new_org(
        page,
        base,
        w.orgs["county_committee"].pk,
        name="中共东海镇委员会",
        kind="committee",
        area_pk=town,
    )
    branch = _new_org(
        page,
        base,
        town_committee,
        name="东海社区第一网格党支部",
        kind="branch",
        area_pk=grid,
        founding=3,
    )
    assert "党支部" in page.locator("body").inner_text()

    # The three full members it was founded with, filed through the member form (the
    # organization found through the picker by typing its name).
    for seq, name in enumerate(("林海", "陈岚", "黄涛"), start=101):
        _new_member(page, base, branch, "东海社区第一网格党支部", name, id_no(seq=seq))

    # The committee: from the branch's page to its committees, record secretary and deputy.
    page.goto(f"{base}/orgs/{branch}/")
    page.click("a:has-text('查看历届委员会')")
    page.wait_for_url(f"{base}/members/committees/{branch}/")
    form = page.locator("form:has(#term_start)")
    form.locator("#term_start").fill(dt.date.today().isoformat())
    form.locator("select[name=member_0]").select_option(label="林海")
    form.locator("select[name=post_0]").select_option("secretary")
    form.locator("select[name=member_1]").select_option(label="陈岚")
    form.locator("select[name=post_1]").select_option("deputy_secretary")
    form.locator("button:has-text('登记')").click()
    page.wait_for_load_state()
    text = page.locator("body").inner_text()
    assert "已登记东海社区第一网格党支部新一届委员会" in text, text
    page.goto(f"{base}/orgs/{branch}/")
    committee = page.locator("#org-committee").inner_text()
    assert "林海（书记）" in committee and "陈岚（副书记）" in committee

    # --- the grid worker's account: created, granted, its one-time password read off -------
    page.goto(f"{base}/users/new/")
    page.fill("input[name=username]", "t-donghai-grid")
    page.fill("input[name=real_name]", "郑网格")
    page.select_option("select[name=kind]", "staff")
    page.select_option("select[name=area]", str(grid))
    page.click("form.form button:has-text('保存')")
    page.wait_for_selector("#one-time-password")
    one_time = page.locator("#one-time-password").inner_text().strip()
    assert one_time
    page.click("a:has-text('返回用户页')")
    page.wait_for_url(re.compile(r"/users/\d+/$"))
    page.select_option("select[name=g-role]", "grid_worker")
    page.select_option("select[name=g-area]", str(grid))
    page.click("button:has-text('授权')")
    page.wait_for_load_state()
    assert "已授权" in page.locator("body").inner_text()
    page.click("form[action='/logout/'] button")
    page.wait_for_url(re.compile(r"/login/"))

    # --- the grid worker: one-time password, forced change, then the grid alone -------------
    _sign_in(page, base, "t-donghai-grid", one_time)
    page.wait_for_url(f"{base}/account/")
    page.goto(f"{base}/areas/")  # nothing but the account page until the password is changed
    assert page.url == f"{base}/account/"
    page.fill("input[name=pw-old_password]", one_time)
    page.fill("input[name=pw-new_password]", NEW_PASSWORD)
    page.fill("input[name=pw-new_password2]", NEW_PASSWORD)
    page.click("button:has-text('修改密码')")
    # on to where the sign-in was going: a grid worker's home is the phone pages
    page.wait_for_url(f"{base}/m/")
    assert "密码已修改" in page.locator("body").inner_text()

    page.goto(f"{base}/areas/")
    top = page.locator("#tree-area > li.tree-node > .tree-row .tree-name")
    assert top.all_inner_texts() == ["东海社区第一网格"]
    body = page.locator("body").inner_text()
    for other in ("龙桥社区第一网格", "龙桥社区第二网格", "东海社区", "城厢区"):
        assert other not in body.replace("东海社区第一网格", "")

    assert page.goto(f"{base}/areas/{grid}/").status == 200
    for other in ("grid", "grid2"):
        assert page.goto(f"{base}/areas/{w.nodes[other].pk}/").status == 404
    assert page.goto(f"{base}/areas/{community}/").status == 404
    assert page.goto(f"{base}/orgs/{w.orgs['grid_branch'].pk}/").status == 404
    # and the API answers the same for the other grid (the console session signs it in)
    assert page.goto(f"{base}/api/v1/areas/{w.nodes['grid'].pk}").status == 404
