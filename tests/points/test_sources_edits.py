"""Editing or replaying a source never counts twice (issue 16): a source row the next sweep reads
again (an attendance row touched after the sweep, a volunteer's hours corrected, an event closed
as solved, a household visit) keeps its one award; a replay from the beginning writes nothing.
And the household-visit collector reads real visit records, to the one who went."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from dangjian.cases.visits import services as visits
from dangjian.core import ledger
from dangjian.core.models import LedgerTransaction
from dangjian.orglife.models import Attendance
from dangjian.points import services
from dangjian.points.models import Award, SweepMark
from dangjian.timebank import services as timebank
from dangjian.timebank.models import Participation
from tests.orglife.helpers import hold, member_user, people
from tests.points.helpers import member_scheme, resident_scheme, rule
from tests.timebank.helpers import helper, move, order

pytestmark = pytest.mark.django_db


def _replay_writes_nothing():
    txns, awards = LedgerTransaction.objects.count(), Award.objects.count()
    assert sum(services.collect().values()) == 0
    SweepMark.objects.update(watermark=None)
    assert sum(services.collect().values()) == 0
    assert (LedgerTransaction.objects.count(), Award.objects.count()) == (txns, awards)
    assert ledger.verify("points") == []


def test_an_attendance_row_edited_after_the_sweep_keeps_its_one_award(world):
    s = member_scheme(world)
    rule(world, s, name="参加组织生活", source="orglife.attendance", points="2")
    branch = world.orgs["grid_branch"]
    members = people(branch, 2)
    users = [member_user(m) for m in members]
    hold(
        world.users["community"],
        branch,
        "members_meeting",
        timezone.now() - dt.timedelta(days=2),
        present_all=True,
    )
    assert services.collect(only=["orglife.attendance"]) == {"orglife.attendance": 2}
    row = Attendance.objects.get(member=members[0])
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1), tick=False):
        row.save()  # touched again: its updated_at is past the sweep's watermark
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2), tick=False):
        assert services.collect(only=["orglife.attendance"]) == {"orglife.attendance": 0}
        _replay_writes_nothing()
    assert [a.points for a in Award.objects.filter(user=users[0])] == [Decimal("2.00")]


def test_hours_corrected_after_the_award_never_count_twice(world):
    s = member_scheme(world)
    rule(world, s, name="志愿服务", source="timebank.hours", points="2")
    volunteer = helper(world, "志愿者乙")
    o = order(world)
    move(world.users["community"], o, "dispatch", open_to_checked_in=True)
    move(volunteer, o, "accept")
    start = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        move(volunteer, o, "check_in")
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        move(volunteer, o, "check_out")
        move(world.users["resident"], o, "confirm", rating=5)
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        assert services.collect(only=["timebank.hours"]) == {"timebank.hours": 1}
        timebank.participation_correct(
            actor=world.users["community"],
            participation=Participation.objects.get(order=o),
            hours="3.00",
            reason="签退延迟，核实为3小时",
        )
    with time_machine.travel(start + dt.timedelta(hours=4), tick=False):
        _replay_writes_nothing()
    # The award keeps what it was posted with: the key (source, rule, subject) is taken.
    assert [a.points for a in Award.objects.filter(user=volunteer)] == [Decimal("4.00")]


def test_a_solved_event_replayed_counts_once(world):
    from dangjian.cases.models import Event
    from tests.cases.helpers import ensure_taxonomy, report

    ensure_taxonomy()
    s = resident_scheme(world)
    rule(world, s, name="随手拍", source="cases.solved", points="3")
    ev = report(world.users["resident"])
    Event.objects.filter(pk=ev.pk).update(
        state="closed", resolution="solved", closed_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert services.collect(only=["cases.solved"]) == {"cases.solved": 1}
    # Closed again later (reopened and solved once more): read again, counted once.
    Event.objects.filter(pk=ev.pk).update(closed_at=timezone.now() + dt.timedelta(minutes=1))
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1), tick=False):
        assert services.collect(only=["cases.solved"]) == {"cases.solved": 0}
        _replay_writes_nothing()
    assert Award.objects.get().points == Decimal("3.00")


def test_a_household_visit_awards_the_visitor_once(world):
    s = member_scheme(world)
    rule(world, s, name="入户走访", source="cases.visit", points="1.5")
    visitor = helper(world, "走访党员", checked_in=False)
    grid = world.users["grid"]
    team = visits.team_create(
        actor=world.users["community"],
        area=world.nodes["community"],
        name="龙桥社区第一走访组",
        member_ids=[visitor.pk],
        staff_ids=[grid.pk],
    )
    visits.visit_record(
        actor=grid,
        team=team,
        visited_on=timezone.localdate(),
        area=world.nodes["unit"],
        household_label="502室",
        notes="了解老人用药情况",
        visitor_ids=[visitor.pk, grid.pk],
    )
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        assert services.collect(only=["cases.visit"]) == {"cases.visit": 1}
        _replay_writes_nothing()
    award = Award.objects.get()
    assert (award.user_id, award.points, award.source) == (
        visitor.pk,
        Decimal("1.50"),
        "cases.visit",
    )
