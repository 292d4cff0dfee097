"""Personal data at rest (issue 19): the reporter's name (a caller who hides it is named only to
whoever took the call) and the door label of a visit are encrypted; a visit's
``household_key`` holds the door's blind index instead of the label."""

import re

from django.db import migrations

import dangjian.core.crypto
from dangjian.core.pii_migrations import decrypt_column, encrypt_column

_SPACE_RE = re.compile(r"\s+")


def forwards(apps, schema_editor):
    from dangjian.core import crypto

    encrypt_column(apps, schema_editor, "cases", "Event", "reporter_name")
    VisitRecord = apps.get_model("cases", "VisitRecord")
    table = schema_editor.quote_name(VisitRecord._meta.db_table)
    with schema_editor.connection.cursor() as cursor:  # raw: the field would decrypt
        cursor.execute(
            f"SELECT id, area_id, household_label FROM {table} WHERE household_key LIKE 'a%%'"
        )
        updates = [
            (f"a{area}:{crypto.blind_index('address', label)}", pk)
            for pk, area, label in cursor.fetchall()
            if not crypto.is_token(label)
        ]
        if updates:
            cursor.executemany(f"UPDATE {table} SET household_key = %s WHERE id = %s", updates)
    encrypt_column(apps, schema_editor, "cases", "VisitRecord", "household_label")


def backwards(apps, schema_editor):
    decrypt_column(apps, schema_editor, "cases", "Event", "reporter_name", max_length=50)
    decrypt_column(apps, schema_editor, "cases", "VisitRecord", "household_label", max_length=100)
    VisitRecord = apps.get_model("cases", "VisitRecord")
    with schema_editor.connection.cursor() as cursor:
        table = schema_editor.quote_name(VisitRecord._meta.db_table)
        cursor.execute(
            f"SELECT id, area_id, household_label FROM {table} WHERE household_key LIKE 'a%%'"
        )
        updates = [
            (f"a{area}:{_SPACE_RE.sub('', label)}"[:160], pk)
            for pk, area, label in cursor.fetchall()
        ]
        if updates:
            cursor.executemany(f"UPDATE {table} SET household_key = %s WHERE id = %s", updates)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_emergency_same_day"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="reporter_name",
            field=dangjian.core.crypto.EncryptedField(
                blank=True, default="", pii_kind="name", verbose_name="上报人姓名"
            ),
        ),
        migrations.AlterField(
            model_name="visitrecord",
            name="household_label",
            field=dangjian.core.crypto.EncryptedField(pii_kind="address", verbose_name="门牌"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
