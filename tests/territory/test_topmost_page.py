"""The tree lists' first level (the topmost visible nodes, ``core.treeapi.topmost_page``, issue
19) read by compiled statements answers the same bytes as the ORM path
(``topmost_visible_to``), for both trees, users of every reach, closed nodes and pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core import treeapi
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

pytestmark = pytest.mark.django_db

PARAMS = (
    {},
    {"page_size": 1},
    {"page_size": 1, "page": 2},
    {"page": 50},
    {"page": 0},
    {"include_closed": 1},
    {"include_closed": "true", "page_size": 2},
)


def _answers(api, users):
    out = []
    for user in users:
        for path in ("/api/v1/areas/", "/api/v1/orgs/"):
            for params in PARAMS:
                r = api.get(user, path, **params)
                out.append((user.username, path, params, r.status_code, r.content))
    return out


def test_the_compiled_topmost_nodes_are_the_orm_ones(world, api, monkeypatch):
    # A closed area and a dissolved organization at a user's first level.
    Area.objects.filter(pk=world.nodes["street2"].pk).update(closed_on=dt.date(2025, 1, 1))
    PartyOrg.objects.filter(pk=world.orgs["street2_wc"].pk).update(dissolved_on=dt.date(2025, 1, 1))
    users = [world.users[k] for k in ("admin", "county", "street", "community", "grid")]
    users += [world.users[k] for k in ("member", "resident", "nobody", "street3")]
    fast = _answers(api, users)
    monkeypatch.setattr(treeapi, "TOPMOST_COMPILED", False)
    slow = _answers(api, users)
    for f, s in zip(fast, slow, strict=True):
        assert f == s, (f[:4], f[4][:300], s[4][:300])
    by = {(u, p, str(q)): (status, body) for u, p, q, status, body in fast}
    assert by[("t-street", "/api/v1/areas/", "{}")][1].count(b'"id"') == 1
    county = by[("t-county", "/api/v1/areas/", "{}")][1]
    assert b'"count": 1' in county
    assert by[("t-street", "/api/v1/areas/", "{'page': 0}")][0] == 422


def test_the_compiled_topmost_nodes_cost_two_statements(world, api):
    street = world.users["street"]
    api.get(street, "/api/v1/areas/")  # the token's first use stamps it
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(street, "/api/v1/areas/")
    assert r.status_code == 200 and r.json()["count"] == 1
    sql = [q["sql"] for q in ctx.captured_queries]
    # token, grants, count, page
    assert len(sql) <= 4, sql
