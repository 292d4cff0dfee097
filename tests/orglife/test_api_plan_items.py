"""Plan items through /api/v1/orglife/plans/: add, change and delete (the console's services),
refused once a session uses the item (409), bad input named by field (422), out of scope 404."""

import json

import pytest
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.orglife import plans
from dangjian.orglife.models import PlanItem
from tests.orglife.helpers import at, schedule

pytestmark = pytest.mark.django_db
URL = "/api/v1/orglife/plans"
YEAR = timezone.localdate().year


def send(api, method, user, path, data=None):
    return api.client.generic(
        method,
        path,
        json.dumps(data or {}),
        content_type="application/json",
        headers=api._headers(user),
    )


def make_plan(actor, branch, quarter=None):
    return plans.plan_create(
        actor=actor,
        org=branch,
        year=YEAR,
        quarter=quarter,
        items=[{"session_type": "party_lesson", "month": 11, "topic": "学习新党章"}],
    )


def items_of(plan):
    return list(plan.items.order_by("pk").values_list("session_type", "month", "topic"))


def test_add_change_delete(api, secretary, branch):
    plan = make_plan(secretary, branch)
    r = api.post(
        secretary,
        f"{URL}/{plan.pk}/items",
        {"session_type": "theme_day", "month": 5, "topic": "重温入党誓词"},
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["plan_id"] == plan.pk and body["session_type_label"] == "主题党日"
    assert (body["month"], body["topic"], body["base_id"]) == (5, "重温入党誓词", None)
    item_id = body["id"]
    # a partial change keeps the fields left out
    r = send(api, "PATCH", secretary, f"{URL}/items/{item_id}", {"month": 7})
    assert r.status_code == 200, r.json()
    assert (r.json()["month"], r.json()["topic"]) == (7, "重温入党誓词")
    assert items_of(plan) == [
        ("party_lesson", 11, "学习新党章"),
        ("theme_day", 7, "重温入党誓词"),
    ]
    # the answer to a delete is the plan with the items left
    r = send(api, "DELETE", secretary, f"{URL}/items/{item_id}")
    assert r.status_code == 200, r.json()
    assert [i["topic"] for i in r.json()["items"]] == ["学习新党章"]
    assert not PlanItem.objects.filter(pk=item_id).exists()
    actions = set(
        AuditEntry.objects.filter(action__startswith="orglife.plan_item.").values_list(
            "action", flat=True
        )
    )
    assert actions == {
        "orglife.plan_item.add",
        "orglife.plan_item.update",
        "orglife.plan_item.delete",
    }


def test_item_used_by_a_session_is_409(api, secretary, branch):
    plan = make_plan(secretary, branch)
    item = plan.items.get()
    schedule(secretary, branch, "party_lesson", start=at(YEAR, 11, 10), plan_item=item)
    r = send(api, "PATCH", secretary, f"{URL}/items/{item.pk}", {"topic": "改"})
    assert r.status_code == 409
    assert r.json()["detail"] == "该计划事项已安排组织生活，不能再修改或删除"
    r = send(api, "DELETE", secretary, f"{URL}/items/{item.pk}")
    assert r.status_code == 409
    assert items_of(plan) == [("party_lesson", 11, "学习新党章")]


def test_bad_input_is_422_naming_the_field(api, secretary, branch):
    plan = make_plan(secretary, branch, quarter=4)
    item = plan.items.get()
    r = api.post(
        secretary,
        f"{URL}/{plan.pk}/items",
        {"session_type": "picnic", "month": 2, "topic": "郊游"},
    )
    assert r.status_code == 422
    assert r.json()["errors"] == {
        "session_type": ["组织生活类型取值无效"],
        "month": ["计划月份应在10至12月之间"],
    }
    r = api.post(
        secretary, f"{URL}/{plan.pk}/items", {"session_type": "theme_day", "month": "十一月"}
    )
    assert r.status_code == 422
    assert r.json()["errors"] == {"month": ["必须是整数"], "topic": ["此项为必填项"]}
    r = send(api, "PATCH", secretary, f"{URL}/items/{item.pk}", {"month": 13, "topic": None})
    assert r.status_code == 422
    assert r.json()["errors"] == {"month": ["计划月份应在10至12月之间"], "topic": ["请填写主题"]}
    r = send(api, "PATCH", secretary, f"{URL}/items/{item.pk}", {"base_id": 2**70})
    assert r.status_code == 422 and r.json()["errors"] == {
        "base_id": ["组织生活基地不存在或未开放"]
    }
    assert items_of(plan) == [("party_lesson", 11, "学习新党章")]


def test_out_of_scope_is_404_and_changes_nothing(api, world, secretary, branch):
    plan = make_plan(secretary, branch)
    item = plan.items.get()
    outsider = world.users["street3"]
    for method, path, data in (
        (
            "POST",
            f"{URL}/{plan.pk}/items",
            {"session_type": "theme_day", "month": 5, "topic": "越界"},
        ),
        ("PATCH", f"{URL}/items/{item.pk}", {"topic": "越界"}),
        ("DELETE", f"{URL}/items/{item.pk}", None),
        ("DELETE", f"{URL}/items/{item.pk + 1000}", None),
    ):
        r = send(api, method, outsider, path, data)
        assert (r.status_code, r.json()) == (404, {"detail": "未找到"}), (method, path)
    assert items_of(plan) == [("party_lesson", 11, "学习新党章")]
