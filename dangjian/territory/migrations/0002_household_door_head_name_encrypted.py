"""Household: ``label`` named ``door`` (门牌); the head of household encrypted at rest.

Existing clear-text names are encrypted in place (raw SQL: the field would try to decrypt
them); a value that is already a token of ours is left as it is, so the step can run twice.
"""

from django.db import migrations

import dangjian.core.crypto


def encrypt_heads(apps, schema_editor):
    from dangjian.core import crypto

    Household = apps.get_model("territory", "Household")
    table = schema_editor.quote_name(Household._meta.db_table)
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, head_name FROM {table} WHERE head_name <> ''")
        rows = cursor.fetchall()
        updates = [(crypto.encrypt(name), pk) for pk, name in rows if not crypto.is_token(name)]
        if updates:
            cursor.executemany(f"UPDATE {table} SET head_name = %s WHERE id = %s", updates)


def decrypt_heads(apps, schema_editor):
    from dangjian.core import crypto

    Household = apps.get_model("territory", "Household")
    table = schema_editor.quote_name(Household._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, head_name FROM {table} WHERE head_name <> ''")
        updates = [
            (crypto.decrypt(v)[:50], pk) for pk, v in cursor.fetchall() if crypto.is_token(v)
        ]
        if updates:
            cursor.executemany(f"UPDATE {table} SET head_name = %s WHERE id = %s", updates)


class Migration(migrations.Migration):
    dependencies = [
        ("territory", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="household", old_name="label", new_name="door"),
        migrations.AlterField(
            model_name="household",
            name="head_name",
            field=dangjian.core.crypto.EncryptedField(
                blank=True, default="", pii_kind="name", verbose_name="户主"
            ),
        ),
        migrations.RunPython(encrypt_heads, decrypt_heads),
    ]
