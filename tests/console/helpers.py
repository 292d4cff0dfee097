"""Small helpers the console tests share."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.organizations.models import OrgDomain, OrgKind
from dangjian.territory.models import AreaKind
from tests import world as world_mod


def text(response) -> str:
    return response.content.decode("utf-8")


def count_queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), response


def add_grids(parent, n: int, prefix: str = "测试网格"):
    return [world_mod.area(parent, f"{prefix}{i:02d}", AreaKind.GRID) for i in range(n)]


def add_branches(parent, anchor, n: int, prefix: str = "测试党支部"):
    return [
        world_mod.org(parent, f"{prefix}{i:02d}", OrgKind.BRANCH, anchor, OrgDomain.COMMUNITY)
        for i in range(n)
    ]
