"""The error answers in the OpenAPI document (issue 19; DESIGN.md "API conventions"): every
write route declares the 4xx answers it gives, each with its Chinese meaning and its body: a
422 (a field's validation, a business rule) is ``ValidationErrorOut`` with the per-field
``errors``, a 409 (the object's state refuses the transition) and the others ``ErrorOut``. So
schemathesis' status and schema checks, and API users, see what a refusal looks like.
"""

from __future__ import annotations

import jsonschema_rs
import pytest

from dangjian.core.api import ERROR_DESCRIPTIONS
from tests.cases.helpers import report
from tests.spine.apifuzz import document

WRITES = ("post", "put", "patch", "delete")
WRITE_ROUTES = [
    (path, method)
    for path, item in document()["paths"].items()
    for method in item
    if method in WRITES
]
# Write routes on one object (a path parameter): a transition, an action or an edit of it.
ON_AN_OBJECT = [(path, method) for path, method in WRITE_ROUTES if "{" in path]
# Routes on an object whose service has no state rule to refuse them by (idempotent): no 409.
NO_STATE_RULE = {
    ("/api/v1/users/{user_id}/lock", "post"),  # locking a locked account changes nothing
    ("/api/v1/users/{user_id}/unlock", "post"),
}
VALIDATION = "#/components/schemas/ValidationErrorOut"
ERROR = "#/components/schemas/ErrorOut"


def _responses(path: str, method: str) -> dict:
    return document()["paths"][path][method]["responses"]


def _body_ref(answer: dict) -> str:
    return answer["content"]["application/json"]["schema"]["$ref"]


def test_the_routes_are_found():
    assert ("/api/v1/cases/{event_id}/transitions", "post") in ON_AN_OBJECT
    assert ("/api/v1/auth/logout", "post") in WRITE_ROUTES
    assert len(ON_AN_OBJECT) >= 80 and len(WRITE_ROUTES) >= 140


@pytest.mark.parametrize(("path", "method"), WRITE_ROUTES)
def test_every_write_route_declares_422_with_the_field_errors(path, method):
    """Any write route refuses a JSON body that is not an object (422) before it runs."""
    answer = _responses(path, method)["422"]
    assert _body_ref(answer) == VALIDATION
    assert answer["description"].startswith(ERROR_DESCRIPTIONS["422"])


@pytest.mark.parametrize(("path", "method"), ON_AN_OBJECT)
def test_every_route_on_an_object_declares_its_refusals(path, method):
    codes = set(_responses(path, method))
    expected = {"401", "403", "404", "422"}
    if (path, method) not in NO_STATE_RULE:
        expected.add("409")
    assert expected <= codes, sorted(expected - codes)


def test_every_error_answer_is_described_in_chinese_with_its_body():
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            for code, answer in operation["responses"].items():
                if not code.startswith("4"):
                    continue
                assert answer["description"].startswith(ERROR_DESCRIPTIONS[code]), (
                    path,
                    method,
                    code,
                )
                assert _body_ref(answer) == (VALIDATION if code == "422" else ERROR)


def test_the_validation_body_requires_the_field_errors():
    schema = document()["components"]["schemas"]["ValidationErrorOut"]
    assert set(schema["required"]) == {"detail", "errors"}
    assert schema["properties"]["errors"]["type"] == "object"


def _conforms(path: str, method: str, status: int, body: dict) -> bool:
    answer = _responses(path, method)[str(status)]
    root = {"components": document()["components"], "$ref": _body_ref(answer)}
    return jsonschema_rs.validator_for(root).is_valid(body)


@pytest.mark.django_db
def test_a_refused_transition_answers_as_documented(world, api):
    """A transition the event's state refuses (409) and one with an unknown action (422, on
    the field): each answer's status is declared and its body fits the declared schema."""
    path = "/api/v1/cases/{event_id}/transitions"
    street = world.users["street"]
    event = report(world.resident)
    url = f"/api/v1/cases/{event.pk}/transitions"

    state = api.post(street, url, {"action": "accept"})
    assert state.status_code == 409
    assert _conforms(path, "post", 409, state.json())

    field = api.post(street, url, {"action": "fly"})
    assert field.status_code == 422 and "action" in field.json()["errors"]
    assert _conforms(path, "post", 422, field.json())
    assert not _conforms(path, "post", 422, {"detail": "输入有误"})  # the errors are required

    shape = api.client.post(
        url, "[null, null]", content_type="application/json", headers=api._headers(street)
    )
    assert shape.status_code == 422 and _conforms(path, "post", 422, shape.json())
