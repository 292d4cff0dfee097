"""The kind's column is called by the model's own word on every tree page (issue 18): an
area's 类型 (as its detail, its list's export and the area import say), a party
organization's 类别 (as its detail, its export and 变更类别 say); an account's 账号类型."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _headers(html: str, table_id: str | None = None) -> list[str]:
    if table_id:
        html = re.search(rf'id="{table_id}".*?</table>', html, re.S).group(0)
    return [re.sub(r"<[^>]+>", "", th) for th in re.findall(r"<th\b.*?</th>", html, re.S)]


def test_the_area_tree_says_type_and_the_org_tree_category(world, client):
    from dangjian.organizations import tables as org_tables
    from dangjian.territory import tables as area_tables

    client.force_login(world.users["admin"])
    areas = _headers(client.get("/areas/").content.decode(), "tree-sort-area")
    orgs = _headers(client.get("/orgs/").content.decode(), "tree-sort-org")
    assert "类型" in areas and "类别" not in areas
    assert "类别" in orgs and "类型" not in orgs
    # the same words as the lists' exports
    assert "类型" in area_tables.AREAS.headers
    assert "类别" in org_tables.ORGS.headers


def test_the_node_pages_children_and_people_tables(world, client):
    client.force_login(world.users["admin"])
    area_page = client.get(f"/areas/{world.street.pk}/").content.decode()
    headers = _headers(area_page)
    assert ["名称", "类型", "下级数"] == headers[:3]  # the children (communities)
    assert "账号类型" in headers and "类别" in headers  # the people; the resident orgs
    org = world.orgs["county_committee"]
    org_page = client.get(f"/orgs/{org.pk}/").content.decode()
    children = re.search(r"<h2>下级党组织</h2>.*?</table>", org_page, re.S).group(0)
    assert _headers(children)[:3] == ["名称", "类别", "下级数"]
