"""A bounded schemathesis run over /api/v1/openapi.json through the WSGI application.

Each operation gets a few dozen generated requests (valid and invalid) sent with a test user's
bearer token; every answer must be no 5xx, a documented status, a documented content type and
a body that matches the documented schema.
"""

from __future__ import annotations

import copy
import functools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Generated requests per operation and variant: `make test` uses the full count; `.ci/run` bounds
# both passes with SCHEMATHESIS_EXAMPLES (15 on SQLite, 5 on PostgreSQL) to keep the whole run
# under its time limit. The known-ids variant always runs in full: it must reach a row.
MAX_EXAMPLES = 25
EXAMPLES = max(1, int(os.environ.get("SCHEMATHESIS_EXAMPLES", MAX_EXAMPLES)))
# Without a token every operation must answer 401 before it reads its inputs, so a few requests
# per operation show it: a fifth of the count, at least 2 (5 for `make test`, 3 and 2 in CI).
ANONYMOUS_EXAMPLES = max(2, EXAMPLES // 5)


@pytest.fixture
def _same_connection():
    """Let requests through the raw WSGI app share the test's transaction.

    Django closes "old" connections at the start and end of each request; inside the test's
    transaction that would drop it. The test client switches this off too.
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@functools.cache
def _document() -> dict:
    """The OpenAPI document, built once per process: it depends on the code alone, and building
    it takes seconds (collection asks for it once per operation). Callers must not mutate it."""
    from dangjian.api import api

    return api.get_openapi_schema()


# Collected once, without the database: the document depends on the code alone.
OPERATIONS = [
    (method.upper(), path) for path, item in _document()["paths"].items() for method in item
]
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


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
    """The schema as schemathesis reads it, from the cached document (a copy: loading resolves
    references in place); calls go to the WSGI app. test_document_is_served checks that the app
    serves this same document."""
    loaded = schemathesis.openapi.from_dict(copy.deepcopy(_document()))
    loaded.app = app
    loaded.location = "/api/v1/openapi.json"
    return loaded


def test_document_is_served(app):
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


def _has_inputs(method: str, path: str) -> bool:
    op = _document()["paths"][path][method.lower()]
    return bool(op.get("parameters") or op.get("requestBody"))


# Where the ids of each route family come from, so that generated requests also reach rows
# that exist (random integers almost never do). Later modules append theirs.
def _id_sources():
    from dangjian.organizations.models import PartyOrg
    from dangjian.territory.models import Area, Household

    class Grids:  # the one map's grid cards (dashboard): grids only
        objects = Area.objects.filter(kind="grid")

    # The more specific prefix first: the households of the area tree are rows of their own.
    return {
        "/api/v1/map/grids/": Grids,
        "/api/v1/areas/households/": Household,
        "/api/v1/areas/": Area,
        "/api/v1/orgs/": PartyOrg,
    }


def _known_bodies(st) -> dict:
    """Bodies for operations whose valid body names rows of the object itself (a committee's
    seats are full members of that organization): a sane date and real members, so that a
    generated request can pass when the members belong to the organization."""
    from dangjian.members.models import Member

    members = sorted(Member.objects.values_list("pk", flat=True)) or [1]
    seat = st.fixed_dictionaries(
        {
            "member_id": st.sampled_from(members),
            "post": st.sampled_from(["secretary", "deputy_secretary", "member"]),
        }
    )
    from dangjian.territory.models import Area

    areas = st.sampled_from(sorted(Area.objects.values_list("pk", flat=True)) or [1])
    from dangjian.organizations.models import OrgKind, PartyOrg

    orgs = sorted(PartyOrg.objects.values_list("pk", flat=True)) or [1]
    return {
        ("POST", "/api/v1/orgs/{org_id}/committee"): st.fixed_dictionaries(
            {"term_start": st.just("2026-01-10"), "seats": st.lists(seat, max_size=5)}
        ),
        ("POST", "/api/v1/areas/{area_id}/move"): st.fixed_dictionaries({"parent_id": areas}),
        # A reveal says why (issue 19): a real purpose and a reason.
        ("POST", "/api/v1/areas/households/{household_id}/reveal"): st.fixed_dictionaries(
            {"purpose": st.sampled_from(["service", "verify"]), "reason": st.just("核对住户信息")}
        ),
        ("POST", "/api/v1/areas/{area_id}/merge"): st.fixed_dictionaries({"into_id": areas}),
        # The party tree's administration (orgs): a real kind, a real new parent.
        ("POST", "/api/v1/orgs/{org_id}/change-kind"): st.fixed_dictionaries(
            {"kind": st.sampled_from(OrgKind.values), "reason": st.just("组织调整")}
        ),
        ("POST", "/api/v1/orgs/{org_id}/move"): st.fixed_dictionaries(
            {"parent_id": st.sampled_from(orgs)}
        ),
    }


def _known_inputs(operation, method: str, path: str):
    """A strategy of cases whose ids (or credentials) are real; None when there is nothing to fix."""
    from hypothesis import strategies as st

    from tests.world import PASSWORD

    if path == "/api/v1/auth/token":
        from dangjian.accounts.models import User

        names = sorted(User.objects.values_list("username", flat=True))
        bodies = st.fixed_dictionaries(
            {
                "username": st.sampled_from(names),
                "password": st.sampled_from([PASSWORD, "Wrong@2026"]) | st.text(max_size=20),
            }
        )
        return bodies.flatmap(lambda body: operation.as_strategy(body=body))
    terms = _committee_inputs(operation, path)
    if terms is not None:
        return terms
    model = next((m for prefix, m in _id_sources().items() if path.startswith(prefix)), None)
    if model is None:
        return None
    if model.__name__ == "Household" and not model.objects.exists():
        from dangjian.territory.models import Area

        unit = Area.objects.filter(kind="unit").order_by("path").first()
        model.objects.create(unit=unit, area_path=unit.path, door="探针1室", head_name="探针户主")
    ids = st.sampled_from(sorted(model.objects.values_list("pk", flat=True)))
    params = _document()["paths"][path][method.lower()].get("parameters", [])
    in_path = [p["name"] for p in params if p["in"] == "path"]
    body = _known_bodies(st).get((method, path))
    if in_path and body is not None:
        return st.tuples(ids, body).flatmap(
            lambda pair: operation.as_strategy(path_parameters={in_path[0]: pair[0]}, body=pair[1])
        )
    if in_path:
        return ids.flatmap(lambda pk: operation.as_strategy(path_parameters={in_path[0]: pk}))
    if any(p["name"] == "parent" for p in params):
        return st.one_of(
            ids.flatmap(lambda pk: operation.as_strategy(query={"parent": pk})),
            operation.as_strategy(query={}),
        )
    return None


def _committee_inputs(operation, path: str):
    """Real rows for the routes on a serving committee (issue 14: postponement, seats between
    elections, the before/after comparison): one committee of the community 党委 with three
    seats, written directly; None for any other route."""
    import datetime as dt

    if not path.startswith("/api/v1/orgs/{org_id}/") or not any(
        part in path for part in ("/committee/", "/elections/")
    ):
        return None
    from dangjian.members.models.committee import CommitteeSeat, OrgCommittee
    from dangjian.organizations.models import PartyOrg
    from tests.orglife.helpers import people

    org = PartyOrg.objects.get(name="中共龙桥社区委员会")
    c = OrgCommittee.objects.filter(org=org, status="current").first()
    if c is None:
        start = dt.date(2024, 1, 1)
        c = OrgCommittee.objects.create(
            org=org,
            org_path=org.path,
            elected_on=start,
            term_start=start,
            term_end=dt.date(2028, 12, 31),
        )
        CommitteeSeat.objects.bulk_create(
            CommitteeSeat(
                committee=c,
                member=m,
                member_name=m.name,
                org_path=org.path,
                post="secretary" if i == 0 else "member",
                starts_on=start,
            )
            for i, m in enumerate(people(org, 3))
        )
    seat = c.seats.order_by("id").last()
    ids = {"org_id": org.pk}
    if path.endswith("/postpone"):
        body = {
            "postponed_to": "2029-03-01",
            "document_no": "组通〔2026〕1号",
            "document_date": "2026-01-05",
        }
    elif path.endswith("/seats"):
        body = {"member_id": 1, "post": "member", "starts_on": "2024-06-01"}
    elif path.endswith("/end"):
        ids["seat_id"] = seat.pk
        body = {"ends_on": "2025-06-30", "reason": "调离"}
    else:
        ids["committee_id"] = c.pk
        return operation.as_strategy(path_parameters=ids)
    return operation.as_strategy(path_parameters=ids, body=body)


def _has_known_ids(method: str, path: str) -> bool:
    """Whether ``_known_inputs`` has real ids (or credentials) to put into this operation."""
    if path == "/api/v1/auth/token":
        return True
    if not any(path.startswith(prefix) for prefix in _id_sources()):
        return False
    params = _document()["paths"][path][method.lower()].get("parameters", [])
    return any(p["in"] == "path" for p in params) or any(p["name"] == "parent" for p in params)


# Only the variants that apply to an operation are collected: nothing is skipped at run time.
CASES = [
    (method, path, variant)
    for method, path in OPERATIONS
    for variant, applies in (
        ("positive", True),
        ("negative", _has_inputs(method, path)),
        ("known_ids", _has_known_ids(method, path)),
    )
    if applies
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "variant"), CASES, ids=[f"{m} {p} {v}" for m, p, v in CASES]
)
def test_api_conforms(api_schema, bearer, method, path, variant):
    operation = api_schema[path][method]
    if variant == "known_ids":
        strategy = _known_inputs(operation, method, path)
        assert strategy is not None, f"no real ids for {method} {path}"
    elif variant == "negative":
        strategy = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    else:
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    error_fields: list[str] = []
    statuses = _run(
        strategy, bearer, MAX_EXAMPLES if variant == "known_ids" else EXAMPLES, error_fields
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
