"""The dues API: member dues, payments, arrears, hardships, remittances, totals, funds;
scope; query counts pinned on the lists."""

import json
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.models import LedgerAccount
from dangjian.dues import services
from tests.dues.helpers import at, dues_member, pay
from tests.members.helpers import patch

pytestmark = pytest.mark.django_db
NOW = at(2026, 6, 15)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_members_list_scoped_with_dues(world, api, clock):
    m = dues_member(world, base="4000", month="2026-01", name="张党费")
    pay(world, m, ["2026-05"])
    r = api.get(world.users["community"], "/api/v1/dues/members/")
    assert r.status_code == 200
    item = next(i for i in r.json()["items"] if i["id"] == m.pk)
    assert item["category"] == "in_service" and item["category_label"] == "在职党员"
    assert (item["base"], item["rate"], item["monthly_amount"]) == ("4000.00", "0.01", "40.00")
    assert item["arrears_months"] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert item["arrears_level"] == "warning"
    assert api.get(world.users["street3"], "/api/v1/dues/members/").json()["count"] == 0
    r = api.get(world.users["community"], "/api/v1/dues/members/?arrears=3")
    assert [i["id"] for i in r.json()["items"]] == [m.pk]
    assert api.get(world.users["community"], "/api/v1/dues/members/?arrears=6").json()["count"] == 0


def test_members_list_query_count_is_flat(world, api, clock):
    for i in range(3):
        dues_member(world, month="2026-01", name=f"甲{i}")
    user = world.users["community"]
    api.get(user, "/api/v1/dues/members/")  # the token's first use writes; warm up
    with CaptureQueriesContext(connection) as few:
        assert api.get(user, "/api/v1/dues/members/").status_code == 200
    for i in range(12):
        m = dues_member(world, month="2026-01", name=f"乙{i}")
        pay(world, m, ["2026-05"])
    with CaptureQueriesContext(connection) as many:
        r = api.get(user, "/api/v1/dues/members/")
    assert r.json()["count"] == 15
    assert len(many) == len(few) <= 12


def test_payments_list_query_count_is_flat(world, api, clock, django_assert_max_num_queries):
    for i in range(10):
        m = dues_member(world, month="2026-01", name=f"丙{i}")
        pay(world, m, ["2026-05", "2026-06"])
    user = world.users["community"]
    api._headers(user)
    with django_assert_max_num_queries(10):
        r = api.get(user, "/api/v1/dues/payments/?page_size=50")
    assert r.json()["count"] == 10
    assert all(i["months"] == ["2026-05", "2026-06"] for i in r.json()["items"])


def test_arrears_and_hardships_lists_query_counts(world, api, clock, django_assert_max_num_queries):
    admin = world.users["admin"]
    for i in range(8):
        m = dues_member(world, month="2026-01", name=f"丁{i}")
        services.hardship_request(
            actor=admin,
            member=m,
            kind="waive",
            from_month="2026-07",
            to_month="2026-08",
            reason="困难",
        )
    user = world.users["community"]
    api._headers(user)
    with django_assert_max_num_queries(10):
        r = api.get(user, f"/api/v1/dues/arrears/?org={world.orgs['grid_branch'].pk}")
    assert r.json()["count"] == 8
    with django_assert_max_num_queries(10):
        r = api.get(user, "/api/v1/dues/hardships/?page_size=50")
    assert r.json()["count"] == 8


def test_member_sees_own_dues_only(world, api, clock):
    mine = dues_member(world, month="2026-01", name="我自己", user=world.users["member"])
    other = dues_member(world, month="2026-01", name="别人")
    p = pay(world, mine, ["2026-06"])
    pay(world, other, ["2026-06"])
    u = world.users["member"]
    r = api.get(u, "/api/v1/dues/members/")
    assert [i["id"] for i in r.json()["items"]] == [mine.pk]
    assert api.get(u, f"/api/v1/dues/members/{mine.pk}").status_code == 200
    assert api.get(u, f"/api/v1/dues/members/{other.pk}").status_code == 404
    r = api.get(u, "/api/v1/dues/payments/")
    assert [i["id"] for i in r.json()["items"]] == [p.pk]
    # Seeing is not recording.
    r = api.post(u, "/api/v1/dues/payments/", {"member_id": mine.pk, "months": ["2026-05"]})
    assert r.status_code == 403


def test_member_detail_and_profile_update(world, api, clock):
    m = dues_member(world, base="4000", month="2026-01")
    u = world.users["community"]
    r = patch(
        api,
        u,
        f"/api/v1/dues/members/{m.pk}",
        {"base": "6000.00", "effective_month": "2026-07", "quarterly": True},
    )
    assert r.status_code == 200, r.content
    d = r.json()
    assert [(b["effective_month"], b["amount"]) for b in d["bases"]] == [
        ("2026-01", "40.00"),
        ("2026-07", "90.00"),
    ]
    assert d["monthly_amount"] == "40.00" and d["quarterly"] is True
    july = next(x for x in d["months"] if x["month"] == "2026-07")
    assert july == {
        "month": "2026-07",
        "amount": "90.00",
        "paid": False,
        "receipt_no": None,
        "payable": True,
    }
    assert (d["window_from"], d["window_to"]) == ("2025-12", "2026-12")
    r = patch(api, u, f"/api/v1/dues/members/{m.pk}", {"base": "-5"})
    assert r.status_code == 422 and "base" in r.json()["errors"]
    r = patch(api, u, f"/api/v1/dues/members/{m.pk}", {"category": "x", "base": "1"})
    assert r.status_code == 422 and "category" in r.json()["errors"]
    r = patch(api, world.users["street3"], f"/api/v1/dues/members/{m.pk}", {"base": "1"})
    assert r.status_code == 404


def test_new_profile_through_the_api(world, api, clock):
    from tests.members.helpers import member

    m = member(world.users["admin"], world.orgs["grid_branch"], name="新设")
    u = world.users["community"]
    r = api.get(u, f"/api/v1/dues/members/{m.pk}")
    assert r.json()["has_profile"] is False and r.json()["months"] == []
    r = patch(api, u, f"/api/v1/dues/members/{m.pk}", {"category": "farmer"})
    assert r.status_code == 200, r.content
    assert (r.json()["rate"], r.json()["monthly_amount"]) == (None, "0.50")
    assert r.json()["dues_from"] == "2026-06"


def test_payment_create_replay_conflict_window_reverse(world, api, clock):
    m = dues_member(world, base="4000", month="2026-01")
    u = world.users["community"]
    body = {"member_id": m.pk, "months": ["2026-05", "2026-06"], "client_key": "req-1"}
    r = api.post(u, "/api/v1/dues/payments/", body)
    assert r.status_code == 201, r.content
    p = r.json()
    assert (p["total"], p["months"], p["kind"], p["kind_label"]) == (
        "80.00",
        ["2026-05", "2026-06"],
        "combined",
        "合并缴纳",
    )
    assert p["receipt_no"].startswith("DF2026")
    r = api.post(u, "/api/v1/dues/payments/", body)
    assert r.status_code == 200 and r.json()["id"] == p["id"]
    r = api.post(u, "/api/v1/dues/payments/", {"member_id": m.pk, "months": ["2026-06"]})
    assert r.status_code == 409 and "已缴纳" in r.json()["detail"]
    r = api.post(u, "/api/v1/dues/payments/", {"member_id": m.pk, "months": ["2025-11"]})
    assert r.status_code == 422 and "补缴期限" in r.json()["detail"]
    r = api.post(u, "/api/v1/dues/payments/", {"member_id": m.pk, "months": "oops"})
    assert r.status_code == 422 and "months" in r.json()["errors"]
    r = api.post(u, "/api/v1/dues/payments/", {"months": ["2026-04"]})
    assert r.status_code == 422 and "member_id" in r.json()["errors"]
    r = api.post(u, f"/api/v1/dues/payments/{p['id']}/reverse", {"note": ""})
    assert r.status_code == 422 and "note" in r.json()["errors"]
    r = api.post(u, f"/api/v1/dues/payments/{p['id']}/reverse", {"note": "重复录入"})
    assert r.status_code == 200 and r.json()["reversed"] is True
    r = api.post(u, f"/api/v1/dues/payments/{p['id']}/reverse", {"note": "再来"})
    assert r.status_code == 409
    assert api.get(u, f"/api/v1/dues/payments/{p['id']}").json()["reverse_note"] == "重复录入"


def test_hardship_api_flow(world, api, clock):
    m = dues_member(world, month="2026-01")
    r = api.post(
        world.users["community"],
        "/api/v1/dues/hardships/",
        {
            "member_id": m.pk,
            "kind": "waive",
            "from_month": "2026-07",
            "to_month": "2026-09",
            "reason": "大病",
        },
    )
    assert r.status_code == 200, r.content
    h = r.json()
    assert h["state"] == "requested" and h["actions"] == ["agree", "reject", "withdraw"]
    url = f"/api/v1/dues/hardships/{h['id']}/transitions"
    r = api.post(world.users["community"], url, {"action": "agree", "note": ""})
    assert r.status_code == 200 and r.json()["state"] == "branch_agreed"
    r = api.post(world.users["community"], url, {"action": "approve"})
    assert r.status_code == 403
    r = api.post(world.users["street"], url, {"action": "approve", "note": "同意"})
    assert r.status_code == 200
    d = r.json()
    assert d["state"] == "approved" and d["state_label"] == "已批准"
    assert [s["action"] for s in d["history"]] == ["request", "agree", "approve"]
    r = api.post(world.users["street"], url, {"action": "approve"})
    assert r.status_code == 409


def test_remittance_totals_and_balance(world, api, clock):
    m = dues_member(world, base="4000", month="2026-01")
    pay(world, m, ["2026-04", "2026-05", "2026-06"], extra="1000")
    branch = world.orgs["grid_branch"]
    u = world.users["community"]
    r = api.get(u, f"/api/v1/dues/totals?org={branch.pk}")
    assert r.status_code == 200, r.content
    t = r.json()
    assert (t["collected_dues"], t["collected_extra"], t["remit_whole"], t["balance"]) == (
        "120.00",
        "1000.00",
        "1000.00",
        "1120.00",
    )
    assert t["warning"] == 1 and t["paid_this_month"] == 1
    body = {"org_id": branch.pk, "amount": "1100.00", "period": "2026年二季度", "client_key": "q2"}
    r = api.post(u, "/api/v1/dues/remittances/", body)
    assert r.status_code == 201, r.content
    assert r.json()["to_org_id"] == world.orgs["community_committee"].pk
    assert api.post(u, "/api/v1/dues/remittances/", body).status_code == 200  # replay
    r = api.post(u, "/api/v1/dues/remittances/", {"org_id": branch.pk, "amount": "100"})
    assert r.status_code == 422 and "20.00" in r.json()["detail"]
    parent = LedgerAccount.objects.get(
        ledger="dues", code=f"org:{world.orgs['community_committee'].pk}"
    )
    assert parent.balance == Decimal("1100.00")
    t = api.get(u, f"/api/v1/dues/totals?org={branch.pk}").json()
    assert (t["remitted_up"], t["balance"]) == ("1100.00", "20.00")
    r = api.get(u, "/api/v1/dues/remittances/")
    assert r.json()["count"] == 1
    assert api.get(world.users["street3"], "/api/v1/dues/remittances/").json()["count"] == 0
    # The remitted money cannot be reversed away from the branch.
    p = pay(world, m, ["2026-03"])
    api.post(u, "/api/v1/dues/remittances/", {"org_id": branch.pk, "amount": "60.00"})
    r = api.post(u, f"/api/v1/dues/payments/{p.pk}/reverse", {"note": "错"})
    assert r.status_code == 409 and "余额不足" in r.json()["detail"]


def test_funds_entitlement(world, api, clock, settings):
    for i in range(4):
        dues_member(world, month="2026-01", name=f"戊{i}")
    from dangjian.organizations.models import PartyOrg

    # The funds standards apply to 两新 organizations only: the branch is one, founded this year.
    branch = world.orgs["grid_branch"]
    PartyOrg.objects.exclude(pk=branch.pk).update(established_on="2010-01-01")
    PartyOrg.objects.filter(pk=branch.pk).update(established_on="2026-03-01", domain="non_public")
    u = world.users["county"]
    r = api.get(u, f"/api/v1/dues/funds/?org={world.orgs['community_committee'].pk}&year=2026")
    assert r.status_code == 200, r.content
    f = r.json()
    assert (f["new_orgs"], f["members"]) == (1, 4)
    assert (f["new_org_amount"], f["member_amount"]) == ("3000.00", "1200.00")
    assert f["standards"]["per_secretary_month"] == "300.00"
    settings.DANGJIAN = {**settings.DANGJIAN, "DUES": {"FUND_PER_MEMBER_YEAR": "250"}}
    r = api.get(u, f"/api/v1/dues/funds/?area={world.nodes['street'].pk}&year=2026")
    assert r.json()["member_amount"] == "1000.00"
    assert api.get(u, "/api/v1/dues/funds/").status_code == 422
    r = api.get(world.users["street3"], f"/api/v1/dues/funds/?org={world.orgs['grid_branch'].pk}")
    assert r.status_code == 404


def test_errors_never_500(world, api, clock):
    u = world.users["community"]
    for path in (
        "/api/v1/dues/members/?org=0",
        "/api/v1/dues/payments/99999999999999999999",
        "/api/v1/dues/arrears/?level=x",
        "/api/v1/dues/totals",
        "/api/v1/dues/funds/?year=1",
    ):
        r = api.get(u, path)
        assert r.status_code in (404, 422), (path, r.status_code)
    r = api.client.post(
        "/api/v1/dues/payments/",
        json.dumps({"member_id": 2**63}),
        content_type="application/json",
        headers=api._headers(u),
    )
    assert r.status_code in (404, 422)
