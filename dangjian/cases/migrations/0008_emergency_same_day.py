"""突发事件 is urgent: "same day" (0 working days: the close of office hours of the dispatch
day, the next working day's when dispatched after it), as DOMAIN.md says; it was seeded with
2 working hours. Only the seeded value is changed: a deployment that set its own limit keeps
it. Events already dispatched keep the limit frozen on them."""

from django.db import migrations


def same_day(apps, schema_editor):
    EventClass = apps.get_model("cases", "EventClass")
    EventClass.objects.filter(code="emergency", limit_value=2, limit_unit="workhours").update(
        limit_value=0, limit_unit="workdays"
    )


def two_hours(apps, schema_editor):
    EventClass = apps.get_model("cases", "EventClass")
    EventClass.objects.filter(code="emergency", limit_value=0, limit_unit="workdays").update(
        limit_value=2, limit_unit="workhours"
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_event_resolution")]

    operations = [migrations.RunPython(same_day, two_hours)]
