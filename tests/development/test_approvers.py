"""Who approves an admission: a grassroots 党委 by the level of the area it serves (a township
党委 in 农村 approves, a village 党委 does not), and a street 党工委 only with the county
committee's recorded authorization (service, API, console)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from dangjian.accounts.models import Role
from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Forbidden
from dangjian.development import services
from dangjian.organizations import services as org_services
from dangjian.organizations.models import PartyOrg
from tests.development import helpers as h

pytestmark = pytest.mark.django_db
DOC_DATE = dt.date(2024, 3, 1)


def _take(world, a, n, day, actor, **fields):
    with h.travel(h.NOW):
        return services.applicant_transition(
            actor=actor, applicant=a, action=str(n), when=day, **fields
        )


def _at_step_16(world, org, actor):
    h.full_members(world, 5, org=org, prefix=f"{org.name}党员")
    a = h.applicant(world, actor=actor, org=org)
    members = list(org.members.filter(status="full").order_by("pk"))
    return h.walk(world, a, 16, dt.date(2025, 1, 6), actor=actor,
                  people={"contacts": members[:1], "sponsors": members[1:3]})  # fmt: skip


def _state(org):
    org = PartyOrg.objects.get(pk=org.pk)
    return (
        org.approval_authorized,
        org.approval_document_no,
        org.approval_document_date,
        org.approval_authorized_by_id,
    )


def _authorize(world, actor=None, org=None, number="城委组〔2024〕12号", day=DOC_DATE):
    return org_services.org_approval_authorize(
        actor=actor or world.users["county"],
        org=org or world.orgs["street_wc"],
        document_no=number,
        document_date=day,
    )


# --- the level of the area, not the sector ----------------------------------------------------


def test_township_committee_approves_and_village_committee_does_not(world):
    township, village = world.orgs["township_committee"], world.orgs["village_committee"]
    assert township.domain == village.domain == "village"  # both in 农村: the level decides
    actor = world.users["county"]
    a = _at_step_16(world, world.orgs["village_branch"], actor)
    assert [o.pk for o in services.approvers_for(a)] == [
        township.pk,
        world.orgs["county_committee"].pk,
        world.orgs["city_committee"].pk,
    ]
    with pytest.raises(ValidationError) as exc:
        _take(world, a, 17, a.last_step_on, actor, approving_org_id=village.pk)
    message = exc.value.message_dict["approving_org_id"][0]
    assert message == (
        "不符合“只有党委有权审批”的规定：中共园头村委员会是村(社区)一级党委"
        "（所在区域园头村为村），村(社区)党委无权审批发展党员"
    )
    a.refresh_from_db()
    assert a.step == 16 and a.member_id is None
    a = _take(world, a, 17, a.last_step_on, actor, approving_org_id=township.pk)
    assert a.step == 17 and a.member_id is not None
    row = a.steps.get(number=17)
    assert row.approving_org_id == township.pk
    assert row.data["approving_org_name"] == "中共华亭镇委员会"


def test_community_committee_refused_by_its_level(world):
    a = _at_step_16(world, world.orgs["grid_branch"], world.users["community"])
    assert [o.pk for o in services.approvers_for(a)] == [
        world.orgs["county_committee"].pk,
        world.orgs["city_committee"].pk,
    ]


# --- a street 党工委 with the county's authorization -----------------------------------------


def test_authorized_street_working_committee_approves(world):
    wc = world.orgs["street_wc"]
    actor = world.users["community"]
    a = _at_step_16(world, world.orgs["grid_branch"], actor)
    with pytest.raises(ValidationError) as exc:
        _take(world, a, 17, a.last_step_on, actor, approving_org_id=wc.pk)
    assert exc.value.message_dict["approving_org_id"] == [
        "不符合“只有党委有权审批”的规定：中共龙桥街道工作委员会是党工委，"
        "未经县级党委授权，无权审批发展党员"
    ]
    _authorize(world)
    assert [o.pk for o in services.approvers_for(a)] == [
        wc.pk,
        world.orgs["county_committee"].pk,
        world.orgs["city_committee"].pk,
    ]
    a = _take(world, a, 17, a.last_step_on, actor, approving_org_id=wc.pk)
    assert a.step == 17 and a.steps.get(number=17).approving_org_id == wc.pk


def test_revoked_authorization_refuses_again(world):
    _authorize(world)
    org = org_services.org_approval_revoke(actor=world.users["county"], org=world.orgs["street_wc"])
    assert _state(org) == (False, "", None, world.users["county"].pk)
    a = _at_step_16(world, world.orgs["grid_branch"], world.users["community"])
    assert world.orgs["street_wc"].pk not in [o.pk for o in services.approvers_for(a)]
    entry = AuditEntry.objects.filter(action="org.approval_revoke").get()
    assert (
        entry.before["approval_authorized"] is True and entry.after["approval_authorized"] is False
    )
    # withdrawing again changes nothing and writes nothing
    org = org_services.org_approval_revoke(actor=world.users["county"], org=world.orgs["street_wc"])
    assert _state(org) == (False, "", None, world.users["county"].pk)
    assert AuditEntry.objects.filter(action="org.approval_revoke").count() == 1


def test_authorize_records_document_and_audits(world):
    org = _authorize(world)
    assert _state(org) == (True, "城委组〔2024〕12号", DOC_DATE, world.users["county"].pk)
    assert org.approval_authorized_at is not None
    entry = AuditEntry.objects.get(action="org.approval_authorize")
    assert entry.actor_id == world.users["county"].pk
    assert entry.after["approval_authorized"] is True
    assert entry.after["approval_document_no"] == "城委组〔2024〕12号"
    assert entry.after["approval_document_date"] == "2024-03-01"


def test_only_the_county_org_department_authorizes(world):
    before = _state(world.orgs["street_wc"])
    # township staff see the 党工委 but lack the permission: 403
    with pytest.raises(Forbidden):
        _authorize(world, actor=world.users["street"])
    # a secretary below it does not see it: 404
    with pytest.raises(Http404):
        _authorize(world, actor=world.users["community"])
    assert _state(world.orgs["street_wc"]) == before
    assert not AuditEntry.objects.filter(action="org.approval_authorize").exists()
    assert "organizations.authorize_approval" in Role.objects.get(code="county_staff").actions
    assert "organizations.authorize_approval" not in Role.objects.get(code="township_staff").actions


def test_only_a_working_committee_is_authorized(world):
    for org in (world.orgs["community_committee"], world.orgs["township_committee"]):
        with pytest.raises(Conflict) as exc:
            _authorize(world, org=org)
        assert "只有街道党工委须经县级党委授权" in exc.value.message
        assert _state(org) == (False, "", None, None)


@pytest.mark.parametrize(
    ("number", "day", "field", "message"),
    [
        ("", DOC_DATE, "document_no", "请填写县级党委授权文件的文号"),
        ("x" * 101, DOC_DATE, "document_no", "授权文件文号不能超过100个字"),
        ("城委组〔2024〕12号", None, "document_date", "请填写授权文件日期"),
        ("城委组〔2024〕12号", dt.date(1921, 6, 30), "document_date", "授权文件日期不能早于1921年7月1日"),
        ("城委组〔2024〕12号", dt.date(9999, 12, 31), "document_date", "授权文件日期不能晚于今天"),
    ],
)  # fmt: skip
def test_authorize_needs_the_document(world, number, day, field, message):
    with pytest.raises(ValidationError) as exc:
        _authorize(world, number=number, day=day)
    assert exc.value.message_dict[field][0].startswith(message)
    assert _state(world.orgs["street_wc"]) == (False, "", None, None)


def test_authorize_boundaries_accepted(world):
    assert _authorize(world, number="x" * 100, day=dt.date(1921, 7, 1)).approval_authorized


# --- API --------------------------------------------------------------------------------------


def test_api_authorize_and_revoke(world, api):
    wc = world.orgs["street_wc"]
    url = f"/api/v1/orgs/{wc.pk}/approval-authorization"
    r = api.post(world.users["street"], url, {"document_no": "A1", "document_date": "2024-03-01"})
    assert r.status_code == 403
    r = api.post(world.users["county"], url, {"document_no": "A1", "document_date": "9999-12-31"})
    assert r.status_code == 422
    assert r.json()["errors"]["document_date"][0].startswith("日期不能晚于今天")
    assert _state(wc) == (False, "", None, None)
    r = api.post(world.users["county"], url, {"document_no": "A1", "document_date": "2024-03-01"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["approval_authorized"] is True
    assert body["approval_document_no"] == "A1"
    assert body["approval_document_date"] == "2024-03-01"
    assert body["approval_authorized_by"] == "t-county"
    r = api.post(world.users["county"], f"{url}/revoke")
    assert r.status_code == 200 and r.json()["approval_authorized"] is False
    r = api.post(world.users["county"], f"{url}/revoke")
    assert r.status_code == 200 and r.json()["approval_authorized"] is False
    r = api.post(world.users["street"], f"{url}/revoke")
    assert r.status_code == 403
    r = api.post(
        world.users["county"],
        f"/api/v1/orgs/{world.orgs['community_committee'].pk}/approval-authorization",
        {"document_no": "A1", "document_date": "2024-03-01"},
    )
    assert r.status_code == 409


# --- console ----------------------------------------------------------------------------------


def test_console_form_on_the_working_committee_page(world, client):
    wc = world.orgs["street_wc"]
    page = reverse("console:org_detail", args=[wc.pk])
    action = reverse("console:org_approval", args=[wc.pk])
    client.force_login(world.users["street"])
    body = client.get(page).content.decode()
    assert "审批发展党员的授权" in body and action not in body
    assert (
        client.post(action, {"document_no": "A1", "document_date": "2024-03-01"}).status_code == 403
    )
    assert _state(wc) == (False, "", None, None)

    client.force_login(world.users["county"])
    body = client.get(page).content.decode()
    assert action in body and "登记授权" in body
    r = client.post(action, {"document_no": "", "document_date": "2024-03-01"})
    assert r.status_code == 422 and "这个字段是必填项" in r.content.decode()
    r = client.post(action, {"document_no": "A1", "document_date": "1900-01-01"})
    assert r.status_code == 422 and "授权文件日期不能早于1921年7月1日" in r.content.decode()
    assert _state(wc) == (False, "", None, None)
    r = client.post(action, {"document_no": "A1", "document_date": "2024-03-01"})
    assert r.status_code == 302 and r.url == page
    assert _state(wc) == (True, "A1", DOC_DATE, world.users["county"].pk)
    body = client.get(page).content.decode()
    assert "已授权" in body and "撤销授权" in body
    r = client.post(action, {"action": "revoke"})
    assert r.status_code == 302
    assert _state(wc) == (False, "", None, world.users["county"].pk)


def test_console_no_authorization_section_on_a_committee(world, client):
    client.force_login(world.users["county"])
    body = client.get(
        reverse("console:org_detail", args=[world.orgs["township_committee"].pk])
    ).content.decode()
    assert "审批发展党员的授权" not in body


def test_console_step_17_offers_the_township_committee(world, client):
    township, village = world.orgs["township_committee"], world.orgs["village_committee"]
    a = _at_step_16(world, world.orgs["village_branch"], world.users["county"])
    with h.travel(h.NOW):
        client.force_login(world.users["county"])
        r = client.get(f"/development/{a.pk}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f'<option value="{township.pk}">中共华亭镇委员会</option>' in body
    assert f'<option value="{village.pk}"' not in body
    assert f'<option value="{world.orgs["county_committee"].pk}">中共城厢区委</option>' in body
