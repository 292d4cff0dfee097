"""The funds entitlement (Nantong standards) for 两新 organizations only: 3000 per branch or
above founded in the year (not a group, not a temporary branch), 300 per member per year,
300 a month per full-time secretary (the 专职 flag on the secretary's committee seat)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from dangjian.dues import selectors
from dangjian.members.models.committee import CommitteeSeat
from dangjian.organizations.models import OrgForm, OrgKind, PartyOrg
from tests.dues.helpers import at
from tests.orglife.helpers import people, seat_committee
from tests.world import org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(at(2026, 6, 15), tick=False):
        yield


@pytest.fixture
def user(world):
    return world.users["county"]


@pytest.fixture
def parent(world):
    PartyOrg.objects.update(established_on=dt.date(2010, 1, 1))
    return world.orgs["community_committee"]


def liangxin(parent, name, *, kind=OrgKind.BRANCH, domain="non_public", founded="2026-03-01", **kw):
    o = org(parent, name, kind, parent.area, domain=domain, **kw)
    PartyOrg.objects.filter(pk=o.pk).update(established_on=founded)
    o.refresh_from_db()
    return o


def funds(user, node):
    return selectors.funds(user, org=node, year=2026)


def zero(f):
    return (f.new_orgs, f.members, f.standards["secretary_months"], f.total) == (
        0,
        0,
        0,
        Decimal("0.00"),
    )


def test_a_non_liangxin_organization_earns_nothing(user, parent):
    branch = liangxin(parent, "社区新支部", domain="community")
    members = people(branch, 8)
    seat_committee(branch, members[:3], term_start=dt.date(2026, 1, 1), full_time=True)
    assert zero(funds(user, branch))


def test_a_new_party_group_earns_nothing(user, parent):
    branch = liangxin(parent, "非公企业支部", founded="2015-05-01")
    group = liangxin(branch, "非公企业党小组", kind=OrgKind.GROUP)
    f = funds(user, group)
    assert (f.new_orgs, f.new_org_amount) == (0, Decimal("0.00"))
    assert funds(user, branch).new_orgs == 0


def test_a_temporary_branch_earns_nothing(user, parent):
    temp = liangxin(parent, "项目临时党支部", form=OrgForm.TEMPORARY)
    assert (funds(user, temp).new_orgs, funds(user, temp).new_org_amount) == (0, Decimal("0.00"))


@pytest.mark.parametrize("domain", ["non_public", "social_org"])
def test_a_liangxin_branch_founded_in_the_year_earns_3000(user, parent, domain):
    branch = liangxin(parent, "两新支部", domain=domain)
    f = funds(user, branch)
    assert (f.new_orgs, f.new_org_amount, f.total) == (1, Decimal("3000.00"), Decimal("3000.00"))
    old = liangxin(parent, "老两新支部", domain=domain, founded="2025-12-31")
    assert funds(user, old).new_orgs == 0
    general = liangxin(parent, "两新总支", kind=OrgKind.GENERAL_BRANCH, domain=domain)
    assert funds(user, general).new_org_amount == Decimal("3000.00")


def test_members_300_a_year_each_not_prorated(user, parent):
    branch = liangxin(parent, "非公企业支部", founded="2015-05-01")
    people(branch, 2)  # joined 2005
    late = people(branch, 1, status="probationary")[0]
    late.joined_on = dt.date(2026, 12, 1)  # December: still the whole year's amount
    late.save(update_fields=["joined_on"])
    nextyear = people(branch, 1)[0]
    nextyear.joined_on = dt.date(2027, 1, 2)
    nextyear.save(update_fields=["joined_on"])
    gone = people(branch, 1)[0]
    gone.left_on, gone.status = dt.date(2025, 12, 31), "removed"
    gone.save(update_fields=["left_on", "status"])
    left_in_year = people(branch, 1)[0]
    left_in_year.left_on, left_in_year.status = dt.date(2026, 2, 1), "removed"
    left_in_year.save(update_fields=["left_on", "status"])
    f = funds(user, branch)
    assert (f.members, f.member_amount) == (4, Decimal("1200.00"))


def test_full_time_secretary_300_a_month_served(user, parent):
    branch = liangxin(parent, "非公企业支部", founded="2015-05-01")
    members = people(branch, 8)
    first = seat_committee(branch, members[:3], term_start=dt.date(2023, 3, 1), full_time=True)
    # The first secretary served to 20 March: January to March.
    first.status, first.ended_on = "past", dt.date(2026, 3, 20)
    first.save(update_fields=["status", "ended_on"])
    first.seats.update(ends_on=dt.date(2026, 3, 20))
    # The next one, full-time, from April: April to December.
    seat_committee(branch, members[3:6], term_start=dt.date(2026, 4, 1), full_time=True)
    f = funds(user, branch)
    assert f.standards["secretary_months"] == 12 and f.secretaries == 1
    assert f.secretary_amount == Decimal("3600.00")


def test_a_part_time_secretary_or_a_full_time_member_earns_nothing(user, parent):
    branch = liangxin(parent, "非公企业支部", founded="2015-05-01")
    members = people(branch, 8)
    c = seat_committee(branch, members[:3], term_start=dt.date(2026, 1, 1))
    CommitteeSeat.objects.filter(committee=c, post="member").update(full_time=True)
    f = funds(user, branch)
    assert (f.standards["secretary_months"], f.secretaries, f.secretary_amount) == (
        0,
        0,
        Decimal("0.00"),
    )


def test_area_subtree_counts_only_liangxin(world, user, parent):
    branch = liangxin(parent, "非公企业支部")
    people(branch, 2)
    people(world.orgs["grid_branch"], 5)  # a community branch: not counted
    f = selectors.funds(user, area=world.nodes["street"], year=2026)
    assert (f.new_orgs, f.members, f.total) == (1, 2, Decimal("3600.00"))
