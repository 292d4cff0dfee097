"""The bearer token's look-up (issue 19): one statement, compiled once, nothing of its answer
kept between requests, so a revoked token or a deactivated account fails on the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts import services
from dangjian.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_one_statement_and_the_user_as_the_orm_reads_it(world):
    user = world.users["street"]
    raw, _token = services.token_issue(user=user)
    assert services.token_user(raw) == user  # the first use stamps last_used_at
    with CaptureQueriesContext(connection) as ctx:
        found = services.token_user(raw)
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    assert "accounts_apitoken" in sql and "accounts_user" in sql and "digest" in sql
    for field in ("username", "real_name", "phone", "area_path", "grants_version", "kind"):
        assert getattr(found, field) == getattr(user, field)
    assert found.pk == user.pk and found.area_id == user.area_id and not found._state.adding


def test_revoked_or_deactivated_fails_on_the_next_request(world, api):
    grid = world.users["grid"]
    raw, _token = services.token_issue(user=grid)
    headers = {"Authorization": f"Bearer {raw}"}
    assert api.client.get("/api/v1/areas/", headers=headers).status_code == 200
    assert services.token_revoke(user=grid, raw=raw)
    assert api.client.get("/api/v1/areas/", headers=headers).status_code == 401
    assert services.token_user(raw) is None

    raw, _token = services.token_issue(user=grid)
    assert services.token_user(raw) == grid
    type(grid).objects.filter(pk=grid.pk).update(is_active=False)
    assert services.token_user(raw) is None
    assert ApiToken.objects.filter(user=grid, revoked_at__isnull=True).count() == 1
    assert services.token_user("no such token") is None
