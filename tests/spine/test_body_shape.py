"""A request body must be a JSON object: an array, a number, a string or null is refused with
422 before any route runs (a JSON array was read as an empty body, and a route with only
optional fields then ran with its defaults)."""

import json
import re

import pytest

from dangjian.core.models import AuditEntry
from dangjian.members.models import UnitRole
from tests.members.helpers import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def role(world, api):
    street = world.users["street"]
    resident = member(street, world.orgs["grid_branch"], name="住户党员", unit=world.unit)
    body = {"member_id": resident.pk, "unit_id": world.unit.pk, "role": "center_household"}
    r = api.post(street, "/api/v1/members/unit-roles/", body)
    assert r.status_code == 200, r.content
    return r.json()["id"]


@pytest.mark.parametrize("raw", ["[null, null]", "[]", "1", '"end"', "null", "true"])
def test_a_body_that_is_not_an_object_is_refused_and_nothing_runs(world, api, role, raw):
    before = AuditEntry.objects.count()
    r = api.post(world.users["street"], f"/api/v1/members/unit-roles/{role}/end", raw=raw)
    assert r.status_code == 422, r.content
    assert r.json()["detail"] == "请求体必须是JSON对象"
    assert UnitRole.objects.get(pk=role).ended_on is None
    assert AuditEntry.objects.count() == before


def test_an_object_body_still_ends_the_role(world, api, role):
    r = api.post(
        world.users["street"],
        f"/api/v1/members/unit-roles/{role}/end",
        raw=json.dumps({}),
    )
    assert r.status_code == 200, r.content
    assert UnitRole.objects.get(pk=role).ended_on is not None


def test_broken_json_is_still_named_as_such(world, api, role):
    r = api.post(world.users["street"], f"/api/v1/members/unit-roles/{role}/end", raw="{")
    assert (r.status_code, r.json()["detail"]) == (422, "请求体不是有效的JSON")


# --- every write of the API (OpenAPI operations) ------------------------------------------------


def _writes() -> list[tuple[str, str]]:
    from dangjian.api import api

    paths = api.get_openapi_schema()["paths"]
    return sorted(
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in ("post", "put", "patch", "delete")
    )


WRITES = _writes()


def test_the_table_covers_the_api_writes():
    assert len(WRITES) > 100 and ("POST", "/api/v1/members/unit-roles/{role_id}/end") in WRITES


@pytest.mark.parametrize(("method", "path"), WRITES, ids=lambda v: str(v))
def test_every_write_refuses_a_body_that_is_not_an_object(world, api, method, path):
    """Every POST/PUT/PATCH/DELETE of the OpenAPI document, as the administrator (who could
    run it), with an array, a number, a string and null: 422 in Chinese, nothing written —
    routes that read no body included (they ran, ignoring it)."""
    url = re.sub(r"\{[^}]+\}", "1", path)
    headers = api._headers(world.users["admin"])
    before = AuditEntry.objects.count()
    for raw in ("[null, null]", "1", '"x"', "null"):
        r = api.client.generic(method, url, raw, content_type="application/json", headers=headers)
        assert r.status_code == 422, (method, path, raw, r.status_code, r.content[:200])
        assert r.json()["detail"] == "请求体必须是JSON对象", (method, path, raw)
    assert AuditEntry.objects.count() == before
