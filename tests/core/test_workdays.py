import datetime as dt
import importlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangjian.core import workdays
from dangjian.core.models import AuditEntry, Holiday, HolidayYear
from dangjian.core.workdays import (
    add_workdays,
    add_workhours,
    fallback_warning,
    holiday_year_set,
    is_workday,
    workday_deadline,
    years_without_data,
)

SH = ZoneInfo("Asia/Shanghai")
D = dt.date
CC_YEARS = {d.year for d in chinese_calendar.holidays}

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def seeded():
    """The table as the migration leaves it (seeding again is a no-op then)."""
    workdays.clear_cache()
    workdays.seed_from_chinese_calendar()
    yield
    workdays.clear_cache()


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create(username="holiday_admin")


# --- seeding -------------------------------------------------------------------------------


def test_migration_seeded_the_table_and_seeding_is_idempotent():
    assert HolidayYear.objects.filter(year=2025, source="chinese_calendar").exists()
    assert Holiday.objects.get(date=D(2025, 10, 1)).name == "国庆节"
    assert Holiday.objects.get(date=D(2025, 9, 28)).is_workday is True
    assert workdays.seed_from_chinese_calendar() == 0


def test_migration_function_matches_the_service():
    migration = importlib.import_module("dangjian.core.migrations.0002_seed_holidays")
    Holiday.objects.all().delete()
    HolidayYear.objects.all().delete()

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    from django.apps import apps

    migration.seed(apps, editor)
    assert set(HolidayYear.objects.values_list("year", flat=True)) == CC_YEARS
    assert workdays.seed_from_chinese_calendar() == 0
    migration.seed(apps, editor)  # again: nothing doubled
    assert workdays.seed_from_chinese_calendar() == 0


def test_only_exceptions_to_monday_to_friday_are_stored():
    for h in Holiday.objects.all():
        assert (h.date.weekday() >= 5) == h.is_workday, h.date


def test_seeding_restores_a_damaged_year_but_leaves_manual_years_alone(admin):
    Holiday.objects.filter(date=D(2024, 10, 1)).delete()
    Holiday.objects.create(date=D(2024, 3, 5), is_workday=False, name="bogus")
    holiday_year_set(actor=admin, year=2025, holidays=[(D(2025, 10, 1), "国庆节")], workdays=[])
    assert workdays.seed_from_chinese_calendar() == 2
    assert Holiday.objects.filter(date=D(2024, 10, 1)).exists()
    assert not Holiday.objects.filter(date=D(2024, 3, 5)).exists()
    assert HolidayYear.objects.get(year=2025).source == "manual"
    assert is_workday(D(2025, 10, 2))


# --- working days --------------------------------------------------------------------------


def test_national_day_2025():
    assert add_workdays(D(2025, 9, 30), 1) == D(2025, 10, 9)
    for day in range(1, 9):
        assert not is_workday(D(2025, 10, day))
    assert is_workday(D(2025, 10, 9))


def test_make_up_workdays_count():
    assert D(2025, 9, 28).weekday() == 6 and D(2025, 10, 11).weekday() == 5
    assert is_workday(D(2025, 9, 28))
    assert is_workday(D(2025, 10, 11))
    assert add_workdays(D(2025, 9, 26), 1) == D(2025, 9, 28)  # Friday → Sunday make-up day
    assert add_workdays(D(2025, 10, 10), 1) == D(2025, 10, 11)  # Friday → Saturday make-up day
    assert add_workdays(D(2025, 10, 11), 1) == D(2025, 10, 13)


@pytest.mark.skipif(2026 not in CC_YEARS, reason="chinese_calendar has no 2026 schedule")
def test_spring_festival_2026():
    assert not is_workday(D(2026, 2, 16))
    assert not is_workday(D(2026, 2, 23))
    assert is_workday(D(2026, 2, 14))  # Saturday make-up day
    assert add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_workdays(D(2026, 2, 13), 2) == D(2026, 2, 24)


def test_zero_and_negative():
    assert add_workdays(D(2025, 10, 9), 0) == D(2025, 10, 9)
    assert add_workdays(D(2025, 10, 1), 0) == D(2025, 10, 9)
    assert add_workdays(D(2025, 6, 14), 0) == D(2025, 6, 16)  # Saturday → Monday
    with pytest.raises(ValueError):
        add_workdays(D(2025, 6, 10), -1)


def test_thirteen_working_days_in_a_few_queries(django_assert_max_num_queries):
    workdays.clear_cache()
    with django_assert_max_num_queries(4):
        assert add_workdays(D(2025, 9, 25), 13) == D(2025, 10, 20)
    with django_assert_max_num_queries(0):
        add_workdays(D(2025, 9, 25), 13)


def test_year_without_data_falls_back_to_monday_to_friday():
    assert 2031 not in CC_YEARS
    assert is_workday(D(2031, 1, 1))  # would be New Year's Day, but nothing is entered
    assert not is_workday(D(2031, 1, 4))  # Saturday
    assert add_workdays(D(2031, 1, 3), 1) == D(2031, 1, 6)
    warning = fallback_warning(2031)
    assert warning == "2031年节假日安排尚未录入，按周一至周五计算工作日，请管理员录入当年安排"
    assert fallback_warning(2025) is None
    assert years_without_data([2025, 2031, 2030, 2031]) == [2030, 2031]


def test_across_years():
    assert add_workdays(D(2024, 12, 31), 1) == D(2025, 1, 2)  # 2025-01-01 is a holiday


# --- office hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "end"),
    [
        (at(2025, 6, 10, 11, 0), 2, at(2025, 6, 10, 15, 0)),  # across lunch
        (at(2025, 6, 10, 17, 0), 2, at(2025, 6, 11, 9, 30)),  # across a night
        (at(2025, 9, 30, 17, 0), 2, at(2025, 10, 9, 9, 30)),  # across National Day
        (at(2025, 6, 13, 17, 30), 1, at(2025, 6, 16, 9, 0)),  # across a weekend
        (at(2025, 9, 27, 10, 0), 1, at(2025, 9, 28, 9, 30)),  # Saturday → Sunday make-up day
        (at(2025, 6, 10, 7, 0), 1, at(2025, 6, 10, 9, 30)),  # before office hours
        (at(2025, 6, 10, 12, 30), 1, at(2025, 6, 10, 15, 0)),  # during lunch
        (at(2025, 6, 10, 20, 0), 1, at(2025, 6, 11, 9, 30)),  # evening
        (at(2025, 6, 10, 8, 30), 3.5, at(2025, 6, 10, 12, 0)),  # ends at a period's end
        (at(2025, 6, 10, 8, 30), 7.5, at(2025, 6, 10, 18, 0)),  # one full working day
        (at(2025, 6, 10, 8, 30), 8, at(2025, 6, 11, 9, 0)),
        (at(2025, 6, 10, 9, 0), Decimal("1.25"), at(2025, 6, 10, 10, 15)),
        (at(2025, 6, 10, 9, 0), 0, at(2025, 6, 10, 9, 0)),
    ],
)
def test_add_workhours(start, hours, end):
    result = add_workhours(start, hours)
    assert result == end
    assert result.utcoffset() == dt.timedelta(hours=8)


def test_add_workhours_takes_any_time_zone():
    start = dt.datetime(2025, 6, 10, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
    assert add_workhours(start, 2) == at(2025, 6, 10, 15, 0)


def test_add_workhours_rejects_negative_hours():
    with pytest.raises(ValueError):
        add_workhours(at(2025, 6, 10, 9, 0), -1)


def test_workday_deadline():
    assert workday_deadline(at(2025, 9, 30, 10, 0), 1) == at(2025, 10, 9, 18, 0)
    assert workday_deadline(at(2025, 6, 10, 10, 0), 3) == at(2025, 6, 13, 18, 0)
    # 01:00 on 30 September in Shanghai is still 29 September in UTC
    late = dt.datetime(2025, 9, 29, 17, 0, tzinfo=dt.UTC)
    assert workday_deadline(late, 1) == at(2025, 10, 9, 18, 0)
    assert workday_deadline(at(2025, 6, 10, 10, 0), 13) == at(2025, 6, 27, 18, 0)


def test_same_day_deadline_is_never_in_the_past():
    # Before the close: today's close. At or after it: the next working day's close, and a
    # Friday evening before the National Day week lands after the holiday.
    assert workday_deadline(at(2025, 6, 10, 17, 59), 0) == at(2025, 6, 10, 18, 0)
    assert workday_deadline(at(2025, 6, 10, 18, 0), 0) == at(2025, 6, 11, 18, 0)
    assert workday_deadline(at(2025, 6, 10, 21, 30), 0) == at(2025, 6, 11, 18, 0)
    assert workday_deadline(at(2025, 9, 30, 19, 0), 0) == at(2025, 10, 9, 18, 0)


def test_office_hours_come_from_settings(settings):
    settings.DANGJIAN = {
        **settings.DANGJIAN,
        "OFFICE_HOURS": (((9, 0), (17, 0)),),
        "OFFICE_CLOSE": (17, 0),
    }
    assert add_workhours(at(2025, 6, 10, 16, 0), 2) == at(2025, 6, 11, 10, 0)
    assert workday_deadline(at(2025, 6, 10, 10, 0), 1) == at(2025, 6, 11, 17, 0)


# --- entering a year -----------------------------------------------------------------------


def test_holiday_year_set_replaces_the_year_and_is_audited(admin):
    holiday_year_set(
        actor=admin,
        year=2031,
        holidays=[(D(2031, 1, 1), "元旦"), (D(2031, 1, 2), "元旦")],
        workdays=[(D(2031, 1, 4), "元旦调休上班")],
    )
    assert not is_workday(D(2031, 1, 1))
    assert is_workday(D(2031, 1, 4))
    assert fallback_warning(2031) is None
    assert HolidayYear.objects.get(year=2031).source == "manual"
    entry = AuditEntry.objects.get(action="holiday.set_year")
    assert entry.actor_id == admin.pk
    assert (entry.object_type, entry.object_id, entry.object_repr) == (
        "core.holidayyear",
        "2031",
        "2031年节假日",
    )
    assert entry.before is None
    assert entry.after["holidays"] == [["2031-01-01", "元旦"], ["2031-01-02", "元旦"]]
    assert entry.after["workdays"] == [["2031-01-04", "元旦调休上班"]]

    holiday_year_set(actor=admin, year=2031, holidays=[(D(2031, 5, 1), "劳动节")], workdays=[])
    assert is_workday(D(2031, 1, 1))
    assert not is_workday(D(2031, 1, 4))
    assert not is_workday(D(2031, 5, 1))
    assert Holiday.objects.filter(date__year=2031).count() == 1
    second = AuditEntry.objects.filter(action="holiday.set_year").order_by("-id").first()
    assert second.before["holidays"] == [["2031-01-01", "元旦"], ["2031-01-02", "元旦"]]
    assert second.after["holidays"] == [["2031-05-01", "劳动节"]]


def test_holiday_year_set_can_replace_a_seeded_year(admin):
    assert not is_workday(D(2025, 10, 2))
    holiday_year_set(actor=admin, year=2025, holidays=[(D(2025, 10, 1), "国庆节")], workdays=[])
    assert is_workday(D(2025, 10, 2))
    assert not is_workday(D(2025, 10, 1))
    assert not is_workday(D(2025, 9, 28))  # the make-up Sunday is gone with the old schedule
    assert Holiday.objects.filter(date__year=2024).exists()  # other years untouched


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"holidays": [(D(2030, 12, 31), "x")], "workdays": []},
            "holidays",
            "2030-12-31不在2031年内",
        ),
        (
            {"holidays": [(D(2031, 1, 4), "元旦")], "workdays": []},
            "holidays",
            "2031-01-04（周六）是周末，本来就不上班，无需作为节假日录入",
        ),
        (
            {"holidays": [], "workdays": [(D(2031, 1, 3), "调休")]},
            "workdays",
            "2031-01-03（周五）不是周末，不能作为调休上班日",
        ),
        (
            {"holidays": [(D(2031, 1, 1), "元旦"), (D(2031, 1, 1), "元旦")], "workdays": []},
            "holidays",
            "2031-01-01重复录入",
        ),
        (
            {"holidays": [("2031-01-01", "元旦")], "workdays": []},
            "holidays",
            "节假日中的日期格式无效：2031-01-01",
        ),
        (
            {"holidays": [(D(2031, 1, 1), "元" * 51)], "workdays": []},
            "holidays",
            "2031-01-01的名称不能超过50个字",
        ),
    ],
)
def test_holiday_year_set_rejects_bad_input(admin, kwargs, field, message):
    with pytest.raises(ValidationError) as info:
        holiday_year_set(actor=admin, year=2031, **kwargs)
    assert message in info.value.message_dict[field]
    assert not HolidayYear.objects.filter(year=2031).exists()
    assert not Holiday.objects.filter(date__year=2031).exists()
    assert not AuditEntry.objects.filter(action="holiday.set_year").exists()


def test_holiday_year_set_rejects_a_bad_year(admin):
    with pytest.raises(ValidationError) as info:
        holiday_year_set(actor=admin, year=1800, holidays=[], workdays=[])
    assert info.value.message_dict["year"] == ["年份无效"]


def test_holiday_year_set_reports_every_bad_row(admin):
    with pytest.raises(ValidationError) as info:
        holiday_year_set(
            actor=admin,
            year=2031,
            holidays=[(D(2031, 1, 4), "a"), (D(2032, 1, 1), "b")],
            workdays=[(D(2031, 1, 6), "c")],
        )
    errors = info.value.message_dict
    assert len(errors["holidays"]) == 2
    assert len(errors["workdays"]) == 1
