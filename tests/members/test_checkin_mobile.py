"""Community check-in (双报到): the community's narrow view; mobile members and their warnings."""

import datetime as dt

import pytest
import time_machine

from dangjian.members.models import CommunityCheckin, MemberCategory, MobileRegistration
from tests.members.helpers import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency_member(world, agency):
    return member(
        world.users["county"],
        agency,
        name="孙十",
        categories=["in_service"],
        unit=world.unit,
        work_unit="城厢区财政局",
        phone="13600136000",
    )


def test_community_sees_the_checkin_not_the_file(world, api, agency_member):
    county, community = world.users["county"], world.users["community"]
    # Reported to the community of the residence by default.
    r = api.post(
        county, f"/api/v1/members/{agency_member.pk}/checkins", {"reported_on": "2026-03-05"}
    )
    assert r.status_code == 200, r.content
    checkin = r.json()
    assert (checkin["community_name"], checkin["work_unit"], checkin["kind"]) == (
        "龙桥社区",
        "城厢区财政局",
        "member",
    )
    r = api.post(
        community,
        f"/api/v1/members/checkins/{checkin['id']}/services",
        {"served_on": "2026-03-10", "content": "参与小区环境整治", "hours": "2.5"},
    )
    assert r.status_code == 200, r.content
    api.post(
        community,
        f"/api/v1/members/checkins/{checkin['id']}/services",
        {"served_on": "2026-04-01", "content": "政策宣讲", "hours": 1},
    )
    items = api.get(community, "/api/v1/members/checkins/").json()["items"]
    assert len(items) == 1
    seen = items[0]
    assert (seen["name"], seen["work_unit"], seen["service_hours"]) == (
        "孙十",
        "城厢区财政局",
        "3.5",
    )
    # Name, unit and service record only: no ID, no phone, no link to the file.
    assert set(seen) == {
        "id",
        "kind",
        "kind_label",
        "name",
        "work_unit",
        "community_id",
        "community_name",
        "reported_on",
        "service_hours",
    }
    detail = api.get(community, f"/api/v1/members/checkins/{checkin['id']}").json()
    assert [s["content"] for s in detail["services"]] == ["政策宣讲", "参与小区环境整治"]
    # neither the number nor its masked form (ids and hours may hold "136" by chance)
    assert "13600136000" not in str(detail) and "136****" not in str(detail)
    # The file is scoped by the member's organization only.
    assert api.get(community, f"/api/v1/members/{agency_member.pk}").status_code == 404
    assert api.get(community, "/api/v1/members/").json()["count"] == 0
    # The member's own organization sees the check-in on the file.
    file = api.get(county, f"/api/v1/members/{agency_member.pk}").json()
    assert file["checkins"][0]["service_hours"] == "3.5"
    # Other communities and a grid below the community see nothing.
    assert api.get(world.users["street3"], "/api/v1/members/checkins/").json()["count"] == 0
    assert api.get(world.users["grid"], "/api/v1/members/checkins/").json()["count"] == 0
    assert (
        api.get(world.users["street3"], f"/api/v1/members/checkins/{checkin['id']}").status_code
        == 404
    )


def test_checkin_refusals(world, api, agency_member):
    county = world.users["county"]
    retired = member(
        county, agency_member.org, name="退休甲", categories=["retired"], unit=world.unit
    )
    r = api.post(county, f"/api/v1/members/{retired.pk}/checkins", {})
    assert r.status_code == 422 and "在职党员" in r.json()["errors"]["member"][0]
    r = api.post(
        county, f"/api/v1/members/{agency_member.pk}/checkins", {"community_id": world.grid.pk}
    )
    assert r.status_code == 422 and "村(社区)" in r.json()["errors"]["community"][0]
    r = api.post(
        county, f"/api/v1/members/{agency_member.pk}/checkins", {"reported_on": "2999-01-01"}
    )
    assert r.status_code == 422 and "reported_on" in r.json()["errors"]
    assert api.post(county, f"/api/v1/members/{agency_member.pk}/checkins", {}).status_code == 200
    r = api.post(county, f"/api/v1/members/{agency_member.pk}/checkins", {})
    assert r.status_code == 409
    assert (
        api.post(
            world.users["street3"], f"/api/v1/members/{agency_member.pk}/checkins", {}
        ).status_code
        == 404
    )
    c = CommunityCheckin.objects.get()
    r = api.post(
        world.users["community"],
        f"/api/v1/members/checkins/{c.pk}/services",
        {"content": "", "hours": 30},
    )
    assert r.status_code == 422 and set(r.json()["errors"]) == {"content", "hours"}


def test_member_reports_themself(world, api):
    me = member(
        world.users["street"],
        world.orgs["grid_branch"],
        name="钱一",
        categories=["in_service"],
        unit=world.unit,
        user=world.users["member"],
    )
    r = api.post(world.users["member"], f"/api/v1/members/{me.pk}/checkins", {})
    assert r.status_code == 200, r.content
    assert r.json()["community_name"] == "龙桥社区"


def test_agency_branch_reports_as_an_organization(world, api, agency):
    r = api.post(
        world.users["county"],
        f"/api/v1/members/checkins/orgs/{agency.pk}",
        {"community_id": world.community.pk},
    )
    assert r.status_code == 200, r.content
    assert (r.json()["kind"], r.json()["name"]) == ("org", "区直机关第一党支部")
    r = api.post(
        world.users["county"],
        f"/api/v1/members/checkins/orgs/{world.orgs['community_committee'].pk}",
        {"community_id": world.community.pk},
    )
    assert r.status_code == 422
    items = api.get(world.users["community"], "/api/v1/members/checkins/", kind="org").json()[
        "items"
    ]
    assert [i["name"] for i in items] == ["区直机关第一党支部"]


# --- mobile members ----------------------------------------------------------------------------


def test_mobile_registration_and_the_six_month_warnings(world, api, agency, street2_user):
    u = world.users["street"]
    with time_machine.travel(dt.datetime(2025, 1, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        api._tokens.clear()  # tokens expire: a new one at each date
        m = member(u, world.orgs["grid_branch"], name="流动甲")
        r = api.post(
            u,
            f"/api/v1/members/{m.pk}/mobile",
            {
                "destination": "广东省深圳市南山区",
                "left_on": "2025-01-10",
                "fixed_place": True,
                "contact_phone": "13512345678",
                "card_number": "LD2025001",
                "card_issuer_id": world.orgs["street_wc"].pk,
                "host_org_name": "深圳市南山区流动党员党支部",
            },
        )
        assert r.status_code == 200, r.content
        reg = r.json()
        assert reg["contact_phone"] == "135****5678" and reg["warnings"] == []
        assert MemberCategory.objects.filter(member=m, code="mobile").exists()
        assert (
            api.post(
                u, f"/api/v1/members/{m.pk}/mobile", {"destination": "x", "left_on": "2025-01-10"}
            ).status_code
            == 409
        )
    with time_machine.travel(dt.datetime(2025, 7, 9, 10, 0, tzinfo=dt.UTC), tick=False):
        api._tokens.clear()  # tokens expire: a new one at each date
        assert api.get(u, "/api/v1/members/mobile/warnings").json()["count"] == 0
    with time_machine.travel(dt.datetime(2025, 7, 11, 10, 0, tzinfo=dt.UTC), tick=False):
        api._tokens.clear()  # tokens expire: a new one at each date
        body = api.get(u, "/api/v1/members/mobile/warnings").json()
        assert sorted(w["code"] for w in body["items"]) == ["out_of_contact", "should_transfer"]
        assert {w["member_name"] for w in body["items"]} == {"流动甲"}
        assert (
            api.get(world.users["street3"], "/api/v1/members/mobile/warnings").json()["count"] == 0
        )
        ids = [
            i["id"]
            for i in api.get(u, "/api/v1/members/mobile/", warning="out_of_contact").json()["items"]
        ]
        assert ids == [reg["id"]]
        # A contact resets the clock; the transfer prompt stays while they are away.
        r = api.post(
            u,
            f"/api/v1/members/mobile/{reg['id']}/reports",
            {"kind": "contact", "content": "电话联系"},
        )
        assert r.status_code == 200, r.content
        assert [w["code"] for w in r.json()["warnings"]] == ["should_transfer"]
    with time_machine.travel(dt.datetime(2026, 1, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        api._tokens.clear()  # tokens expire: a new one at each date
        codes = sorted(
            w["code"] for w in api.get(u, "/api/v1/members/mobile/warnings").json()["items"]
        )
        assert codes == ["report_overdue", "should_transfer"]
        r = api.post(
            u,
            f"/api/v1/members/mobile/{reg['id']}/reports",
            {"kind": "report", "content": "年度思想汇报"},
        )
        assert [w["code"] for w in r.json()["warnings"]] == ["should_transfer"]
        r = api.post(u, f"/api/v1/members/mobile/{reg['id']}/end", {})
        assert r.status_code == 200 and r.json()["active"] is False and r.json()["warnings"] == []
        assert not MemberCategory.objects.filter(member=m, code="mobile").exists()
        assert api.post(u, f"/api/v1/members/mobile/{reg['id']}/end", {}).status_code == 409


def test_mobile_refusals_and_the_host_view(world, api, street2_user):
    u = world.users["county"]
    m = member(u, world.orgs["grid_branch"], name="流动乙")
    r = api.post(
        u,
        f"/api/v1/members/{m.pk}/mobile",
        {
            "card_number": "X1",
            "card_issuer_id": world.orgs["grid_branch"].pk,
            "contact_phone": "abc",
        },
    )
    assert r.status_code == 422
    assert set(r.json()["errors"]) >= {"destination", "left_on", "card_issuer", "contact_phone"}
    assert not MobileRegistration.objects.exists()
    r = api.post(
        u,
        f"/api/v1/members/{m.pk}/mobile",
        {
            "destination": "凤凰山街道某工地",
            "left_on": "2026-01-05",
            "host_org_id": world.orgs["street2_wc"].pk,
        },
    )
    assert r.status_code == 200, r.content
    reg = r.json()
    # The host organization sees whom it hosts, not the file; it cannot end the registration.
    assert api.get(street2_user, f"/api/v1/members/mobile/{reg['id']}").status_code == 200
    assert api.get(street2_user, f"/api/v1/members/{m.pk}").status_code == 404
    assert api.post(street2_user, f"/api/v1/members/mobile/{reg['id']}/end", {}).status_code == 403
    assert api.get(world.users["street3"], f"/api/v1/members/mobile/{reg['id']}").status_code == 404
    assert (
        api.post(
            world.users["street3"],
            f"/api/v1/members/{m.pk}/mobile",
            {"destination": "x", "left_on": "2026-01-01"},
        ).status_code
        == 404
    )
