"""A bounded schemathesis run over /api/v1/openapi.json through the WSGI application.

Each operation gets a few dozen generated requests (valid and invalid) sent with a test user's
bearer token; every answer must be no 5xx, a documented status, a documented content type and
a body that matches the documented schema. The shared part (document, variants, strategies
with real ids) is tests/spine/apifuzz.py, which bench/api_fuzz.py runs at length.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings

from tests.spine.apifuzz import (
    CASES,
    CHECKS,
    OPERATIONS,
    SETTINGS,
    load_schema,
    same_connection,
    strategy,
)

# Generated requests per operation and variant: `make test` uses the full count; `.ci/run` bounds
# both passes with SCHEMATHESIS_EXAMPLES (10 on SQLite, 5 on PostgreSQL) to keep the whole run
# under its time limit. The known-ids variant always runs in full: it must reach a row.
MAX_EXAMPLES = 25
EXAMPLES = max(1, int(os.environ.get("SCHEMATHESIS_EXAMPLES", MAX_EXAMPLES)))
# Without a token every operation must answer 401 before it reads its inputs, so a few requests
# per operation show it: a fifth of the count, at least 2 (5 for `make test`, 2 in CI).
ANONYMOUS_EXAMPLES = max(2, EXAMPLES // 5)


@pytest.fixture
def _same_connection():
    with same_connection():
        yield


@pytest.fixture
def world(shared_world):
    """The module's one world (tests/conftest.py), rolled back to after every operation's run."""
    return shared_world


@pytest.fixture
def app(world, _same_connection):
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


@pytest.fixture
def api_schema(app):
    return load_schema(app)


def test_document_is_served(app):
    import schemathesis

    served = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    assert sorted(OPERATIONS) == sorted((op.method.upper(), op.path) for op in _operations(served))


def _operations(loaded):
    return [result.ok() for result in loaded.get_all_operations()]


@pytest.fixture
def bearer(world):
    from dangjian.accounts.services import token_issue

    raw, _ = token_issue(user=world.users["county"])
    return {"Authorization": f"Bearer {raw}"}


def _run(strategy, headers, examples, error_fields: list | None = None) -> list[int]:
    statuses: list[int] = []

    @given(case=strategy)
    @settings(max_examples=examples, **SETTINGS)
    def check(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.append(response.status_code)
        if error_fields is not None and response.status_code == 422:
            error_fields.extend((response.json().get("errors") or {}).keys())

    check()
    return statuses


# Operations whose body must name rows that belong to the object itself (a committee's seats are
# full members of that organization): a generated body never passes, so reaching the real row
# shows as the service's own 422 on those fields, which it answers only after it has found the
# object and checked that the caller may act on it (a row out of reach answers 404 first).
SERVICE_CHECKED_FIELDS = {
    ("POST", "/api/v1/orgs/{org_id}/committee"): "seats",
    # A seat filled between elections names a member of the organization (issue 14).
    ("POST", "/api/v1/orgs/{org_id}/committee/seats"): "member_id",
    # An area moved under, or merged into, another real area: the services' refusals (its own
    # subtree, a kind that may not sit there, another kind) come after both were found.
    ("POST", "/api/v1/areas/{area_id}/move"): "parent",
    ("POST", "/api/v1/areas/{area_id}/merge"): "into",
}
# Operations whose answer on a real row is a conflict unless its state allows the action (an
# area reopened that is not closed): 409 shows the row was found and the caller may act on it.
CONFLICT_REACHES = {("POST", "/api/v1/areas/{area_id}/reopen")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "variant"), CASES, ids=[f"{m} {p} {v}" for m, p, v in CASES]
)
def test_api_conforms(api_schema, bearer, method, path, variant):
    operation = api_schema[path][method]
    error_fields: list[str] = []
    statuses = _run(
        strategy(operation, method, path, variant),
        bearer,
        MAX_EXAMPLES if variant == "known_ids" else EXAMPLES,
        error_fields,
    )
    assert statuses, "no request was sent"
    # Invalid data over a query string often arrives valid (every value is a string), so
    # negative runs are held to the same checks, not to "always 4xx".
    assert all(s < 500 for s in statuses), statuses
    if variant == "known_ids" and path != "/api/v1/auth/token":
        prefix = SERVICE_CHECKED_FIELDS.get((method, path))
        reached = (
            200 in statuses
            or (prefix is not None and any(f.startswith(prefix) for f in error_fields))
            or ((method, path) in CONFLICT_REACHES and 409 in statuses)
        )
        assert reached, f"no generated request reached a real row: {statuses}"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_anonymously(api_schema, method, path):
    """Without a token: 401 where one is needed, never a 5xx."""
    statuses = _run(api_schema[path][method].as_strategy(), {}, ANONYMOUS_EXAMPLES)
    open_routes = {"/api/v1/health", "/api/v1/auth/token", "/api/v1/openapi.json"}
    if path not in open_routes:
        # 404 only where the URL itself does not match (a negative id in the path)
        assert 401 in statuses and set(statuses) <= {401, 404}, statuses
