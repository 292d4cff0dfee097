"""A member under 留党察看 on the session's day has no vote: left out of the entitled voters."""

import datetime as dt

import pytest

from dangjian.members.services import sanctions as sanction_services
from dangjian.orglife import services
from dangjian.orglife.models import Attendance
from tests.orglife.helpers import at, people, schedule

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 3, 1), dt.date(2026, 2, 28)


@pytest.fixture
def sanctioned(world, branch, ten):
    m = ten[0]
    sanction_services.sanction_record(
        actor=world.users["street"],
        member=m,
        kind="probation",
        decided_on=START,
        starts_on=START,
        ends_on=END,
        reason="违反组织纪律",
    )
    return m


@pytest.mark.parametrize(
    ("day", "barred"),
    [
        (START - dt.timedelta(days=1), False),
        (START, True),
        (END, True),
        (END + dt.timedelta(days=1), False),
    ],
)
def test_members_meeting_voters_leave_out_probation(
    secretary, branch, ten, sanctioned, day, barred
):
    people(branch, 1, status="probationary")
    s = schedule(secretary, branch, start=at(day.year, day.month, day.day))
    row = Attendance.objects.get(session=s, member=sanctioned)
    assert row.has_vote is (not barred)
    assert services.counts(s)["roster"] == 11  # still on the roster: a member attends
    assert services.counts(s)["entitled"] == (9 if barred else 10)


def test_committee_meeting_seat_without_a_vote(secretary, branch, ten, sanctioned):
    s = schedule(
        secretary,
        branch,
        session_type="committee_meeting",
        start=at(2025, 6, 1),
        committee_ids=[m.pk for m in ten[:3]],
    )
    votes = dict(Attendance.objects.filter(session=s).values_list("member_id", "has_vote"))
    assert votes == {ten[0].pk: False, ten[1].pk: True, ten[2].pk: True}
