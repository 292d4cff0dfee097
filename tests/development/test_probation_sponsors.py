"""留党察看 in development: a sponsor under it on the step's date is refused (the rule named);
the branch meeting's registry count of members with a vote leaves them out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.development import step_fields
from dangjian.members.services import sanctions as sanction_services
from tests.development import helpers as h
from tests.development.test_rules import _at_step_8, errors_of, take, unchanged

pytestmark = pytest.mark.django_db

D = dt.date(2026, 1, 6)  # the day of step 9
DAY = dt.timedelta(days=1)


def probation(world, m, start, end):
    with h.travel(h.NOW):
        sanction_services.sanction_record(
            actor=world.users["admin"],
            member=m,
            kind="probation",
            decided_on=start,
            starts_on=start,
            ends_on=end,
            reason="违反组织纪律",
        )


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        (D + DAY, D + 365 * DAY, False),  # the step is the day before the period starts
        (D, D + 364 * DAY, True),  # its first day
        (D - 364 * DAY, D, True),  # its last day
        (D - 365 * DAY, D - DAY, False),  # the day after it ended
    ],
)
def test_sponsor_under_probation_on_the_day(world, start, end, refused):
    good, sanctioned = h.full_members(world, 2, prefix="介绍人")
    probation(world, sanctioned, start, end)
    a = _at_step_8(world)
    if refused:
        with pytest.raises(ValidationError) as exc:
            take(world, a, 9, D, sponsors=[good.pk, sanctioned.pk])
        assert errors_of(exc)["sponsors"] == [
            f"{sanctioned.name}正在留党察看期间，不符合“受留党察看处分的党员在察看期间"
            "不能作入党介绍人”的规定"
        ]
        unchanged(a, 8)
    else:
        a = take(world, a, 9, D, sponsors=[good.pk, sanctioned.pk])
        assert a.step == 9 and a.people.filter(role="sponsor").count() == 2


def test_registry_count_leaves_out_probation(world):
    branch = world.orgs["grid_branch"]
    m = h.full_members(world, 1, prefix="察看")[0]
    total = step_fields.registry_full_members(branch.path, D)
    probation(world, m, D, D + 364 * DAY)
    assert step_fields.registry_full_members(branch.path, D - DAY) == total
    assert step_fields.registry_full_members(branch.path, D) == total - 1
    assert step_fields.registry_full_members(branch.path, D + 364 * DAY) == total - 1
    assert step_fields.registry_full_members(branch.path, D + 365 * DAY) == total


def test_branch_meeting_vote_counts_voters_without_probation(world):
    from tests.development.test_rules import VOTE

    a = h.walk(world, h.applicant(world), 14, dt.date(2025, 1, 6))
    day = h.earliest_for(a)
    branch_path = a.org_path
    total = step_fields.registry_full_members(branch_path, day)
    m = h.full_members(world, 1, prefix="察看")[0]  # one more full member, under probation
    probation(world, m, day, day + 364 * DAY)
    assert step_fields.registry_full_members(branch_path, day) == total
    a = take(world, a, 15, day, **{**VOTE, "entitled": total, "present": total, "yes": total})
    assert a.step == 15 and a.last_warnings == []
    b = h.walk(world, h.applicant(world, name="王申请"), 14, dt.date(2025, 1, 6))
    n = total + 1  # counting the member under probation: warned
    b = take(world, b, 15, h.earliest_for(b), **{**VOTE, "entitled": n, "present": n, "yes": n})
    assert b.last_warnings == [
        f"有表决权的正式党员人数（{n}）与党员名册中本组织有表决权的正式党员人数"
        f"（{total}，不含留党察看期间的党员）不一致，请核实"
    ]
