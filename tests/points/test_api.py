"""/api/v1/points/: schemes, rules, awards through the committee, catalogue, redemption,
receipts, rankings, my balance; bad input refused in Chinese; lists pinned in queries."""

import pytest

from dangjian.points.models import Award, Item, Redemption
from tests.points.helpers import credit, item, resident, resident_scheme, rule

pytestmark = pytest.mark.django_db
BASE = "/api/v1/points"


def test_scheme_rule_and_item_through_the_api(world, api):
    staff = world.users["community"]
    r = api.post(
        staff,
        f"{BASE}/schemes/",
        {"name": "居民积分", "audience": "residents", "area_id": world.nodes["community"].pk},
    )
    assert r.status_code == 201, r.json()
    sid = r.json()["id"]
    bad = api.post(
        staff,
        f"{BASE}/schemes/",
        {"name": "网格积分", "audience": "residents", "area_id": world.nodes["grid"].pk},
    )
    assert bad.status_code == 422 and "area_id" in bad.json()["errors"]
    r = api.post(
        staff,
        f"{BASE}/rules/",
        {
            "scheme_id": sid,
            "name": "美丽庭院",
            "category": "美丽庭院",
            "points": "20",
            "evidence_required": True,
        },
    )
    assert r.status_code == 201 and r.json()["points"] == "20.00"
    bad = api.post(
        staff, f"{BASE}/rules/", {"scheme_id": sid, "name": "x", "category": "y", "points": "-3"}
    )
    assert bad.status_code == 422 and "points" in bad.json()["errors"]
    r = api.post(
        staff, f"{BASE}/catalogue/", {"scheme_id": sid, "name": "毛巾", "price": "5", "stock": 10}
    )
    assert r.status_code == 201
    assert api.get(staff, f"{BASE}/schemes/").json()["count"] == 1
    assert api.get(world.users["street3"], f"{BASE}/schemes/").json()["count"] == 0
    assert api.get(world.users["street3"], f"{BASE}/schemes/{sid}").status_code == 404


def test_manual_award_review_and_my_points(world, api):
    s = resident_scheme(world)
    r = rule(world, s, name="志愿服务", points="8", evidence_required=True)
    u = resident(world)
    staff = world.users["community"]
    bad = api.post(u, f"{BASE}/awards/", {"rule_id": r.pk})
    assert bad.status_code == 422 and "evidence" in bad.json()["errors"]
    assert not Award.objects.exists()
    res = api.post(u, f"{BASE}/awards/", {"rule_id": r.pk, "evidence": "帮扶独居老人"})
    assert res.status_code == 201, res.json()
    aid = res.json()["id"]
    queue = api.get(staff, f"{BASE}/reviews/").json()
    assert queue["count"] == 1
    assert [a["action"] for a in queue["items"][0]["allowed_actions"]] == ["approve", "reject"]
    assert api.post(u, f"{BASE}/awards/{aid}/transitions", {"action": "approve"}).status_code == 403
    assert (
        api.post(staff, f"{BASE}/awards/{aid}/transitions", {"action": "score"}).status_code == 409
    )
    for action in ("approve", "score"):
        res = api.post(staff, f"{BASE}/awards/{aid}/transitions", {"action": action})
        assert res.status_code == 200, res.json()
    assert res.json()["state"] == "posted"
    me = api.get(u, f"{BASE}/me").json()
    assert me["items"][0]["balance"] == "8.00"
    mine = api.get(u, f"{BASE}/awards/").json()
    assert mine["count"] == 1
    assert api.get(world.users["street3"], f"{BASE}/awards/{aid}").status_code == 404


def test_redeem_and_receipt_through_the_api(world, api):
    s = resident_scheme(world)
    u = resident(world)
    credit(world, s, u, points="30")
    it = item(world, s, price="20", stock=1)
    over = api.post(u, f"{BASE}/redemptions/", {"item_id": it.pk, "quantity": 2})
    assert over.status_code == 422 and "quantity" in over.json()["errors"]
    res = api.post(u, f"{BASE}/redemptions/", {"item_id": it.pk})
    assert res.status_code == 201, res.json()
    code = res.json()["code"]
    assert Item.objects.get(pk=it.pk).stock == 0
    again = api.post(u, f"{BASE}/redemptions/", {"item_id": it.pk})
    assert again.status_code == 422
    staff = world.users["community"]
    listed = api.get(staff, f"{BASE}/redemptions/").json()["items"][0]
    assert listed["code"] is None  # staff scan the code; they never list it
    assert api.get(world.users["street3"], f"{BASE}/receipts/{code}").status_code == 404
    assert api.get(staff, f"{BASE}/receipts/{code}").json()["state"] == "ready"
    assert api.post(staff, f"{BASE}/receipts/{code}/use").status_code == 200
    assert api.post(staff, f"{BASE}/receipts/{code}/use").status_code == 409
    assert Redemption.objects.get().state == "used"


def test_rankings_and_bad_periods(world, api):
    s = resident_scheme(world)
    u = resident(world)
    credit(world, s, u, points="12")
    staff = world.users["community"]
    r = api.get(staff, f"{BASE}/rankings/", area=world.nodes["community"].pk)
    assert r.status_code == 200 and r.json()["items"][0]["points"] == "12.00"
    assert api.get(staff, f"{BASE}/rankings/", month=13).status_code == 422
    assert api.get(staff, f"{BASE}/rankings/", year=99999).status_code == 422
    assert api.get(world.users["street3"], f"{BASE}/rankings/").json()["items"] == []
    stars = api.post(staff, f"{BASE}/schemes/{s.pk}/stars", {"year": 2026})
    assert stars.status_code in (200, 422)


def test_lists_do_not_grow_queries_with_rows(world, api, django_assert_max_num_queries):
    s = resident_scheme(world)
    rule(world, s, source="cases.visit", points="1")
    from dangjian.points import services
    from tests.points.helpers import event

    users = [resident(world, f"人{i}") for i in range(6)]
    services.award_events([event(u, f"{u.pk}-{i}") for u in users for i in range(4)])
    for i in range(5):
        item(world, s, name=f"物品{i}")
    staff = world.users["community"]
    api.get(staff, f"{BASE}/awards/")  # warm the token
    for path in (
        "/awards/",
        "/schemes/",
        "/rules/",
        "/catalogue/",
        "/redemptions/",
        "/reviews/",
        "/rankings/",
    ):
        with django_assert_max_num_queries(12):
            assert api.get(staff, BASE + path).status_code == 200


def test_an_award_filter_id_out_of_range_is_404_not_a_server_error(world, api):
    """Found by the fuzz bench as a resident on SQLite (issue 19): ``?user=`` past SQLite's
    integer reached the query (OverflowError, 500); it reads as absent, as ``?scheme=`` does."""
    u = resident(world)
    for name in ("user", "scheme", "area"):
        r = api.get(u, f"{BASE}/awards/?{name}={2**63}")
        assert r.status_code == 404, (name, r.content)
    assert api.get(u, f"{BASE}/awards/?user={u.pk}").status_code == 200
