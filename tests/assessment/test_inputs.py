"""The inputs the recomputation's steps share: read once per recomputation, never kept
across runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.assessment import inputs
from dangjian.assessment.models import MemberWarning, Rating, RatingLine
from dangjian.assessment.recompute import assessment_recompute
from dangjian.assessment.services.rating import ratings_compute
from dangjian.assessment.services.warnings import warnings_recompute
from dangjian.dues import calc
from tests.assessment.rating_helpers import scheme
from tests.dues.helpers import dues_member, pay

pytestmark = pytest.mark.django_db


def _behind(world, months: int):
    start = calc.add_months(calc.month_of(timezone.localdate()), -months)
    return dues_member(world, month=start.strftime("%Y-%m")), start


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_dues_statuses_are_read_once_within_a_recomputation(world):
    m, _ = _behind(world, 3)
    day = timezone.localdate()
    with inputs.shared():
        first = inputs.dues_statuses(day)
        assert _queries(lambda: inputs.dues_statuses(day)) == 0
        assert inputs.dues_statuses(day) is first
        assert _queries(lambda: inputs.dues_statuses(day - dt.timedelta(days=1))) > 0
    assert len(first[m.pk].streak) == 3


def test_outside_a_recomputation_each_read_is_afresh(world):
    m, start = _behind(world, 3)
    day = timezone.localdate()
    assert len(inputs.dues_statuses(day)[m.pk].streak) == 3
    pay(world, m, [calc.add_months(start, k).strftime("%Y-%m") for k in range(3)])
    assert inputs.dues_statuses(day)[m.pk].streak == []


def test_the_steps_that_share_the_statuses_answer_as_each_alone(world):
    # The rating's dues line and the member's warning, computed by the recomputation (one
    # read of the statuses), are what the steps compute when run alone.
    m, _ = _behind(world, 3)
    year = timezone.localdate().year
    scheme(world.users["admin"], year=year)
    assessment_recompute(year=year)
    r = Rating.objects.get(org=world.orgs["grid_branch"], year=year)
    shared = r.lines.get(code="dues").figure
    assert "连续3个月以上未交1名" in shared
    assert MemberWarning.objects.get(member=m, active=True).rule == "dues_arrears"
    MemberWarning.objects.all().delete()
    RatingLine.objects.filter(rating=r).update(figure="")
    ratings_compute(year=year)
    warnings_recompute()
    assert r.lines.get(code="dues").figure == shared
    assert MemberWarning.objects.get(member=m, active=True).rule == "dues_arrears"
