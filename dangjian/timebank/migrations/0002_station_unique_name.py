"""One station per (area, name): the database refuses the second of two registrations or imports
that race past the services' checks.

A deployed database may already hold such twins (two imports at once before this constraint).
Nothing is deleted or merged here: riders stay registered where they are. The first station of
each group (lowest id) keeps its name; each later one is renamed "名称（重名2）", "（重名3）" … (cut
to fit 100 characters, never colliding with a name already in that area), and each rename leaves
an audit row (``timebank.station.rename``, no actor, the old and new name) so the community can
find them (审计记录, action filter) and merge or rename them by hand. Reversing the migration
drops the constraint and leaves the names as they are.
"""

from django.db import migrations, models
from django.db.models import Count

NOTE = "数据库迁移：同一区域已有同名驿站，已自动加注“重名”编号以便唯一约束生效，请核实后改名或合并"


def rename_twins(apps, schema_editor):
    Station = apps.get_model("timebank", "Station")
    AuditEntry = apps.get_model("core", "AuditEntry")
    twins = (
        Station.objects.values("area_id", "name")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("area_id", "name")
    )
    for group in twins:
        taken = set(
            Station.objects.filter(area_id=group["area_id"]).values_list("name", flat=True)
        )
        later = Station.objects.filter(area_id=group["area_id"], name=group["name"]).order_by("id")[
            1:
        ]
        k = 1
        for s in later:
            while True:
                k += 1
                suffix = f"（重名{k}）"
                new = s.name[: 100 - len(suffix)] + suffix
                if new not in taken:
                    break
            taken.add(new)
            old, s.name = s.name, new
            s.save(update_fields=["name"])
            AuditEntry.objects.create(
                action="timebank.station.rename",
                object_type="timebank.station",
                object_id=str(s.pk),
                object_repr=new[:200],
                before={"name": old},
                after={"name": new},
                note=NOTE,
                area_path=s.area_path,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_notifications"),
        ("territory", "0004_pii_encrypted"),
        ("timebank", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(rename_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="station",
            constraint=models.UniqueConstraint(fields=("area", "name"), name="station_unique_name"),
        ),
    ]
