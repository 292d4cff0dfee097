"""The registry's list read by compiled statements (``members.list_page``, issue 19) answers
the same bytes as the ORM path (``selectors.member_list``): for every filter it covers, the
ones it leaves to the ORM, refused values, pages past the end, users of every reach."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from dangjian.core import choices
from dangjian.members import list_page, selectors
from dangjian.members.models import Education, Member, Status
from tests.cases.helpers import at
from tests.members.helpers import id_no, member

pytestmark = pytest.mark.django_db

PARAMS = (
    {},
    {"page_size": 2},
    {"page_size": 2, "page": 2},
    {"page_size": 2, "page": 9},
    {"page": 0},
    {"page_size": 500},
    {"include_left": "true"},
    {"status": "probationary"},
    {"status": "full", "education": "bachelor", "gender": "male"},
    {"occupation": "worker"},
    {"ethnicity": "03"},
    {"category": "retired"},
    {"category": "retired", "include_left": "true", "page_size": 1},
    {"category": ""},
    {"status": ""},
    {"status": "x"},
    {"category": "x"},
    {"education": "phd"},
    {"q": "王"},
    {"q": "zw"},
    {"age_band": "le30"},
    {"join_year": 2024},
    {"join_year": 1800},
    {"area": "grid"},
    {"org": "grid_branch"},
    {"org": "unit_group", "status": "probationary"},
    {"org_area": "community"},
    {"org_area": "community", "category": "in_service"},
    {"org": "street2_wc"},
    {"area": "street2"},
    {"org": 2**63},
    {"org": "grid_branch", "status": "x"},
)


def _people(world, street2_user):
    street = world.users["street"]
    grid_branch, unit_group = world.orgs["grid_branch"], world.orgs["unit_group"]
    a = member(
        street,
        grid_branch,
        name="张伟",
        id_number=id_no("19600101", 1),
        phone="13800138000",
        categories=["retired", "in_difficulty"],
        education="bachelor",
        joined_on=dt.date(1990, 3, 1),
        confirmed_on=dt.date(1991, 3, 1),
        unit=world.unit,
    )
    member(
        street,
        unit_group,
        name="李娜",
        id_number=id_no("20000101", 2, female=True),
        status="probationary",
        confirmed_on=None,
        joined_on=dt.date(2024, 5, 1),
        categories=["in_service"],
        user=world.users["member"],
    )
    member(
        street,
        world.orgs["community_committee"],
        name="王强",
        id_number=id_no("19750101", 3),
        occupation="worker",
        ethnicity="03",
        work_unit="区财政局",
    )
    for i in range(3):
        member(street, grid_branch, name=f"党员{i}", id_number=id_no("19850101", 10 + i))
    member(street2_user, world.orgs["street2_wc"], name="乙", id_number=id_no("19700101", 20))
    # Transferred out of the system: left out unless asked for.
    Member.objects.filter(pk=a.pk).update(left_on=dt.date(2025, 1, 2))


def _value(world, key, value):
    if key in ("org",) and isinstance(value, str):
        return world.orgs[value].pk
    if key in ("area", "org_area") and isinstance(value, str):
        return world.nodes[value].pk
    return value


def _answers(world, api, users) -> list:
    out = []
    for user in users:
        for params in PARAMS:
            real = {k: _value(world, k, v) for k, v in params.items()}
            r = api.get(user, "/api/v1/members/", **real)
            out.append((user.username, params, r.status_code, r.content))
    return out


def test_the_compiled_list_answers_what_the_orm_answers(world, api, street2_user, monkeypatch):
    users = [
        world.users[k] for k in ("street", "admin", "community", "member", "street3", "nobody")
    ] + [street2_user]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        _people(world, street2_user)
        fast = _answers(world, api, users)
        monkeypatch.setattr(list_page, "ENABLED", False)
        slow = _answers(world, api, users)
    for f, s in zip(fast, slow, strict=True):
        assert f == s, (f[:3], f[3][:300], s[3][:300])
    by = {(name, str(p)): (status, body) for name, p, status, body in fast}
    status, body = by[("t-street", "{}")]
    assert status == 200 and b'"count": 5' in body and b"138****8000" not in body
    status, body = by[("t-street", "{'include_left': 'true'}")]
    assert b'"count": 6' in body and b"138****8000" in body, body
    assert by[("t-street", "{'org': 'street2_wc'}")][0] == 404
    assert by[("t-street", "{'status': 'x'}")][0] == 422
    assert by[("t-member", "{}")][1].count(b'"id"') == 1
    assert by[("t-nobody", "{}")][1] == b'{"items": [], "count": 0}'


def test_the_compiled_list_reads_no_model(world, api, street2_user, monkeypatch):
    """The covered filters never reach the ORM selector; the others do."""
    street = world.users["street"]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        _people(world, street2_user)
        api.get(street, "/api/v1/members/")  # the token's first use stamps it

        def refuse(*args, **kwargs):
            raise AssertionError("the ORM path ran")

        monkeypatch.setattr(selectors, "member_list", refuse)
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(street, "/api/v1/members/", category="retired", include_left="true")
        assert r.status_code == 200 and r.json()["count"] == 1
        # token, grants, count, page (with org and unit), categories
        assert len(ctx.captured_queries) <= 5, [q["sql"] for q in ctx.captured_queries]
        with pytest.raises(AssertionError, match="the ORM path ran"):
            api.get(street, "/api/v1/members/", q="王")


def test_labels_follow_the_active_language():
    """The label maps are per language: a page after a change of language reads the new one
    (the cache is keyed by it), and ``label`` agrees with ``labels``."""
    with translation.override("zh-hans"):
        zh = choices.labels(Status)
        assert choices.label(Status, "full") == zh["full"] == str(Status.FULL.label)
    with translation.override("en"):
        en = choices.labels(Education)
        assert choices.label(Education, "bachelor") == en["bachelor"]
        assert choices.labels(Status) is choices._labels(Status, "en")
    assert choices.labels(Status, "zh-hans") is zh
    assert choices.label(Status, "nonsense") == "nonsense"


def test_a_token_is_masked_as_its_clear_text_under_its_key_ring(monkeypatch):
    """``masked`` answers what the field's decryption and ``mask`` answer, keeps only masked
    text, refuses a token that does not decrypt every time, and forgets all with the ring."""
    from dangjian.core import crypto

    token = crypto.encrypt("13800138000")
    assert list_page.masked("phone", token) == "138****8000" == crypto.mask("phone", "13800138000")
    assert list_page.masked("phone", "") == "" and list_page.masked("id_number", None) == ""
    assert "13800138000" not in list_page._MASKED.values()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(crypto.CryptoError):
            list_page.masked("phone", forged)
    assert f"phone:{token}" in list_page._MASKED
    list_page._MASKED["phone:stale"] = "stale"
    crypto.reset_keys_cache()
    assert list_page.masked("phone", token) == "138****8000"
    assert list(list_page._MASKED) == [f"phone:{token}"]
