"""The console menu grouped by work with icons, collapsed per role to what the person can use,
and a breadcrumb trail on every page (issue 18)."""

import re

import pytest

from tests.console.helpers import text

pytestmark = pytest.mark.django_db


def groups_of(body: str) -> list[str]:
    return re.findall(r'<details class="menu-group" data-group="(\w+)"', body)


def test_groups_follow_the_role(world, as_user):
    body = text(as_user(world.users["county"]).get("/"))
    assert groups_of(body)[:2] == ["org", "member"]
    assert "系统管理" in body and '<use href="#i-org"/>' in body and 'id="i-org"' in body
    grid = text(as_user(world.users["grid"]).get("/"))
    assert "governance" in groups_of(grid) and "dues" not in groups_of(grid)
    nobody = text(as_user(world.users["nobody"]).get("/"))
    assert groups_of(nobody) == ["system"]  # only 账号安全
    assert 'href="/account/"' in nobody and 'href="/audit/"' not in nobody


def test_the_group_of_the_page_is_open_and_a_breadcrumb_leads_home(world, as_user):
    body = text(as_user(world.users["county"]).get("/audit/"))
    group = re.search(r'<details class="menu-group" data-group="system"( open)?>', body)
    assert group and group.group(1) == " open"
    trail = re.search(r'<nav class="breadcrumbs" aria-label="位置">(.*?)</nav>', body, re.S)
    assert trail, "no breadcrumbs"
    crumbs = re.sub(r"<[^>]+>", " ", trail.group(1)).split()
    assert crumbs == ["首页", "/", "系统管理", "/", "审计日志"]


def test_pages_with_their_own_trail_show_one(world, as_user):
    node = world.nodes["street"]
    body = text(as_user(world.users["county"]).get(f"/areas/{node.pk}/"))
    assert body.count('class="breadcrumbs"') == 1
