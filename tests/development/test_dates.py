"""Typed dates are bounded: the public notice starts within weeks of step 12 (a 9999-12-31
start used to pass step 12 and make step 14 answer 500), a step is not dated before the party
was founded, a birth date not before 1900, and working-day arithmetic refuses a day past its
horizon with a ValidationError, never an OverflowError."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from dangjian.core import workdays
from dangjian.core.validators import (
    date_range_message,
    plan_ceiling,
    validate_date_in_range,
)
from dangjian.development import services
from dangjian.development.models import Applicant
from tests.development import helpers as h

pytestmark = pytest.mark.django_db
REVIEW = dt.date(2025, 3, 3)  # a Monday


def _take(world, a, n, day, **fields):
    with h.travel(h.NOW):
        return services.applicant_transition(
            actor=world.users["community"], applicant=a, action=str(n), when=day, **fields
        )


def _at_step_11(world, name="李申请"):
    return h.walk(world, h.applicant(world, name=name), 11, dt.date(2024, 1, 2))


# --- the public notice ------------------------------------------------------------------------


@pytest.mark.parametrize("start", [dt.date(9999, 12, 31), REVIEW + dt.timedelta(days=31)])
def test_notice_start_far_after_the_review_is_refused(world, start):
    a = _at_step_11(world)
    with pytest.raises(ValidationError) as exc:
        _take(world, a, 12, REVIEW, notice_start=start)
    assert exc.value.message_dict["notice_start"] == [
        "公示应在支部委员会审查后30日内开始，公示开始日期最晚可为2025年4月2日"
    ]
    a.refresh_from_db()
    assert a.step == 11 and a.notice_start is None


def test_notice_start_thirty_days_after_the_review_runs_through_step_15(world):
    a = _at_step_11(world)
    start = REVIEW + dt.timedelta(days=30)  # Wednesday 2 April 2025
    a = _take(world, a, 12, REVIEW, notice_start=start)
    assert a.notice_start == dt.date(2025, 4, 2)
    a = _take(world, a, 13, REVIEW, **h.fields_for(world, 13))
    # step 14 used to answer 500 when the notice started on 9999-12-31
    a = _take(world, a, 14, REVIEW, **h.fields_for(world, 14))
    assert a.step == 14
    earliest, _why = services.earliest_explained(a)
    # 5 working days from Wednesday 2 April: 2, 3, 7, 8, 9 (4 April is 清明)
    assert earliest == dt.date(2025, 4, 10)
    a = _take(world, a, 15, earliest, **h.fields_for(world, 15))
    assert a.step == 15


def test_notice_start_far_date_through_the_api(world, api):
    a = _at_step_11(world)
    with h.travel(h.NOW):
        r = api.post(
            world.users["community"],
            f"/api/v1/development/applicants/{a.pk}/transitions",
            {"action": "12", "date": "2025-03-03", "notice_start": "9999-12-31"},
        )
    assert r.status_code == 422
    assert r.json()["errors"]["notice_start"] == [
        "公示应在支部委员会审查后30日内开始，公示开始日期最晚可为2025年4月2日"
    ]
    assert Applicant.objects.get(pk=a.pk).step == 11


# --- step dates and birth dates -----------------------------------------------------------------


def test_step_date_not_before_the_party_was_founded(world):
    a = h.applicant(world)
    for day in (dt.date(1, 1, 1), dt.date(1921, 6, 30)):
        with pytest.raises(ValidationError) as exc:
            _take(world, a, 1, day)
        assert exc.value.message_dict["date"] == ["日期不能早于1921年7月1日"]
    a.refresh_from_db()
    assert a.step == 0


def test_birth_date_bounds(world):
    with pytest.raises(ValidationError) as exc:
        h.applicant(world, id_number="", gender="male", birth_date=dt.date(1899, 12, 31))
    assert exc.value.message_dict["birth_date"] == ["出生日期不能早于1900年1月1日"]
    with pytest.raises(ValidationError) as exc:
        h.applicant(world, id_number="", gender="male", birth_date=dt.date(9999, 12, 31))
    assert exc.value.message_dict["birth_date"][0].startswith("出生日期不能晚于今天")
    assert Applicant.objects.count() == 0
    a = h.applicant(world, id_number="", gender="male", birth_date=dt.date(1900, 1, 1))
    assert a.birth_date == dt.date(1900, 1, 1)


# --- working days: a horizon, never an overflow --------------------------------------------------


HORIZON_MESSAGE = "日期超出工作日的计算范围（1900年1月1日至2199年12月31日）"


def _refused(call):
    with pytest.raises(ValidationError) as exc:
        call()
    assert exc.value.messages == [HORIZON_MESSAGE]


def test_add_workdays_refuses_past_its_horizon(db):
    _refused(lambda: workdays.add_workdays(dt.date(9999, 12, 31), 5))
    _refused(lambda: workdays.add_workdays(dt.date(9999, 12, 31), 0))
    _refused(lambda: workdays.add_workdays(dt.date(1, 1, 1), 1))
    # crossing the horizon while counting
    _refused(lambda: workdays.add_workdays(dt.date(2199, 12, 30), 2))
    assert workdays.add_workdays(dt.date(2199, 12, 30), 1) == dt.date(2199, 12, 31)
    assert workdays.add_workdays(dt.date(2199, 12, 31), 0) == dt.date(2199, 12, 31)


def test_add_workhours_and_deadline_refuse_past_their_horizon(db):
    utc = dt.UTC
    _refused(lambda: workdays.add_workhours(dt.datetime(9999, 12, 31, 23, tzinfo=utc), 4))
    _refused(lambda: workdays.add_workhours(dt.datetime(1, 1, 1, 0, 0), 1))
    _refused(lambda: workdays.workday_deadline(dt.datetime(9999, 12, 31, 20, tzinfo=utc), 1))
    # Tuesday 31 December 2199, 17:00 + 1 office hour = 18:00 the same day
    tz = ZoneInfo("Asia/Shanghai")
    assert workdays.add_workhours(dt.datetime(2199, 12, 31, 17, tzinfo=tz), 1) == dt.datetime(
        2199, 12, 31, 18, tzinfo=tz
    )
    _refused(lambda: workdays.add_workhours(dt.datetime(2199, 12, 31, 17, tzinfo=tz), 2))


# --- the shared helper -----------------------------------------------------------------------------


def test_validate_date_in_range_both_sides_of_each_bound():
    low, high = dt.date(1921, 7, 1), dt.date(2030, 6, 1)
    validate_date_in_range(low, field="on", earliest=low, latest=high)
    validate_date_in_range(high, field="on", earliest=low, latest=high)
    validate_date_in_range(None, field="on", earliest=low, latest=high)
    with pytest.raises(ValidationError) as exc:
        validate_date_in_range(dt.date(1921, 6, 30), field="on", earliest=low, latest=high)
    assert exc.value.message_dict == {"on": ["日期不能早于1921年7月1日"]}
    with pytest.raises(ValidationError) as exc:
        validate_date_in_range(
            dt.date(2030, 6, 2), field="on", earliest=low, latest=high, label="报到日期"
        )
    assert exc.value.message_dict == {"on": ["报到日期不能晚于2030年6月1日"]}
    assert date_range_message(dt.datetime(9999, 12, 31, 23, 59), latest=high) == (
        "日期不能晚于2030年6月1日"
    )


def test_plan_ceiling_is_ten_years_ahead():
    assert plan_ceiling(dt.date(2026, 12, 6)) == dt.date(2036, 12, 6)
    assert plan_ceiling(dt.date(2028, 2, 29)) == dt.date(2038, 2, 28)
