"""Audit rows scoped like what they describe, exports scoped by what they covered, sealed
actors (anonymous reports, ratings) and their reveal; on the console page and the API."""

from __future__ import annotations

import pytest

from dangjian.accounts import services as accounts
from dangjian.core import audit
from dangjian.core.models import AuditEntry
from dangjian.members import services as members
from dangjian.organizations.models import OrgDomain, OrgKind
from tests import world as world_mod
from tests.cases import helpers as cases
from tests.members.helpers import member as make_member

pytestmark = pytest.mark.django_db

SEALED = "（已密封）"


def _api_rows(api, user, **params):
    r = api.get(user, "/api/v1/audit/", page_size=200, **params)
    assert r.status_code == 200
    return r.json()


@pytest.fixture
def area_only(world):
    """Township staff of 龙桥街道 holding the area grant only (no party-tree grant)."""
    return world_mod.user("t-area-only", role="township_staff", area_node=world.street)


@pytest.fixture
def agency_member(world):
    """A member of a county agency branch (outside 龙桥街道's party tree) who lives in
    龙桥街道 (residence: its unit)."""
    agency = world_mod.org(
        world.orgs["county_committee"],
        "区直机关第一党支部",
        OrgKind.BRANCH,
        world.county,
        OrgDomain.AGENCY,
    )
    m = make_member(world.users["county"], agency, name="李住龙桥", unit=world.nodes["unit"])
    assert m.area_path.startswith(world.street.path)  # lives in the street
    return m


# --- a member's rows follow the member's organization ------------------------------------
def test_member_row_is_scoped_by_the_org_path_only(world, agency_member):
    row = AuditEntry.objects.get(action="member.create", object_id=str(agency_member.pk))
    assert (row.area_path, row.org_path) == ("", agency_member.org_path)
    assert audit.object_paths(agency_member) == ("", agency_member.org_path)


def test_area_grant_reads_no_member_row_of_a_resident_in_another_org(
    world, api, client, area_only, agency_member
):
    pk = str(agency_member.pk)
    for user in (area_only, world.users["street"]):
        body = _api_rows(api, user, object_type="members.member")
        assert [i for i in body["items"] if i["object_id"] == pk] == []
        client.force_login(user)
        page = client.get("/audit/?action=member.create").content.decode()
        assert "李住龙桥" not in page
    # The agency's reviewers (the county, on the party tree) read it.
    body = _api_rows(api, world.users["county"], object_type="members.member")
    assert [(i["action"], i["object_id"]) for i in body["items"]] == [("member.create", pk)]
    client.force_login(world.users["county"])
    assert "李住龙桥" in client.get("/audit/?action=member.create").content.decode()


# --- exports: scoped by what they covered --------------------------------------------------
def test_common_root():
    assert audit.common_root([]) == ""
    assert audit.common_root(["00010002", "000100020003"]) == "00010002"
    assert audit.common_root(["00010002", "00010003"]) == "0001"
    assert audit.common_root(["0001", "0002"]) == ""


def test_unfiltered_export_is_seen_by_the_exporters_reviewers(world, api):
    make_member(world.users["street"], world.orgs["grid_branch"], name="王导出")
    exporter = world.users["street"]
    _content, count = members.members_export(actor=exporter, filters={})
    assert count == 1
    row = AuditEntry.objects.get(action="members.export")
    # The exporter reaches members through the working committee: that subtree was exported.
    assert (row.org_path, row.area_path) == (world.orgs["street_wc"].path, "")
    peer = world_mod.user("t-street-peer", role="township_staff", area_node=world.street)
    accounts.grant_add(
        actor=None, user=peer, role_code="township_staff", org=world.orgs["street_wc"]
    )
    for reviewer in (world.users["county"], world.users["city"], peer, exporter):
        ids = [i["id"] for i in _api_rows(api, reviewer, action="members.export")["items"]]
        assert ids == [row.pk], reviewer
    # Neither the other county nor a narrower reviewer (the community's secretary, who could
    # see only part of what was exported) reads it.
    for outsider in (world.users["street3"], world.users["community"]):
        assert _api_rows(api, outsider, action="members.export")["count"] == 0


def test_covered_paths_take_the_smallest_subtree_holding_every_root(world):
    u = world_mod.user("t-two-streets")
    accounts.grant_add(actor=None, user=u, role_code="township_staff", org=world.orgs["street_wc"])
    accounts.grant_add(actor=None, user=u, role_code="township_staff", org=world.orgs["street2_wc"])
    from dangjian.members.models import Member

    paths = audit.covered_paths(Member, u, "members.view")
    assert paths == {"area_path": "", "org_path": world.orgs["county_committee"].path}


# --- sealed actors -------------------------------------------------------------------------
@pytest.fixture
def anonymous_event(world):
    cases.ensure_taxonomy()
    return cases.report(world.users["resident"], anonymous=True, reporter_phone="13812345678")


def test_anonymous_report_seals_its_reporter(world, anonymous_event):
    row = AuditEntry.objects.get(action="event.create", object_id=str(anonymous_event.pk))
    assert row.sealed and row.actor_id is None and row.actor_name == ""
    assert row.remote_addr == ""
    assert "reporter_phone" not in (row.after or {})
    assert "13812345678" not in str(row.after) and "138****" not in str(row.after)
    assert str(row).startswith(SEALED)
    # A report that is not anonymous keeps its actor.
    plain = cases.report(world.users["resident"], description="楼道里的灯坏了好几天一直没人修")
    row = AuditEntry.objects.get(action="event.create", object_id=str(plain.pk))
    assert not row.sealed and row.actor_id == world.users["resident"].pk


def test_ratings_are_sealed():
    from dangjian.cases.apps import event_seal
    from dangjian.orglife.apps import rating_seal

    class Ev:
        anonymous = False
        reporter_id = 5
        source = "resident"

    class Someone:
        pk = 7

    assert event_seal(Ev(), "event.evaluate", Someone()) == (True, ("reporter_phone",))
    assert event_seal(Ev(), "event.dispatch", Someone()) is None
    Ev.anonymous = True
    assert event_seal(Ev(), "event.dispatch", Someone()) == (False, ("reporter_phone",))
    Someone.pk = 5
    assert event_seal(Ev(), "event.supplement", Someone()) == (True, ("reporter_phone",))
    # Staff who took an anonymous caller's report are its reporter account, not sealed.
    Ev.source = "hotline"
    assert event_seal(Ev(), "event.create", Someone()) == (False, ("reporter_phone",))
    assert rating_seal(None, "orglife.rating.submit", Someone()) == (True, ())
    assert rating_seal(None, "orglife.session.review", Someone()) is None


def test_sealed_actor_is_in_no_answer(world, api, client, anonymous_event):
    resident = world.users["resident"]
    for reviewer in (world.users["street"], world.users["county"], world.users["admin"]):
        body = _api_rows(api, reviewer, action="event.create")
        (item,) = [i for i in body["items"] if i["object_id"] == str(anonymous_event.pk)]
        assert (item["actor_name"], item["actor_id"], item["sealed"]) == (SEALED, None, True)
        assert item["remote_addr"] == ""
        events = _api_rows(api, reviewer, object_type="cases.event")["items"]
        assert events and all(i["actor_id"] != resident.pk for i in events)
        assert "t-resident" not in str(events) and "13812345678" not in str(events)
        client.force_login(reviewer)
        page = client.get("/audit/?action=event.create").content.decode()
        assert SEALED in page and "t-resident" not in page and "138****5678" not in page
    # The reporter's own rows no longer name them either (their own reach finds the row
    # no more: the actor is sealed).
    assert _api_rows(api, resident, action="event.create")["count"] == 0


def test_reveal_needs_the_permission_a_reason_and_is_audited(world, api, anonymous_event):
    row = AuditEntry.objects.get(action="event.create", object_id=str(anonymous_event.pk))
    path = f"/api/v1/audit/{row.pk}/reveal"
    for u in ("county", "street3", "city"):
        api.get(world.users[u], "/api/v1/me")  # tokens issued (and audited) beforehand
    before = AuditEntry.objects.count()
    # County staff review the row but may not reveal it: 403; the other county: 404.
    r = api.post(world.users["county"], path, {"reason": "核查"})
    assert r.status_code == 403
    assert r.json()["detail"] == "您没有执行此操作的权限"
    assert api.post(world.users["street3"], path, {"reason": "核查"}).status_code == 404
    # City staff may, with a reason.
    r = api.post(world.users["city"], path, {"reason": "  "})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = api.post(world.users["city"], path, {"reason": "x" * 201})
    assert r.status_code == 422
    assert AuditEntry.objects.count() == before
    r = api.post(world.users["city"], path, {"reason": "核查恶意举报"})
    assert r.status_code == 200
    assert r["Cache-Control"] == "no-store"
    body = r.json()
    assert (body["id"], body["actor_id"], body["actor_name"]) == (
        row.pk,
        world.users["resident"].pk,
        "t-resident",
    )
    assert body["after"] == {"reporter_phone": "138****5678"}
    reveal = AuditEntry.objects.get(action="audit.reveal_actor")
    assert reveal.actor_id == world.users["city"].pk
    assert reveal.object_id == str(row.pk) and reveal.note == "查看密封的操作人：核查恶意举报"
    assert reveal.area_path == row.area_path
    assert AuditEntry.objects.count() == before + 1
    # A row with nothing sealed: 409, nothing written.
    plain = audit.record(actor=world.users["street"], action="probe", area_path=world.street.path)
    r = api.post(world.users["city"], f"/api/v1/audit/{plain.pk}/reveal", {"reason": "核查"})
    assert r.status_code == 409
    assert AuditEntry.objects.count() == before + 2


def test_console_reveal_form(world, client, anonymous_event):
    row = AuditEntry.objects.get(action="event.create", object_id=str(anonymous_event.pk))
    client.force_login(world.users["county"])
    page = client.get("/audit/").content.decode()
    assert f"/audit/{row.pk}/reveal/" not in page  # no form without the permission
    assert client.post(f"/audit/{row.pk}/reveal/", {"reason": "核查"}).status_code == 403
    client.force_login(world.users["city"])
    page = client.get("/audit/").content.decode()
    assert f"/audit/{row.pk}/reveal/" in page
    r = client.post(f"/audit/{row.pk}/reveal/", {"reason": ""})
    assert r.status_code == 422 and "请填写查看原因" in r.content.decode()
    assert client.get(f"/audit/{row.pk}/reveal/").status_code == 405
    r = client.post(f"/audit/{row.pk}/reveal/", {"reason": "核查恶意举报"})
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    assert "t-resident" in r.content.decode()
    assert (
        AuditEntry.objects.filter(action="audit.reveal_actor", object_id=str(row.pk)).count() == 1
    )
    client.force_login(world.users["street3"])
    assert client.post(f"/audit/{row.pk}/reveal/", {"reason": "核查"}).status_code == 404


def test_reveal_permission_is_the_citys_and_the_administrators():
    from dangjian.accounts.roles import ROLE_BY_CODE, allows

    holders = {c for c, r in ROLE_BY_CODE.items() if allows(r.actions, "audit.reveal_actor")}
    assert holders == {"system_admin", "city_staff"}


def test_export_rows_take_the_filtered_org_else_what_was_covered(world):
    street = world.users["street"]
    assert members.export_org_path(street, {}) == world.orgs["street_wc"].path
    branch = world.orgs["grid_branch"]
    assert members.export_org_path(street, {"org": branch.pk}) == branch.path
    # Nothing reached: no path (the exporter alone reads the row).
    assert members.export_org_path(world.users["nobody"], {}) == ""


def test_a_nul_in_a_filter_matches_nothing_and_is_no_server_error(world, api):
    """A NUL byte in a filter was a 500 on PostgreSQL (which refuses NUL in a string); control
    characters are dropped, as everywhere else a typed value meets the database."""
    audit.record(actor=None, action="probe.nul", object_type="probe", object_id="7")
    user = world_mod.user("t-audit-nul", role="township_staff", area_node=world.street)
    for params in ({"action": "probe.nul\x00"}, {"object_type": "\x00"}, {"object_id": "7\x00"}):
        r = api.get(user, "/api/v1/audit/", **params)
        assert r.status_code == 200, (params, r.content[:200])
