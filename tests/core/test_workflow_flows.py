"""Every ported workflow's detail lists the caller's ``allowed_actions`` from the engine, and
the engine's answers keep each workflow's own wording: organizational-life sessions and
member development (the cases event loop: tests/cases; dues hardship: test_workflow.py)."""

import datetime as dt

import pytest
import time_machine

from dangjian.core import workflow
from dangjian.core.models import AuditEntry
from dangjian.development import services as dev
from dangjian.development.models import Applicant, ApplicantStep
from dangjian.orglife import services as orglife
from dangjian.orglife.models import Session
from tests.development import helpers as dh
from tests.orglife.helpers import at, schedule

pytestmark = pytest.mark.django_db


def test_session_actions_follow_state_and_side(world, api):
    branch, secretary = world.orgs["grid_branch"], world.users["community"]
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    url = f"/api/v1/orglife/sessions/{s.pk}"
    r = api.get(secretary, url)
    assert r.json()["allowed_actions"] == [
        {"action": "close", "label": "归档"},
        {"action": "cancel", "label": "取消"},
    ]
    orglife.session_update(actor=secretary, session=s, minutes="记录")
    with time_machine.travel(at(2026, 11, 20, 8, 59), tick=False):
        r = api.post(secretary, f"{url}/transitions", {"action": "close"})
    assert r.status_code == 409 and r.json()["detail"] == "组织生活尚未开始，不能归档"
    assert Session.objects.get(pk=s.pk).state == "scheduled"
    with time_machine.travel(at(2026, 11, 20, 11), tick=False):
        r = api.post(secretary, f"{url}/transitions", {"action": "close"})
    assert r.status_code == 200 and r.json()["state"] == "held"
    # the host's own manager may not review; the level above may
    assert r.json()["allowed_actions"] == [{"action": "review", "label": "督查"}]  # community
    assert api.get(world.users["grid"], url).json().get("allowed_actions", []) == []
    r = api.post(secretary, f"{url}/transitions", {"action": "cancel", "note": "x"})
    assert r.status_code == 409
    assert r.json()["detail"] == "该组织生活已召开，不能再登记出席情况"
    r = api.post(secretary, f"{url}/transitions", {"action": "fly"})
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "action": ["操作只能是 close（归档）、cancel（取消）或 review（督查）"]
    }


def test_session_refusals_write_no_audit(world, api):
    branch, secretary = world.orgs["grid_branch"], world.users["community"]
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    url = f"/api/v1/orglife/sessions/{s.pk}/transitions"
    about = AuditEntry.objects.filter(object_type="orglife.session", object_id=str(s.pk))
    count = about.count()
    r = api.post(secretary, url, {"action": "cancel", "note": " "})
    assert r.status_code == 422 and r.json()["errors"] == {"reason": ["请填写取消原因"]}
    r = api.post(secretary, url, {"action": "review", "note": "好"})
    assert r.status_code == 409 and r.json()["detail"] == "只有已召开并归档的组织生活可以督查"
    assert about.count() == count
    assert Session.objects.get(pk=s.pk).state == "scheduled"
    r = api.post(secretary, url, {"action": "cancel", "note": "改期"})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert about.count() == count + 1
    row = about.order_by("id").last()
    assert (row.action, row.before, row.after, row.note) == (
        "orglife.session.cancel",
        {"state": "scheduled"},
        {"state": "cancelled"},
        "改期",
    )


def test_applicant_actions_and_the_rule_guard(world, api):
    day = dt.date(2026, 3, 2)
    with dh.travel(day):
        a = dh.applicant(world, id_number=dh.id_no("20100101", 7))
        url = f"/api/v1/development/applicants/{a.pk}"
        r = api.get(world.users["community"], url)
        assert r.json()["allowed_actions"] == [
            {"action": "1", "label": "递交入党申请书"},
            {"action": "cancel", "label": "终止"},
        ]
        assert api.get(world.users["street3"], url).status_code == 404
        # under 18: the rule's guard refuses, naming the rule and the date that satisfies it
        with pytest.raises(workflow.GuardRefused) as exc:
            dev.applicant_transition(
                actor=world.users["community"], applicant=a, action="1", when="2026-03-02"
            )
        assert exc.value.refusal.rule == "min_age"
        assert exc.value.refusal.satisfy == dt.date(2028, 1, 1)
        assert "申请入党须年满18周岁" in exc.value.message
        assert ApplicantStep.objects.filter(applicant=a).count() == 0
        assert Applicant.objects.get(pk=a.pk).step == 0
