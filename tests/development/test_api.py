"""The API under /api/v1/development/: shapes, answers (200/403/404/409/422), scope, the
board and the targets, and query counts pinned on the lists and the board."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from dangjian.development import services
from dangjian.development.models import Applicant, DevelopmentTarget
from tests.development import helpers as h

pytestmark = pytest.mark.django_db
BASE = "/api/v1/development"


def test_create_list_and_detail(world, api):
    user = world.users["community"]
    r = api.post(
        user,
        f"{BASE}/applicants/",
        {
            "org_id": world.orgs["grid_branch"].pk,
            "name": "赵申请",
            "ethnicity": "01",
            "id_number": h.id_no("19990505", 41),
            "phone": "13700137000",
        },
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["id_number"] == "350302********" + h.id_no("19990505", 41)[-4:]
    assert body["phone"] == "137****7000"
    assert body["step"] == 0 and body["stage"] == 1 and body["stage_label"] == "申请入党"
    assert body["next_step"]["number"] == 1 and body["next_step"]["label"] == "递交入党申请书"
    # the 18th birthday is years past: the application may be taken any time (no "eligible
    # since 2017" before anything is recorded, issue 18)
    assert body["next_step"]["earliest"] is None
    assert len(body["timeline"]) == 25 and body["steps"] == []
    assert body["created_at"].endswith("+08:00")
    r = api.get(user, f"{BASE}/applicants/")
    assert r.status_code == 200 and r.json()["count"] == 1
    assert r.json()["items"][0]["status_label"] == "培养考察中"
    r = api.get(user, f"{BASE}/applicants/{body['id']}")
    assert r.status_code == 200 and r.json()["name"] == "赵申请"


def test_create_bad_input_is_422_in_chinese(world, api):
    r = api.post(
        world.users["community"],
        f"{BASE}/applicants/",
        {"org_id": world.orgs["grid_branch"].pk, "name": "", "ethnicity": "99"},
    )
    assert r.status_code == 422
    assert {"name", "ethnicity"} <= set(r.json()["errors"])
    r = api.post(world.users["community"], f"{BASE}/applicants/", {"name": "x", "bogus": 1})
    assert r.status_code == 422
    assert Applicant.objects.count() == 0


def test_transition_answers_the_applicant_with_history(world, api):
    a = h.applicant(world)
    user = world.users["community"]
    with h.travel(h.NOW):
        r = api.post(
            user,
            f"{BASE}/applicants/{a.pk}/transitions",
            {"action": "1", "date": "2026-01-31", "note": "收到申请书"},
        )
        assert r.status_code == 200, r.json()
        body = r.json()
        assert body["step"] == 1 and body["applied_on"] == "2026-01-31"
        assert body["steps"][0]["action"] == "1" and body["steps"][0]["note"] == "收到申请书"
        assert body["steps"][0]["data"]["document_title"] == "入党申请书"
        assert body["next_step"]["number"] == 2
        assert body["next_step"]["due"] == "2026-02-28"
        assert body["next_step"]["overdue"] is True  # "now" is 2030
        r = api.post(
            user,
            f"{BASE}/applicants/{a.pk}/transitions",
            {"action": "2", "date": "2026-03-02", "talker": "王书记"},
        )
        assert r.status_code == 200
        assert r.json()["warnings"] and "一个月内" in r.json()["warnings"][0]
        assert r.json()["steps"][1]["warnings"] == r.json()["warnings"]


def test_transition_out_of_order_is_409_naming_the_rule(world, api):
    a = h.applicant(world)
    r = api.post(world.users["community"], f"{BASE}/applicants/{a.pk}/transitions", {"action": "5"})
    assert r.status_code == 409
    assert "按步骤依次办理" in r.json()["detail"]


def test_transition_period_rule_is_409_with_the_date(world, api):
    a = h.walk(world, h.applicant(world), 6, dt.date(2025, 3, 1))
    with h.travel(h.NOW):
        r = api.post(
            world.users["community"],
            f"{BASE}/applicants/{a.pk}/transitions",
            {"action": "7", "date": "2026-02-28"},
        )
    assert r.status_code == 409
    assert "一年以上培养教育" in r.json()["detail"] and "2026年3月1日" in r.json()["detail"]


def test_transition_bad_fields_are_422(world, api):
    a = h.walk(world, h.applicant(world), 14, dt.date(2024, 1, 2))
    user = world.users["community"]
    with h.travel(h.NOW):
        r = api.post(
            user,
            f"{BASE}/applicants/{a.pk}/transitions",
            {"action": "15", "entitled": 5, "present": 3, "yes": 2, "no": 1, "abstain": 0},
        )
        assert r.status_code == 422
        assert "yes" in r.json()["errors"] and "赞成人数" in r.json()["detail"]
        r = api.post(
            user, f"{BASE}/applicants/{a.pk}/transitions", {"action": "15", "colour": "red"}
        )
        assert r.status_code == 422 and "colour" in r.json()["errors"]
        r = api.post(
            user,
            f"{BASE}/applicants/{a.pk}/transitions",
            {"action": "15", "talker": "多余", **h.fields_for(world, 15)},
        )
        assert r.status_code == 422 and "talker" in r.json()["errors"]
        r = api.post(
            user, f"{BASE}/applicants/{a.pk}/transitions", {"action": "15", "date": "2025-13-01"}
        )
        assert r.status_code == 422
    a.refresh_from_db()
    assert a.step == 14


def test_scope_404_and_403(world, api):
    a = h.applicant(world)
    # another county's staff: not found
    assert api.get(world.users["street3"], f"{BASE}/applicants/{a.pk}").status_code == 404
    r = api.post(world.users["street3"], f"{BASE}/applicants/{a.pk}/transitions", {"action": "1"})
    assert r.status_code == 404
    # the applicant's own account sees the record but may not move it
    a.user = world.users["resident"]
    a.save()
    r = api.get(world.users["resident"], f"{BASE}/applicants/{a.pk}")
    assert r.status_code == 200
    r = api.get(world.users["resident"], f"{BASE}/applicants/")
    assert [i["id"] for i in r.json()["items"]] == [a.pk]
    r = api.post(world.users["resident"], f"{BASE}/applicants/{a.pk}/transitions", {"action": "1"})
    assert r.status_code == 403
    # a member who is not the applicant sees nothing
    assert api.get(world.users["member"], f"{BASE}/applicants/").json()["count"] == 0


def test_list_filters(world, api):
    a = h.walk(world, h.applicant(world), 3, dt.date(2026, 1, 5))
    b = h.applicant(world, name="王申请")
    user = world.users["community"]
    ids = lambda r: [i["id"] for i in r.json()["items"]]  # noqa: E731
    assert ids(api.get(user, f"{BASE}/applicants/", stage=2)) == [a.pk]
    assert ids(api.get(user, f"{BASE}/applicants/", stage=1)) == [b.pk]
    assert ids(api.get(user, f"{BASE}/applicants/", q="王")) == [b.pk]
    assert api.get(user, f"{BASE}/applicants/", stage=9).status_code == 422
    assert api.get(user, f"{BASE}/applicants/", status="bogus").status_code == 422
    r = api.get(user, f"{BASE}/applicants/", org=world.orgs["grid_branch"].pk)
    assert sorted(ids(r)) == sorted([a.pk, b.pk])
    r = api.get(user, f"{BASE}/applicants/", org=world.orgs["street2_wc"].pk)
    assert r.status_code == 404  # above the secretary's grant: not visible


def _many(world, n: int):
    for i in range(n):
        a = h.applicant(world, name=f"申请人{i}")
        if i % 2:
            h.walk(world, a, 2, dt.date(2026, 1, 5))


def test_list_query_count_is_pinned(world, api, django_assert_max_num_queries):
    _many(world, 4)
    user = world.users["community"]
    api.get(user, f"{BASE}/applicants/")  # token and grants cached
    reset_queries()
    with CaptureQueriesContext(connection) as small:
        api.get(user, f"{BASE}/applicants/")
    baseline = len(small.captured_queries)
    assert baseline >= 2
    _many(world, 12)
    reset_queries()
    with django_assert_max_num_queries(baseline):
        r = api.get(user, f"{BASE}/applicants/")
    assert r.json()["count"] == 16 and len(r.json()["items"]) == 16


def test_board_counts_overdue_and_next(world, api):
    a = h.walk(world, h.applicant(world), 1, dt.date(2030, 4, 1))  # talk overdue on 1 May
    b = h.walk(world, h.applicant(world, name="王申请"), 6, dt.date(2030, 1, 2))
    h.applicant(world, name="新申请")
    user = world.users["community"]
    with h.travel(h.NOW):
        r = api.get(user, f"{BASE}/board/", org=world.orgs["grid_branch"].pk)
    assert r.status_code == 200
    body = r.json()
    stages = {s["code"]: s["count"] for s in body["stages"]}
    assert stages == {"1": 2, "2": 1, "3": 0, "4": 0, "5": 0}
    assert [i["id"] for i in body["overdue"]] == [a.pk] and body["overdue_count"] == 1
    upcoming = {i["id"]: i["next_step"] for i in body["upcoming"]}
    assert upcoming[b.pk]["number"] == 7 and upcoming[b.pk]["earliest"] == "2031-01-02"
    assert body["ready_count"] == 2
    assert body["targets"]["node_name"] == "龙桥社区第一网格党支部"
    assert body["targets"]["activists"] == {"target": 0, "actual": 1}


def test_board_by_area_and_404_out_of_scope(world, api):
    h.walk(world, h.applicant(world), 3, dt.date(2026, 1, 5))
    user = world.users["community"]
    with h.travel(h.NOW):
        r = api.get(user, f"{BASE}/board/", area=world.nodes["community"].pk, year=2026)
        assert r.status_code == 200
        assert r.json()["tree"] == "area"
        assert {s["code"]: s["count"] for s in r.json()["stages"]}["2"] == 1
        assert api.get(user, f"{BASE}/board/", area=world.nodes["street3"].pk).status_code == 404
        assert (
            api.get(
                user,
                f"{BASE}/board/",
                org=world.orgs["grid_branch"].pk,
                area=world.nodes["grid"].pk,
            ).status_code
            == 422
        )


def test_board_query_count_is_pinned(world, api, django_assert_max_num_queries):
    user = world.users["county"]
    with h.travel(h.NOW):
        h.walk(world, h.applicant(world), 3, dt.date(2026, 1, 5))
        api.get(user, f"{BASE}/board/", year=2026)
        reset_queries()
        with CaptureQueriesContext(connection) as small:
            api.get(user, f"{BASE}/board/", year=2026)
        baseline = len(small.captured_queries)
        assert baseline >= 2
    for i in range(6):
        h.walk(world, h.applicant(world, name=f"申请人{i}"), 1 + i, dt.date(2026, 1, 5))
    with h.travel(h.NOW):
        reset_queries()
        with django_assert_max_num_queries(baseline):
            r = api.get(user, f"{BASE}/board/", year=2026)
    assert r.status_code == 200
    assert sum(s["count"] for s in r.json()["stages"]) == 7


def test_targets_against_actual(world, api):
    user = world.users["county"]
    h.walk(world, h.applicant(world), 7, dt.date(2025, 1, 6))  # activist 2025, candidate 2026
    r = api.post(
        user,
        f"{BASE}/targets/",
        {
            "year": 2026,
            "org_id": world.orgs["county_committee"].pk,
            "activists": 500,
            "candidates": 300,
            "new_members": 100,
        },
    )
    assert r.status_code == 200, r.json()
    assert r.json()["node_name"] == "中共城厢区委" and r.json()["activists"] == 500
    r = api.post(
        user,
        f"{BASE}/targets/",
        {"year": 2026, "org_id": world.orgs["county_committee"].pk, "activists": 450},
    )
    assert r.status_code == 200 and DevelopmentTarget.objects.count() == 1
    assert r.json()["activists"] == 450 and r.json()["candidates"] == 0
    r = api.post(
        user,
        f"{BASE}/targets/",
        {"year": 2026, "area_id": world.nodes["street"].pk, "activists": 9},
    )
    assert r.status_code == 200 and r.json()["tree"] == "area"
    r = api.get(user, f"{BASE}/targets/", year=2026)
    assert r.json()["count"] == 2
    with h.travel(dt.date(2026, 6, 1)):
        board = api.get(user, f"{BASE}/board/", org=world.orgs["county_committee"].pk).json()
    assert board["targets"]["activists"] == {"target": 450, "actual": 0}
    assert board["targets"]["candidates"] == {"target": 0, "actual": 1}
    child = {c["node_name"]: c for c in board["children"]}["中共龙桥街道工作委员会"]
    assert child["candidates"] == {"target": 0, "actual": 1}
    # bad input and scope
    r = api.post(user, f"{BASE}/targets/", {"year": 2026, "activists": -1})
    assert r.status_code == 422
    r = api.post(
        world.users["street3"],
        f"{BASE}/targets/",
        {"year": 2026, "org_id": world.orgs["county_committee"].pk},
    )
    assert r.status_code == 404
    r = api.post(
        world.users["community"],
        f"{BASE}/targets/",
        {"year": 2026, "area_id": world.nodes["street"].pk},
    )
    assert r.status_code == 404


def test_targets_need_manage_right(world, api):
    r = api.post(
        world.users["grid"],
        f"{BASE}/targets/",
        {"year": 2026, "area_id": world.nodes["grid"].pk, "activists": 1},
    )
    assert r.status_code == 403


def test_unauthenticated_is_401(client):
    assert client.get(f"{BASE}/applicants/").status_code == 401


def test_service_fields_reject_unknown(world):
    a = h.applicant(world)
    with pytest.raises(Exception) as exc:
        services.applicant_transition(
            actor=world.users["community"], applicant=a, action="1", talker="x"
        )
    assert "不需要填写" in str(exc.value)
