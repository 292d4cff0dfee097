"""What every schemathesis run over /api/v1/openapi.json shares: the document, the operations and
their variants, the checks, the Hypothesis settings, the strategies that put real ids into
generated requests, and the switch that lets requests through the raw WSGI application share the
caller's connection.

Two runs import it: the bounded one of the suite (tests/spine/test_schemathesis.py, inside each
test's transaction) and the long one of ``bench/api_fuzz.py`` (a few hundred examples per
operation, as a low-privilege and a city account, on SQLite and PostgreSQL).
"""

from __future__ import annotations

import contextlib
import copy
import functools

import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# The checks the suite's run holds every answer to; the bench runs schemathesis' whole default set.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Generated requests per operation and variant. `.ci/run` bounds the second (PostgreSQL) pass


@contextlib.contextmanager
def same_connection():
    """Let requests through the raw WSGI app share the caller's connection and transaction.

    Django closes "old" connections at the start and end of each request; inside the caller's
    transaction that would drop it. The test client switches this off too.
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@functools.cache
def document() -> dict:
    """The OpenAPI document, built once per process: it depends on the code alone, and building
    it takes seconds (collection asks for it once per operation). Callers must not mutate it."""
    from dangjian.api import api

    return api.get_openapi_schema()


# Collected once, without the database: the document depends on the code alone.
OPERATIONS = [
    (method.upper(), path) for path, item in document()["paths"].items() for method in item
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


def load_schema(app):
    """The schema as schemathesis reads it, from the cached document (a copy: loading resolves
    references in place); calls go to the WSGI ``app``. test_document_is_served checks that the
    app serves this same document."""
    loaded = schemathesis.openapi.from_dict(copy.deepcopy(document()))
    loaded.app = app
    loaded.location = "/api/v1/openapi.json"
    return loaded


def has_inputs(method: str, path: str) -> bool:
    op = document()["paths"][path][method.lower()]
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


def known_inputs(operation, method: str, path: str):
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
    params = document()["paths"][path][method.lower()].get("parameters", [])
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


def has_known_ids(method: str, path: str) -> bool:
    """Whether ``known_inputs`` has real ids (or credentials) to put into this operation."""
    if path == "/api/v1/auth/token":
        return True
    if not any(path.startswith(prefix) for prefix in _id_sources()):
        return False
    params = document()["paths"][path][method.lower()].get("parameters", [])
    return any(p["in"] == "path" for p in params) or any(p["name"] == "parent" for p in params)


# Only the variants that apply to an operation are collected: nothing is skipped at run time.
CASES = [
    (method, path, variant)
    for method, path in OPERATIONS
    for variant, applies in (
        ("positive", True),
        ("negative", has_inputs(method, path)),
        ("known_ids", has_known_ids(method, path)),
    )
    if applies
]


def strategy(operation, method: str, path: str, variant: str):
    """The generated cases of one variant of one operation: ``positive`` (valid by the
    document), ``negative`` (invalid) or ``known_ids`` (real ids, see ``known_inputs``)."""
    if variant == "known_ids":
        found = known_inputs(operation, method, path)
        assert found is not None, f"no real ids for {method} {path}"
        return found
    mode = GenerationMode.NEGATIVE if variant == "negative" else GenerationMode.POSITIVE
    return operation.as_strategy(generation_mode=mode)
