"""Seed the holiday table from the installed chinese_calendar package.

Self-contained on purpose: it works on the historical models and does not import the app's
code, so later changes to ``core.workdays`` never change what this migration did.
"""

import datetime as dt

from django.db import migrations

SOURCE = "chinese_calendar"


def _schedule():
    import chinese_calendar
    from chinese_calendar.constants import Holiday as CCHoliday

    def chinese(name):
        try:
            return CCHoliday(name).chinese
        except ValueError:
            return name

    out = {}
    for d in chinese_calendar.holidays:
        out.setdefault(d.year, {})
    for d, name in chinese_calendar.holidays.items():
        if d.weekday() < 5:
            out[d.year][d] = (False, chinese(name)[:50])
    for d, name in chinese_calendar.workdays.items():
        if d.weekday() >= 5:
            out.setdefault(d.year, {})[d] = (True, (chinese(name) + "调休上班")[:50])
    return out


def seed(apps, schema_editor):
    Holiday = apps.get_model("core", "Holiday")
    HolidayYear = apps.get_model("core", "HolidayYear")
    db = schema_editor.connection.alias
    schedule = _schedule()
    if not schedule:
        return
    have_years = set(
        HolidayYear.objects.using(db).filter(year__in=list(schedule)).values_list("year", flat=True)
    )
    have_dates = set(Holiday.objects.using(db).values_list("date", flat=True))
    rows = [
        Holiday(date=d, is_workday=is_work, name=name)
        for year, days in sorted(schedule.items())
        if year not in have_years
        for d, (is_work, name) in sorted(days.items())
        if d not in have_dates
    ]
    Holiday.objects.using(db).bulk_create(rows, batch_size=500)
    HolidayYear.objects.using(db).bulk_create(
        [HolidayYear(year=y, source=SOURCE) for y in sorted(schedule) if y not in have_years]
    )


def unseed(apps, schema_editor):
    Holiday = apps.get_model("core", "Holiday")
    HolidayYear = apps.get_model("core", "HolidayYear")
    db = schema_editor.connection.alias
    years = list(HolidayYear.objects.using(db).filter(source=SOURCE).values_list("year", flat=True))
    for year in years:
        Holiday.objects.using(db).filter(
            date__gte=dt.date(year, 1, 1), date__lt=dt.date(year + 1, 1, 1)
        ).delete()
    HolidayYear.objects.using(db).filter(year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
