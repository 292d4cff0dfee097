"""Working days and office hours over the editable holiday table.

A ``Holiday`` row is an exception to the Monday–Friday rule: a statutory holiday on a weekday
(``is_workday=False``) or a make-up workday (调休) on a weekend (``is_workday=True``). A year
with a ``HolidayYear`` row has its official schedule in the table; a year without one falls
back to Monday–Friday, and ``fallback_warning`` says so until an administrator enters it.

Each year's exceptions are cached in-process (a few hundred bytes a year). The services here
clear the cache; other processes (the worker) pick up a change within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangjian.core import audit
from dangjian.core.conf import setting
from dangjian.core.models import Holiday, HolidayYear

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
CACHE_SECONDS = 300
MAX_NAME_LENGTH = 50
DEFAULT_OFFICE_HOURS = (((8, 30), (12, 0)), ((14, 0), (18, 0)))
DEFAULT_OFFICE_CLOSE = (18, 0)

# Working days are counted up to this day: a later start or result is a typed date gone wrong
# (9999-12-31), refused as a ValidationError instead of overflowing the date type.
HORIZON = dt.date(2199, 12, 31)
FLOOR = dt.date(1900, 1, 1)

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass
class _YearData:
    has_data: bool
    exceptions: dict[dt.date, bool] = field(default_factory=dict)
    loaded_at: float = 0.0


_cache: dict[int, _YearData] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every cached year (after an edit, and in tests)."""
    with _cache_lock:
        _cache.clear()


def _year(year: int) -> _YearData:
    data = _cache.get(year)
    now = time.monotonic()
    if data is not None and now - data.loaded_at < CACHE_SECONDS:
        return data
    has_data = HolidayYear.objects.filter(year=year).exists()
    exceptions = dict(
        Holiday.objects.filter(
            date__gte=dt.date(year, 1, 1), date__lt=dt.date(year + 1, 1, 1)
        ).values_list("date", "is_workday")
    )
    data = _YearData(has_data=has_data, exceptions=exceptions, loaded_at=now)
    with _cache_lock:
        _cache[year] = data
    return data


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return _local(value).date()
    return value


def _local(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware datetime in office time (a naive one is taken as office time)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=OFFICE_TZ)
    return value.astimezone(OFFICE_TZ)


# --- working days --------------------------------------------------------------------------


def _beyond_horizon() -> ValidationError:
    return ValidationError(
        gettext("日期超出工作日的计算范围（%(floor)s至%(day)s）")
        % {
            "floor": f"{FLOOR.year}年{FLOOR.month}月{FLOOR.day}日",
            "day": f"{HORIZON.year}年{HORIZON.month}月{HORIZON.day}日",
        },
        code="workday_horizon",
    )


def _within_horizon(d: dt.date) -> dt.date:
    if not FLOOR <= d <= HORIZON:
        raise _beyond_horizon()
    return d


def _start_within_horizon(start: dt.date | dt.datetime) -> None:
    """Refuse a start out of range before any time-zone arithmetic can overflow on it."""
    day = start.replace(tzinfo=None).date() if isinstance(start, dt.datetime) else start
    _within_horizon(day)


def is_workday(d: dt.date) -> bool:
    """Whether ``d`` is a working day: the table's exception, else Monday–Friday."""
    d = _local_date(d)
    exception = _year(d.year).exceptions.get(d)
    if exception is not None:
        return exception
    return d.weekday() < 5


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start``; for ``n == 0``, ``start`` itself if it is a
    working day, else the next one."""
    if n < 0:
        raise ValueError("n must not be negative")
    _start_within_horizon(start)
    d = _within_horizon(_local_date(start))
    if n == 0:
        while not is_workday(d):
            d = _within_horizon(d + dt.timedelta(days=1))
        return d
    one = dt.timedelta(days=1)
    while n:
        d = _within_horizon(d + one)
        if is_workday(d):
            n -= 1
    return d


def _office_periods() -> list[tuple[dt.time, dt.time]]:
    periods = setting("OFFICE_HOURS", DEFAULT_OFFICE_HOURS)
    return [(dt.time(*start), dt.time(*end)) for start, end in periods]


def _office_close() -> dt.time:
    return dt.time(*setting("OFFICE_CLOSE", DEFAULT_OFFICE_CLOSE))


def add_workhours(start: dt.datetime, hours: float | Decimal) -> dt.datetime:
    """The moment ``hours`` of office hours on working days after ``start``.

    Time outside office hours does not count. Ending exactly at the end of a period gives
    that end (12:00, 18:00), not the start of the next one. Aware in, aware (office time) out.
    """
    amount = Decimal(str(hours)) if not isinstance(hours, Decimal) else hours
    if amount < 0:
        raise ValueError("hours must not be negative")
    _start_within_horizon(start)
    remaining = dt.timedelta(microseconds=int((amount * 3_600_000_000).to_integral_value()))
    local = _local(start)
    if not remaining:
        return local
    periods = _office_periods()
    cur = local.replace(tzinfo=None)
    while True:
        day = cur.date()
        if is_workday(day):
            for p_start, p_end in periods:
                begin = max(cur, dt.datetime.combine(day, p_start))
                end = dt.datetime.combine(day, p_end)
                if begin >= end:
                    continue
                available = end - begin
                if remaining <= available:
                    return (begin + remaining).replace(tzinfo=OFFICE_TZ)
                remaining -= available
                cur = end
        cur = dt.datetime.combine(_within_horizon(day + dt.timedelta(days=1)), dt.time(0, 0))


def workday_deadline(start: dt.datetime, n: int) -> dt.datetime:
    """The close of office hours on ``add_workdays(start's office date, n)``.

    "Same day" (``n == 0``) asked at or after the close is the close of the next working day,
    never a moment already past."""
    _start_within_horizon(start)
    day = add_workdays(_local_date(start), n)
    deadline = dt.datetime.combine(day, _office_close(), tzinfo=OFFICE_TZ)
    if isinstance(start, dt.datetime) and deadline <= start:
        day = add_workdays(day + dt.timedelta(days=1), 0)
        deadline = dt.datetime.combine(day, _office_close(), tzinfo=OFFICE_TZ)
    return deadline


def has_data(year: int) -> bool:
    return _year(year).has_data


def years_without_data(years) -> list[int]:
    """Those of ``years`` the holiday table holds no official schedule for, sorted."""
    return sorted({int(y) for y in years if not _year(int(y)).has_data})


def fallback_warning(year: int) -> str | None:
    """A warning to show when ``year`` falls back to Monday–Friday; None when it has data."""
    if _year(year).has_data:
        return None
    return gettext("%(year)s年节假日安排尚未录入，按周一至周五计算工作日，请管理员录入当年安排") % {
        "year": year
    }


# --- seeding and editing -------------------------------------------------------------------


def chinese_calendar_schedule() -> dict[int, dict[dt.date, tuple[bool, str]]]:
    """The exceptions the installed ``chinese_calendar`` knows, by year: weekday holidays and
    weekend make-up workdays, with Chinese names."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday as CCHoliday

    def chinese(name: str) -> str:
        try:
            return CCHoliday(name).chinese
        except ValueError:
            return name

    out: dict[int, dict[dt.date, tuple[bool, str]]] = {}
    for d in chinese_calendar.holidays:
        out.setdefault(d.year, {})
    for d, name in chinese_calendar.holidays.items():
        if d.weekday() < 5:
            out[d.year][d] = (False, chinese(name)[:MAX_NAME_LENGTH])
    for d, name in chinese_calendar.workdays.items():
        if d.weekday() >= 5:
            out.setdefault(d.year, {})[d] = (True, (chinese(name) + "调休上班")[:MAX_NAME_LENGTH])
    return out


def seed_from_chinese_calendar() -> int:
    """Fill the table for every year ``chinese_calendar`` covers, leaving years an
    administrator entered alone. Idempotent; returns the number of rows written or removed."""
    schedule = chinese_calendar_schedule()
    if not schedule:
        return 0
    changed = 0
    with transaction.atomic():
        years = sorted(schedule)
        manual = set(
            HolidayYear.objects.filter(year__in=years)
            .exclude(source=HolidayYear.Source.CHINESE_CALENDAR)
            .values_list("year", flat=True)
        )
        wanted = {
            d: row
            for year, rows in schedule.items()
            if year not in manual
            for d, row in rows.items()
        }
        existing = {
            h.date: h
            for h in Holiday.objects.filter(
                date__gte=dt.date(years[0], 1, 1), date__lt=dt.date(years[-1] + 1, 1, 1)
            )
            if h.date.year not in manual
        }
        stale = [h.pk for d, h in existing.items() if d not in wanted]
        if stale:
            Holiday.objects.filter(pk__in=stale).delete()
            changed += len(stale)
        new, updated = [], []
        for d, (is_work, name) in wanted.items():
            h = existing.get(d)
            if h is None:
                new.append(Holiday(date=d, is_workday=is_work, name=name))
            elif h.is_workday != is_work or h.name != name:
                h.is_workday, h.name = is_work, name
                updated.append(h)
        Holiday.objects.bulk_create(new, batch_size=500)
        Holiday.objects.bulk_update(updated, ["is_workday", "name"], batch_size=500)
        changed += len(new) + len(updated)
        have = set(HolidayYear.objects.filter(year__in=years).values_list("year", flat=True))
        missing = [
            HolidayYear(year=y, source=HolidayYear.Source.CHINESE_CALENDAR)
            for y in years
            if y not in have
        ]
        HolidayYear.objects.bulk_create(missing)
        changed += len(missing)
        transaction.on_commit(clear_cache)
    clear_cache()
    return changed


def _day_label(d: dt.date) -> str:
    return f"{d.isoformat()}（{WEEKDAY_NAMES[d.weekday()]}）"


def _clean_days(
    rows, *, year: int, want_weekend: bool, label, errors: list[str]
) -> list[tuple[dt.date, str]]:
    out = []
    for row in rows or []:
        try:
            d, name = row
        except (TypeError, ValueError):
            errors.append(gettext("%(label)s每项应为（日期, 名称）") % {"label": label})
            continue
        if not isinstance(d, dt.date) or isinstance(d, dt.datetime):
            errors.append(
                gettext("%(label)s中的日期格式无效：%(value)s") % {"label": label, "value": d}
            )
            continue
        name = (name or "").strip() if isinstance(name, str) else str(name or "")
        if d.year != year:
            errors.append(gettext("%(day)s不在%(year)s年内") % {"day": d.isoformat(), "year": year})
            continue
        weekend = d.weekday() >= 5
        if want_weekend and not weekend:
            errors.append(gettext("%(day)s不是周末，不能作为调休上班日") % {"day": _day_label(d)})
            continue
        if not want_weekend and weekend:
            errors.append(
                gettext("%(day)s是周末，本来就不上班，无需作为节假日录入") % {"day": _day_label(d)}
            )
            continue
        if len(name) > MAX_NAME_LENGTH:
            errors.append(
                gettext("%(day)s的名称不能超过%(max)s个字")
                % {"day": d.isoformat(), "max": MAX_NAME_LENGTH}
            )
            continue
        out.append((d, name))
    return out


def _year_rows(year: int) -> tuple[list[list[str]], list[list[str]]]:
    rows = Holiday.objects.filter(
        date__gte=dt.date(year, 1, 1), date__lt=dt.date(year + 1, 1, 1)
    ).order_by("date")
    holidays = [[h.date.isoformat(), h.name] for h in rows if not h.is_workday]
    workdays = [[h.date.isoformat(), h.name] for h in rows if h.is_workday]
    return holidays, workdays


def holiday_year_set(
    *,
    actor,
    year: int,
    holidays: list[tuple[dt.date, str]],
    workdays: list[tuple[dt.date, str]],
) -> HolidayYear:
    """Replace ``year``'s schedule with the official one an administrator entered.

    ``holidays`` are the statutory days off that fall on weekdays; ``workdays`` the make-up
    working days that fall on weekends. All or nothing, audited.
    """
    if not isinstance(year, int) or isinstance(year, bool) or not 1949 <= year <= 2100:
        raise ValidationError({"year": [ValidationError(_("年份无效"), code="invalid")]})
    errors: dict[str, list[str]] = {"holidays": [], "workdays": []}
    clean_holidays = _clean_days(
        holidays, year=year, want_weekend=False, label=gettext("节假日"), errors=errors["holidays"]
    )
    clean_workdays = _clean_days(
        workdays,
        year=year,
        want_weekend=True,
        label=gettext("调休上班日"),
        errors=errors["workdays"],
    )
    for key, rows in (("holidays", clean_holidays), ("workdays", clean_workdays)):
        seen: set[dt.date] = set()
        for d, _name in rows:
            if d in seen:
                errors[key].append(gettext("%(day)s重复录入") % {"day": d.isoformat()})
            seen.add(d)
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        year_row = HolidayYear.objects.select_for_update().filter(year=year).first()
        before = None
        if year_row is not None:
            old_holidays, old_workdays = _year_rows(year)
            before = {
                "source": year_row.source,
                "holidays": old_holidays,
                "workdays": old_workdays,
            }
        Holiday.objects.filter(
            date__gte=dt.date(year, 1, 1), date__lt=dt.date(year + 1, 1, 1)
        ).delete()
        Holiday.objects.bulk_create(
            [Holiday(date=d, is_workday=False, name=name) for d, name in clean_holidays]
            + [Holiday(date=d, is_workday=True, name=name) for d, name in clean_workdays]
        )
        if year_row is None:
            year_row = HolidayYear.objects.create(year=year, source=HolidayYear.Source.MANUAL)
        else:
            year_row.source = HolidayYear.Source.MANUAL
            year_row.save(update_fields=["source", "updated_at"])
        new_holidays, new_workdays = _year_rows(year)
        audit.record(
            actor=actor,
            action="holiday.set_year",
            object_type="core.holidayyear",
            object_id=str(year),
            object_repr=f"{year}年节假日",
            before=before,
            after={
                "source": HolidayYear.Source.MANUAL.value,
                "holidays": new_holidays,
                "workdays": new_workdays,
            },
        )
        transaction.on_commit(clear_cache)
    clear_cache()
    return year_row
