"""Personal data at rest (issue 19): a mobile member's destination (an address) is encrypted."""

from django.db import migrations

import dangjian.core.crypto
from dangjian.core.pii_migrations import decrypt_column, encrypt_column


def forwards(apps, schema_editor):
    encrypt_column(apps, schema_editor, "members", "MobileRegistration", "destination")


def backwards(apps, schema_editor):
    decrypt_column(
        apps, schema_editor, "members", "MobileRegistration", "destination", max_length=200
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0013_job_file_taken"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mobileregistration",
            name="destination",
            field=dangjian.core.crypto.EncryptedField(pii_kind="address", verbose_name="外出去向"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
