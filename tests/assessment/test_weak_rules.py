"""Each weak-organization rule on both sides of its threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.assessment.models import RuleSetting
from dangjian.members.models.committee import CommitteeSeat
from tests.assessment.helpers import found, healthy
from tests.orglife.helpers import at, hold, people, seat_committee

pytestmark = pytest.mark.django_db


def test_no_committee_recorded_is_incomplete(world):
    rows = found(2026, dt.date(2026, 6, 1), world.orgs["grid_branch"], "committee_incomplete")
    assert len(rows) == 1 and rows[0].figure == "未登记"
    healthy(world.orgs["grid_branch"])
    assert not found(2026, dt.date(2026, 6, 1), world.orgs["grid_branch"], "committee_incomplete")


def test_secretary_vacant_more_than_three_months(world):
    org = world.orgs["grid_branch"]
    _, c = healthy(org)
    CommitteeSeat.objects.filter(committee=c, post="secretary").update(ends_on=dt.date(2026, 1, 31))
    # Vacant since 1 February: three months end on 1 May.
    assert not found(2026, dt.date(2026, 5, 1), org, "secretary_vacant")
    rows = found(2026, dt.date(2026, 5, 2), org, "secretary_vacant")
    assert len(rows) == 1
    assert rows[0].evidence["since"] == "2026-02-01"
    assert rows[0].url.endswith(f"/members/committees/{org.pk}/")


def test_threshold_setting_applies_to_the_next_computation(world):
    org = world.orgs["grid_branch"]
    _, c = healthy(org)
    CommitteeSeat.objects.filter(committee=c, post="secretary").update(ends_on=dt.date(2026, 1, 31))
    RuleSetting.objects.create(key="ASSESS_SECRETARY_VACANT_MONTHS", value="6")
    assert not found(2026, dt.date(2026, 5, 2), org, "secretary_vacant")
    assert found(2026, dt.date(2026, 8, 2), org, "secretary_vacant")


def test_committee_seats_below_minimum_with_seven_full_members(world):
    org = world.orgs["grid_branch"]
    members = people(org, 7)
    c = seat_committee(org, members[:2], term_start=dt.date(2025, 1, 1))
    rows = found(2026, dt.date(2026, 6, 1), org, "committee_incomplete")
    assert len(rows) == 1 and rows[0].evidence["seats"] == 2
    CommitteeSeat.objects.create(
        committee=c,
        member=members[2],
        member_name=members[2].name,
        org_path=org.path,
        post="member",
        starts_on=dt.date(2025, 1, 1),
    )
    assert not found(2026, dt.date(2026, 6, 1), org, "committee_incomplete")


def test_six_full_members_need_no_committee_of_three(world):
    org = world.orgs["grid_branch"]
    members = people(org, 6)
    seat_committee(org, members[:1], term_start=dt.date(2025, 1, 1))
    assert not found(2026, dt.date(2026, 6, 1), org, "committee_incomplete")


def test_election_overdue_from_the_day_after_the_term(world):
    org = world.orgs["grid_branch"]
    _, c = healthy(org, term_start=dt.date(2023, 4, 1))  # term ends 2026-03-31
    assert not found(2026, dt.date(2026, 3, 31), org, "election_overdue")
    rows = found(2026, dt.date(2026, 4, 1), org, "election_overdue")
    assert len(rows) == 1 and rows[0].evidence == {"due_on": "2026-03-31", "days": 1}
    c.postponed_to = dt.date(2026, 9, 30)
    c.save()
    assert not found(2026, dt.date(2026, 4, 1), org, "election_overdue")


def test_no_members_meeting_in_an_ended_quarter(world):
    org = world.orgs["grid_branch"]
    healthy(org)
    # Q1 has not ended on 31 March.
    assert not found(2026, dt.date(2026, 3, 31), org, "no_meetings")
    rows = found(2026, dt.date(2026, 4, 1), org, "no_meetings")
    assert len(rows) == 1 and rows[0].evidence["missing"] == {"members_meeting": [1]}
    hold(world.users["admin"], org, "members_meeting", at(2026, 2, 10), present_all=True)
    assert not found(2026, dt.date(2026, 4, 1), org, "no_meetings")


def test_a_session_that_could_not_sit_does_not_count(world):
    org = world.orgs["grid_branch"]
    healthy(org)
    s = hold(world.users["admin"], org, "members_meeting", at(2026, 2, 10))
    assert s.quorum_ok is False
    assert found(2026, dt.date(2026, 4, 1), org, "no_meetings")


def test_no_development_in_two_years_for_villages(world):
    org = world.orgs["village_branch"]
    healthy(org)
    people(org, 1)[0].__class__.objects.filter(org=org).update(joined_on=dt.date(2024, 5, 1))
    assert not found(2026, dt.date(2026, 5, 1), org, "no_development")
    rows = found(2026, dt.date(2026, 5, 2), org, "no_development")
    assert len(rows) == 1 and rows[0].evidence["last_joined_on"] == "2024-05-01"
    # A community branch is not checked for it.
    healthy(world.orgs["grid_branch"])
    assert not found(2026, dt.date(2026, 5, 2), world.orgs["grid_branch"], "no_development")


def test_township_committee_is_not_assessed(world):
    assert not found(2026, dt.date(2026, 6, 1), world.orgs["township_committee"])
    assert not found(2026, dt.date(2026, 6, 1), world.orgs["street_wc"])


def test_a_meeting_counts_by_its_local_day_at_either_end_of_the_year(world):
    # The rule compares instants with the local days' bounds: a meeting late on the last
    # local day of a quarter counts for it; one late on 31 December counts for that year only.
    org = world.orgs["grid_branch"]
    healthy(org)
    admin = world.users["admin"]
    hold(admin, org, "members_meeting", at(2025, 12, 31, 22, 30), present_all=True)
    rows = found(2026, dt.date(2026, 4, 1), org, "no_meetings")
    assert rows and rows[0].evidence["missing"] == {"members_meeting": [1]}
    hold(admin, org, "members_meeting", at(2026, 3, 31, 22, 30), present_all=True)
    assert not found(2026, dt.date(2026, 4, 1), org, "no_meetings")
    hold(admin, org, "members_meeting", at(2026, 1, 1, 0, 30), present_all=True)
    # A meeting after the day judged on does not count.
    assert found(2026, dt.date(2026, 7, 1), org, "no_meetings")[0].evidence["missing"] == {
        "members_meeting": [2]
    }
    hold(admin, org, "members_meeting", at(2026, 6, 30, 23, 30), present_all=True)
    assert not found(2026, dt.date(2026, 7, 1), org, "no_meetings")
