"""Every date field of the API, sent far in the past and far in the future, answers 4xx with
a Chinese message on the field, never a 5xx.

The operations and their date fields are read from /api/v1/openapi.json (query parameters and
body properties of format date or date-time). Each request names real rows (from the
cross-scope probe factories) and an otherwise valid body where one is known, so that the date
reaches the service and not only the schema.
"""

from __future__ import annotations

import functools
import json

import pytest

from tests.spine.crossscope.assessment import assess_project_probes, assess_review_probes
from tests.spine.crossscope.cadres import cadre_probes, reserve_probes, unit_role_probes
from tests.spine.crossscope.cases import event_probes
from tests.spine.crossscope.development import applicant_probes
from tests.spine.crossscope.dues import _dues_month, dues_member_probes
from tests.spine.crossscope.members import checkin_probes, member_probes, mobile_probes
from tests.spine.crossscope.orglife import orglife_session_probes

DATES = ("0001-01-01", "1800-01-01", "9999-12-31")
DATETIMES = ("0001-01-01T00:00:00", "1800-01-01T08:00:00+08:00", "9999-12-31T23:59:59Z")


@functools.cache
def _document() -> dict:
    from dangjian.api import api

    return api.get_openapi_schema()


def _resolve(schema: dict) -> dict:
    components = _document()["components"]["schemas"]
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _format(schema: dict) -> str | None:
    schema = _resolve(schema)
    if schema.get("format") in ("date", "date-time"):
        return schema["format"]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found = _format(sub)
            if found:
                return found
    return None


def _date_fields() -> list[tuple[str, str, str, str, str]]:
    """(method, path, "query"/"body", field, format) for every date input of the API."""
    out = []
    for path, item in _document()["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                found = _format(p.get("schema", {}))
                if found and p["in"] == "query":
                    out.append((method.upper(), path, "query", p["name"], found))
            for content in op.get("requestBody", {}).get("content", {}).values():
                for name, prop in _resolve(content["schema"]).get("properties", {}).items():
                    found = _format(prop)
                    if found:
                        out.append((method.upper(), path, "body", name, found))
    return out


FIELDS = _date_fields()


# --- the rows each path names and a valid body around the date -------------------------------


def _first(probes) -> int:
    return probes[0].pk


def _path_ids(world, path: str) -> dict[str, int]:
    """The path parameters of ``path``, each a real row the admin reaches."""
    makers = {
        "member_id": lambda: _first(member_probes(world)),
        "checkin_id": lambda: _first(checkin_probes(world)),
        "registration_id": lambda: _first(mobile_probes(world)),
        "cadre_id": lambda: _first(cadre_probes(world)),
        "role_id": lambda: _first(unit_role_probes(world)),
        "applicant_id": lambda: applicant_probes(world)[2].pk,  # at step 2
        "session_id": lambda: _first(orglife_session_probes(world)),
        "event_id": lambda: _first(event_probes(world)),
        # The body's date is refused by the schema before any sanction is read: any id does.
        "sanction_id": lambda: 1,
        # Assessment (issue 15): a secretary project and its first 督评考 item; the milestone
        # id is never read (the date is refused first).
        "project_id": lambda: _first(assess_project_probes(world)),
        "milestone_id": lambda: 1,
        "review_id": lambda: _first(assess_review_probes(world)),
        # The same for a committee seat ended between elections.
        "seat_id": lambda: 1,
        # Issue 14's administration: an area, an organization, an account the admin reaches.
        "area_id": lambda: world.nodes["grid2"].pk,
        "node_id": lambda: world.orgs["grid_branch"].pk,
        "user_id": lambda: world.users["grid"].pk,
        "org_id": lambda: (
            world.orgs["street_wc" if "approval" in path else "community_committee"].pk
        ),
    }
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return {name: makers[name]() for name in names}


def _body(world, method: str, path: str) -> dict:
    """The other fields of a request that would be accepted with a sane date."""
    from tests.members.helpers import id_no

    orgs, nodes = world.orgs, world.nodes
    bodies = {
        ("POST", "/api/v1/orgs/{org_id}/approval-authorization"): {"document_no": "探针1号"},
        ("POST", "/api/v1/members/"): {
            "org_id": orgs["grid_branch"].pk,
            "name": "日期探针",
            "ethnicity": "01",
            "id_number": id_no("19800101", 777),
            "status": "full",
            "joined_on": "2010-07-01",
        },
        ("POST", "/api/v1/members/{member_id}/checkins"): {"community_id": nodes["community"].pk},
        ("POST", "/api/v1/members/checkins/orgs/{org_id}"): {"community_id": nodes["community"].pk},
        ("POST", "/api/v1/members/checkins/{checkin_id}/services"): {
            "content": "日期探针服务",
            "hours": "2",
        },
        ("POST", "/api/v1/members/{member_id}/mobile"): {"destination": "福州市"},
        ("POST", "/api/v1/members/mobile/{registration_id}/reports"): {
            "kind": "report",
            "content": "日期探针汇报",
        },
        ("POST", "/api/v1/members/cadres/"): {
            "area_id": nodes["community"].pk,
            "committee": "branch",
            "position": "member",
            "name": "日期探针委员",
            "gender": "male",
            "education": "bachelor",
        },
        ("POST", "/api/v1/members/cadres/reserves/"): {
            "area_id": nodes["community"].pk,
            "name": "日期探针后备",
            "gender": "female",
            "education": "bachelor",
        },
        ("POST", "/api/v1/members/unit-roles/"): {
            "unit_id": nodes["unit"].pk,
            "role": "building_head",
        },
        ("POST", "/api/v1/development/applicants/"): {
            "org_id": orgs["grid_branch"].pk,
            "name": "日期探针申请人",
            "ethnicity": "01",
            "phone": "13800138000",
        },
        ("POST", "/api/v1/development/applicants/{applicant_id}/transitions"): {"action": "3"},
        ("POST", "/api/v1/users/{user_id}/grants/"): {
            "role": "grid_worker",
            "area_id": nodes["grid"].pk,
        },
        ("POST", "/api/v1/areas/{area_id}/close"): {"reason": "日期探针"},
        ("POST", "/api/v1/orglife/sessions/"): {
            "org_id": orgs["grid_branch"].pk,
            "session_type": "theme_day",
            "topic": "日期探针主题党日",
            "starts_at": "2026-11-10T09:00:00+08:00",
            "ends_at": "2026-11-10T11:00:00+08:00",
        },
    }
    return dict(bodies.get((method, path), {}))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "where", "field", "fmt"),
    FIELDS,
    ids=[f"{m} {p} {w}:{f}" for m, p, w, f, _ in FIELDS],
)
def test_far_dates_answer_4xx_never_5xx(world, api, method, path, where, field, fmt):
    admin = world.users["admin"]
    url = path
    for name, pk in _path_ids(world, path).items():
        url = url.replace("{" + name + "}", str(pk))
    base = _body(world, method, path)
    if path == "/api/v1/members/cadres/mentorships/":
        base = {
            "mentor_id": _first(cadre_probes(world)),
            "mentee_id": _first(reserve_probes(world)),
        }
    if path == "/api/v1/members/unit-roles/":
        base["member_id"] = _first(member_probes(world))
    messages: list[str] = []
    for value in DATETIMES if fmt == "date-time" else DATES:
        if where == "query":
            r = api.get(admin, url, **{field: value})
        else:
            body = {**base, field: value}
            if method == "PATCH":
                r = api.client.patch(
                    url,
                    json.dumps(body),
                    content_type="application/json",
                    headers=api._headers(admin),
                )
            else:
                r = api.post(admin, url, body)
        assert r.status_code < 500, (value, r.status_code, r.content[:300])
        # a 422 naming the field, with a Chinese message
        assert r.status_code == 422, (value, r.status_code, r.content[:300])
        body = r.json()
        assert field in body["errors"], body
        assert body["errors"][field][0] and body["detail"]
        messages.append(body["errors"][field][0])
    assert len(messages) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("value", DATES)
def test_dues_paid_on_far_dates_answer_422(world, api, value):
    """``paid_on`` is typed loosely (a date or a string): the service bounds it."""
    from dangjian.dues.models import DuesPayment

    member = dues_member_probes(world)[0]
    r = api.post(
        world.users["admin"],
        "/api/v1/dues/payments/",
        {"member_id": member.pk, "months": [_dues_month()], "paid_on": value},
    )
    assert r.status_code == 422, r.content[:300]
    assert r.json()["errors"]["paid_on"][0]
    assert not DuesPayment.objects.filter(member_id=member.pk).exists()
