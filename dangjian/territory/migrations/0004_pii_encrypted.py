"""Personal data at rest (issue 19): a household's door label is encrypted, with a blind index
beside it for lookups."""

from django.db import migrations, models

import dangjian.core.crypto
from dangjian.core.pii_migrations import decrypt_column, encrypt_column


def forwards(apps, schema_editor):
    encrypt_column(apps, schema_editor, "territory", "Household", "door", index_column="door_index")


def backwards(apps, schema_editor):
    decrypt_column(apps, schema_editor, "territory", "Household", "door", max_length=100)


class Migration(migrations.Migration):
    dependencies = [
        ("territory", "0003_area_closed"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="door_index",
            field=models.CharField(
                blank=True, db_index=True, default="", editable=False, max_length=64
            ),
        ),
        migrations.AlterField(
            model_name="household",
            name="door",
            field=dangjian.core.crypto.EncryptedField(pii_kind="address", verbose_name="门牌"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
