"""The workflow engine (``core.workflow``) on a real ported flow, dues hardship: the runner's
answers (404/422/409/403), the history and audit rows it writes, nothing written on a
refusal, guards naming their rule, and ``allowed_actions``."""

import dataclasses

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dangjian.core import workflow
from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.dues import services
from dangjian.dues.models import HARDSHIP_FLOW, Hardship, HardshipState, HardshipStep
from tests.dues.helpers import at, dues_member

pytestmark = pytest.mark.django_db
NOW = at(2026, 6, 15)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hardship(world, clock):
    m = dues_member(world, month="2026-01")
    return services.hardship_request(
        actor=world.users["community"],
        member=m,
        kind="waive",
        from_month="2026-07",
        to_month="2026-08",
        reason="大病",
    )


def _written(h) -> tuple:
    """What a run writes: the state, the history rows, the audit rows about the hardship."""
    return (
        Hardship.objects.get(pk=h.pk).state,
        HardshipStep.objects.filter(hardship=h).count(),
        AuditEntry.objects.filter(object_type="dues.hardship", object_id=str(h.pk)).count(),
    )


def _url(h) -> str:
    return f"/api/v1/dues/hardships/{h.pk}/transitions"


def test_a_move_writes_state_history_and_audit(world, api, hardship):
    before = _written(hardship)
    r = api.post(world.users["community"], _url(hardship), {"action": "agree", "note": "同意"})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "branch_agreed"
    assert _written(hardship) == ("branch_agreed", before[1] + 1, before[2] + 1)
    step = HardshipStep.objects.filter(hardship=hardship).last()
    assert (step.action, step.from_state, step.to_state, step.note, step.actor_id) == (
        "agree",
        "requested",
        "branch_agreed",
        "同意",
        world.users["community"].pk,
    )
    row = AuditEntry.objects.filter(object_id=str(hardship.pk)).order_by("id").last()
    assert (row.action, row.before, row.after, row.note) == (
        "dues.hardship_agree",
        {"state": "requested"},
        {"state": "branch_agreed"},
        "同意",
    )
    assert row.org_path == hardship.member.org_path


def test_unknown_action_is_422_listing_the_actions(world, api, hardship):
    before = _written(hardship)
    r = api.post(world.users["community"], _url(hardship), {"action": "fly"})
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "action": [
            "不支持的操作，可用操作：agree（支部同意）、approve（上级批准）、reject（不同意）、withdraw（撤回）"
        ]
    }
    assert _written(hardship) == before


def test_wrong_state_is_409_with_the_state_and_the_action(world, api, hardship):
    before = _written(hardship)
    r = api.post(world.users["street"], _url(hardship), {"action": "approve"})
    assert r.status_code == 409
    assert r.json()["detail"] == "当前状态为“待支部决定”，不能执行“上级批准”"
    assert _written(hardship) == before


def test_a_side_that_may_not_act_is_403(world, api, hardship):
    services.hardship_transition(actor=world.users["community"], hardship=hardship, action="agree")
    before = _written(hardship)
    r = api.post(world.users["community"], _url(hardship), {"action": "approve"})
    assert r.status_code == 403
    assert r.json()["detail"] == "支部决定人不能再作为上级审批人"
    assert _written(hardship) == before


def test_bad_fields_are_422_naming_the_field(world, api, hardship):
    before = _written(hardship)
    r = api.post(world.users["community"], _url(hardship), {"action": "reject", "note": " "})
    assert r.status_code == 422
    assert r.json()["errors"] == {"note": ["请填写不同意的理由（note）"]}
    r = api.post(world.users["community"], _url(hardship), {"action": "reject", "note": "长" * 501})
    assert r.json()["errors"] == {"note": ["说明不能超过500个字"]}
    r = api.post(world.users["community"], _url(hardship), {"action": "reject", "note": "长" * 500})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert _written(hardship) == ("rejected", before[1] + 1, before[2] + 1)


def test_out_of_scope_reads_as_absent(world, api, hardship):
    before = _written(hardship)
    r = api.post(world.users["street3"], _url(hardship), {"action": "agree"})
    assert r.status_code == 404
    assert _written(hardship) == before


def _flow_with(**changes) -> workflow.Flow:
    return dataclasses.replace(services.HARDSHIP, **changes)


def test_a_guard_refuses_with_409_naming_its_rule(world, hardship):
    def not_before_july(ctx):
        if ctx.now.date().month < 7:
            return workflow.Refusal("dues.july", "七月起才能同意", satisfy="2026-07-01")
        return None

    agree = dataclasses.replace(HARDSHIP_FLOW["agree"], guards=(not_before_july,))
    flow = _flow_with(actions=HARDSHIP_FLOW | {"agree": agree})
    before = _written(hardship)
    with pytest.raises(workflow.GuardRefused) as exc:
        workflow.run(flow, actor=world.users["community"], pk=hardship.pk, action="agree")
    assert isinstance(exc.value, Conflict)
    assert exc.value.message == "七月起才能同意"
    assert (exc.value.refusal.rule, exc.value.refusal.satisfy) == ("dues.july", "2026-07-01")
    assert _written(hardship) == before
    with time_machine.travel(at(2026, 7, 1), tick=False):
        ctx = workflow.run(flow, actor=world.users["community"], pk=hardship.pk, action="agree")
    assert ctx.obj.state == HardshipState.BRANCH_AGREED
    assert _written(hardship) == ("branch_agreed", before[1] + 1, before[2] + 1)


def test_an_effect_refusing_late_writes_nothing(world, hardship):
    def late(ctx):
        ctx.obj.reason = "改过"
        ctx.errors.add("amount", "金额不对")

    flow = _flow_with(effects={"agree": late})
    before = _written(hardship)
    with pytest.raises(ValidationError) as exc:
        workflow.run(flow, actor=world.users["community"], pk=hardship.pk, action="agree")
    assert exc.value.message_dict == {"amount": ["金额不对"]}
    assert _written(hardship) == before
    assert Hardship.objects.get(pk=hardship.pk).reason == "大病"


def test_effects_and_warnings_reach_the_caller(world, hardship):
    def warn(ctx):
        ctx.warnings.append("请通知党员")

    ctx = workflow.run(
        _flow_with(effects={"agree": warn}),
        actor=world.users["community"],
        pk=hardship.pk,
        action="agree",
    )
    assert ctx.warnings == ["请通知党员"]
    assert ctx.from_state == "requested" and ctx.obj.state == "branch_agreed"


def test_allowed_actions_by_state_and_side(world, api, hardship):
    flow = services.HARDSHIP
    community, street = world.users["community"], world.users["street"]
    h = Hardship.objects.select_related("member__org").get(pk=hardship.pk)
    assert workflow.allowed_actions(flow, community, h) == [
        {"action": "agree", "label": "支部同意"},
        {"action": "reject", "label": "不同意"},
        {"action": "withdraw", "label": "撤回"},
    ]
    assert workflow.allowed_actions(flow, world.users["member"], h) == []
    services.hardship_transition(actor=community, hardship=h, action="agree")
    h = Hardship.objects.select_related("member__org").get(pk=hardship.pk)
    # the decider may not approve too; the next level may
    assert workflow.allowed_actions(flow, community, h) == [{"action": "reject", "label": "不同意"}]
    assert workflow.allowed_actions(flow, street, h) == [
        {"action": "approve", "label": "上级批准"},
        {"action": "reject", "label": "不同意"},
    ]
    r = api.get(street, f"/api/v1/dues/hardships/{h.pk}")
    assert r.json()["allowed_actions"] == [
        {"action": "approve", "label": "上级批准"},
        {"action": "reject", "label": "不同意"},
    ]
    services.hardship_transition(actor=street, hardship=h, action="approve")
    r = api.get(street, f"/api/v1/dues/hardships/{h.pk}")
    assert r.json()["state"] == "approved" and r.json()["allowed_actions"] == []


def test_a_flow_is_checked_when_declared():
    bad = dataclasses.replace(HARDSHIP_FLOW["agree"], side="nobody")
    with pytest.raises(ValueError, match="unknown side"):
        _flow_with(actions={"agree": bad})
    with pytest.raises(ValueError, match="undeclared"):
        _flow_with(effects={"fly": lambda ctx: None})
