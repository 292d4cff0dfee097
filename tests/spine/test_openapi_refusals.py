"""Each write route's business refusals in the OpenAPI document (issue 19, ``core.refusals``):
the 409s and 422s its services can answer on valid input (a full order, a move its state does
not allow, more points than the balance), read from the services' own ``raise`` statements and
listed under the route's 409 and 422 (in the description, and as ``x-refusals``). A real
refusal of a sample of routes is one the document lists for that route, field and status.
"""

from __future__ import annotations

import pytest

from dangjian.core import refusals
from dangjian.core.api import ERROR_DESCRIPTIONS
from tests.cases.helpers import report
from tests.points.helpers import credit, item, resident, resident_scheme
from tests.spine.apifuzz import document
from tests.timebank.helpers import dispatched, helper, move

ORDER_MOVE = "/api/v1/timebank/orders/{order_id}/transitions"
EVENT_MOVE = "/api/v1/cases/{event_id}/transitions"
REDEEM = "/api/v1/points/redemptions/"
RULES = "/api/v1/points/rules/"
TALENTS = "/api/v1/timebank/talents/"
CORRECT = "/api/v1/timebank/participations/{participation_id}/corrections"


def _listed(path: str, method: str, status: int) -> list[refusals.Documented]:
    answer = document()["paths"][path][method]["responses"].get(str(status), {})
    return [
        refusals.Documented(status, r["field"], r["message"]) for r in answer.get("x-refusals", [])
    ]


def _documented(path: str, method: str, response) -> list[refusals.Documented]:
    """The documented refusals a real 409 or 422 answer is: each of its messages matches one
    the route lists for its status and field (a 422's field, or one the code computes)."""
    body = response.json()
    status = response.status_code
    listed = _listed(path, method, status)
    assert listed, (path, method, status)
    if status == 409:
        pairs = [(refusals.ALL, body["detail"])]
    else:
        pairs = [(f, m) for f, messages in body["errors"].items() for m in messages]
    found = []
    for field, message in pairs:
        fits = [
            r
            for r in listed
            if r.matches(message) and (r.field in (field, refusals.HOLE) or status == 409)
        ]
        assert fits, f"{path} {method} {status}: {field}: {message} is not documented"
        found += fits
    return found


def _messages(found) -> set[str]:
    return {r.message for r in found}


def test_the_document_lists_each_route_s_refusals_in_chinese():
    answer = document()["paths"][ORDER_MOVE]["post"]["responses"]["409"]
    assert answer["description"].startswith(ERROR_DESCRIPTIONS["409"])
    assert "- 订单已满员（需要…人）" in answer["description"]
    listed = _messages(_listed(ORDER_MOVE, "post", 409))
    # The guards of the flow the service runs, and the flow's state message.
    assert {"订单已满员（需要…人）", "尚未签到，不能签退", "当前状态为“…”，不能执行“…”"} <= listed
    fields = {(r.field, r.message) for r in _listed(ORDER_MOVE, "post", 422)}
    assert ("action", "不支持的操作，可用操作：…") in fields


def test_most_write_routes_list_refusals():
    paths = document()["paths"]
    writes = [
        op
        for item in paths.values()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    ]
    listing = [op for op in writes if any("x-refusals" in a for a in op["responses"].values())]
    assert len(listing) >= 0.9 * len(writes), len(writes) - len(listing)


def test_the_ledger_s_own_invariants_are_not_listed_as_refusals():
    """A ledger entry that does not balance is the program's error, never a user's: marked
    ``# invariant`` where it is raised, it is left out; the balance refusal stays."""
    listed = _messages(_listed(CORRECT, "post", 422))
    assert "借贷不平：分录合计必须为零" not in listed
    assert "账户“…”余额不足" in listed and "更正后的时长与原时长相同" in listed
    assert "只有已确认的服务可以更正时长" in _messages(_listed(CORRECT, "post", 409))


def test_a_documented_message_matches_its_filled_in_answers_only():
    full = refusals.Documented(409, refusals.ALL, "订单已满员（需要…人）")
    assert full.matches("订单已满员（需要3人）")
    assert not full.matches("订单已满员")
    assert not full.matches("订单已取消（需要3人）")


@pytest.mark.django_db
def test_accepting_a_full_order_is_refused_as_documented(world, api):
    a, b = helper(world, "李红"), helper(world, "王强")
    o = dispatched(world)
    move(a, o, "accept")
    url = f"/api/v1/timebank/orders/{o.pk}/transitions"
    full = api.post(b, url, {"action": "accept"})
    assert full.status_code == 409
    assert _messages(_documented(ORDER_MOVE, "post", full)) == {"订单已满员（需要…人）"}
    early = api.post(a, url, {"action": "check_out"})
    assert early.status_code == 409
    assert _messages(_documented(ORDER_MOVE, "post", early)) == {"尚未签到，不能签退"}


@pytest.mark.django_db
def test_a_transition_the_state_does_not_allow_is_refused_as_documented(world, api):
    event = report(world.resident)
    r = api.post(
        world.users["street"], f"/api/v1/cases/{event.pk}/transitions", {"action": "accept"}
    )
    assert r.status_code == 409
    assert "当前状态为“…”，不能执行“…”" in _messages(_documented(EVENT_MOVE, "post", r))
    unknown = api.post(
        world.users["street"], f"/api/v1/cases/{event.pk}/transitions", {"action": "fly"}
    )
    assert unknown.status_code == 422
    assert _documented(EVENT_MOVE, "post", unknown)


@pytest.mark.django_db
def test_redeeming_more_than_the_balance_is_refused_as_documented(world, api):
    s = resident_scheme(world)
    u = resident(world)
    credit(world, s, u, points="30")
    it = item(world, s, price="20", stock=5)
    over = api.post(u, REDEEM, {"item_id": it.pk, "quantity": 2})
    assert over.status_code == 422
    assert _messages(_documented(REDEEM, "post", over)) == {"积分余额不足：需要…分，现有…分"}


@pytest.mark.django_db
def test_a_rule_refused_by_a_settings_checker_is_documented(world, api):
    """The rule's fields are checked by a function the service takes from a table
    (``points.services.settings._SETTINGS``): its refusals are listed all the same."""
    s = resident_scheme(world)
    bad = api.post(
        world.users["community"],
        RULES,
        {
            "scheme_id": s.pk,
            "name": "按时交纳党费",
            "category": "党费",
            "points": "2",
            "source": "dues.on_time",
            "list_kind": "black",
        },
    )
    assert bad.status_code == 422
    assert _messages(_documented(RULES, "post", bad)) == {
        "自动采集的规则只能加分；扣分须人工申报并经评议"
    }


@pytest.mark.django_db
def test_a_talent_offered_twice_is_refused_as_documented(world, api):
    a = helper(world, "李红")
    data = {"service_class": "repair", "skill": "修自行车"}
    assert api.post(a, TALENTS, data).status_code == 200
    again = api.post(a, TALENTS, data)
    assert again.status_code == 422
    assert _messages(_documented(TALENTS, "post", again)) == {"已登记过该特长"}


@pytest.mark.django_db
def test_a_transfer_moved_by_its_kind_s_flow_is_refused_as_documented(world, api):
    """The transfer service picks its flow from a table by the transfer's kind
    (``TRANSFER_FLOWS[kind]``): each flow's refusals are listed."""
    from dangjian.members import services
    from tests.members.helpers import member

    street = world.users["street"]
    m = member(street, world.orgs["grid_branch"], name="周八")
    t = services.transfer_request(
        actor=street, member=m, kind="out_of_system", to_org_name="中共某省某县委组织部"
    )
    url = f"/api/v1/members/transfers/{t.pk}/transitions"
    assert api.post(street, url, {"action": "reject_out"}).status_code == 200
    again = api.post(street, url, {"action": "approve_out"})
    assert again.status_code == 409
    assert _documented("/api/v1/members/transfers/{transfer_id}/transitions", "post", again)
