"""The points and time-bank indicators of the scheme registry: the members' average points of
the year and the volunteer service hours per member, over the organization's subtree, read from
the stored awards and confirmed participations, each with its figure, source and points."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dangjian.assessment import indicators
from dangjian.assessment.models import IndicatorKind, Rating, Sector
from dangjian.assessment.services import rating as services
from dangjian.points.models import Award, AwardState
from dangjian.timebank.models import Participation, ParticipationState
from tests.assessment.rating_helpers import YEAR
from tests.orglife.helpers import people
from tests.points.helpers import member_scheme, resident_scheme, rule
from tests.timebank.helpers import order

pytestmark = pytest.mark.django_db
TODAY = dt.date(YEAR, 12, 20)


def _targets(world, *names):
    return [
        indicators.Target(o.pk, o.path, o.area_id, o.area.path, o.domain)
        for o in (world.orgs[n] for n in names)
    ]


def _award(world, scheme, r, member, points, on, state=AwardState.POSTED):
    return Award.objects.create(
        scheme=scheme,
        rule=r,
        user=world.users["member"],
        subject_name=member.name,
        org_path=member.org_path,
        source="manual",
        key=f"t-{member.pk}-{on}-{points}-{state}",
        points=Decimal(points),
        occurred_on=on,
        state=state,
        created_at=timezone.now(),
    )


def test_member_points_average_per_member_of_the_subtree(world):
    branch, group = world.orgs["grid_branch"], world.orgs["unit_group"]
    members = people(branch, 3) + people(group, 1)
    s, residents = member_scheme(world), resident_scheme(world)
    r, r2 = rule(world, s), rule(world, residents)
    _award(world, s, r, members[0], "12", dt.date(YEAR, 3, 1))
    _award(world, s, r, members[3], "8.5", dt.date(YEAR, 6, 1))  # a group below the branch
    # Not counted: last year, not yet posted, a residents' scheme.
    _award(world, s, r, members[1], "50", dt.date(YEAR - 1, 12, 31))
    _award(world, s, r, members[1], "50", dt.date(YEAR, 5, 1), state=AwardState.APPROVED)
    _award(world, residents, r2, members[2], "50", dt.date(YEAR, 5, 1))
    found = indicators.member_points(_targets(world, "grid_branch", "unit_group"), YEAR, TODAY)
    b = found[branch.pk]
    assert b.figure == f"党员4名，{YEAR}年记分20.50分，人均5.13分（满分线20分）"
    assert b.share == pytest.approx(5.13 / 20)
    assert b.source == "/points/"
    assert found[group.pk].figure.startswith(f"党员1名，{YEAR}年记分8.50分，人均8.50分")
    # At or above the full line the share is whole, never more.
    _award(world, s, r, members[0], "100", dt.date(YEAR, 7, 1))
    assert indicators.member_points(_targets(world, "grid_branch"), YEAR, TODAY)[
        branch.pk
    ].share == pytest.approx(1.0)
    empty = indicators.member_points(_targets(world, "village_branch"), YEAR, TODAY)
    assert empty[world.orgs["village_branch"].pk] == indicators.Found("无党员", 0.0, "/points/")


def _served(o, user, member, hours, when, state=ParticipationState.CONFIRMED):
    return Participation.objects.create(
        order=o,
        user=user,
        name=member.name,
        member=member,
        org_path=member.org_path,
        area_path=o.area_path,
        state=state,
        accepted_at=when,
        hours=Decimal(hours),
        confirmed_at=when if state == ParticipationState.CONFIRMED else None,
    )


def test_volunteer_hours_per_member_and_a_rating_line(world, settings):
    from tests.world import user as make_user

    branch = world.orgs["grid_branch"]
    members = people(branch, 4)
    o = order(world)
    at = timezone.make_aware(dt.datetime(YEAR, 4, 1, 10))
    users = [make_user(f"v-{i}") for i in range(4)]
    _served(o, users[0], members[0], "6", at)
    _served(o, users[1], members[1], "4", at)
    _served(o, users[2], members[2], "9", at, state=ParticipationState.CHECKED_OUT)
    old = order(world)
    _served(old, users[3], members[3], "9", at.replace(year=YEAR - 1))
    found = indicators.volunteer_hours(_targets(world, "grid_branch"), YEAR, TODAY)[branch.pk]
    assert found.figure == f"党员4名，{YEAR}年志愿服务10.00小时，人均2.50小时（满分线8小时）"
    assert found.share == pytest.approx(2.5 / 8)
    assert found.source.startswith("/timebank/hours/")
    # In a scheme: the line shows the figure, the source and weight × share as points.
    admin = world.users["admin"]
    sch = services.scheme_create(actor=admin, sector=Sector.COMMUNITY, year=YEAR)
    services.indicator_set(
        actor=admin,
        scheme=sch,
        code="volunteer",
        name="志愿服务",
        weight=8,
        kind=IndicatorKind.COMPUTED,
        computation="volunteer_hours",
    )
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    line = Rating.objects.get(org=branch, year=YEAR).lines.get(code="volunteer")
    assert (line.figure, line.points) == (found.figure, Decimal("2.50"))
    assert line.source == found.source
    # The full line is a threshold setting: changed, it applies from the next computation.
    settings.DANGJIAN = {**settings.DANGJIAN, "RATE_SERVICE_HOURS_FULL": "2"}
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    assert Rating.objects.get(org=branch, year=YEAR).lines.get(code="volunteer").points == 8
