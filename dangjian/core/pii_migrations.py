"""Encrypting a clear-text column in place, for the data migrations that move a field to
``crypto.EncryptedField`` (issue 19): run after the ``AlterField`` to a text column.

Raw SQL, because the field would try to decrypt the clear values it reads; a value that is
already a token of ours is left as it is, so a step can run twice. ``index_column`` (with
``kind``) fills the blind index beside it.
"""

from __future__ import annotations


def encrypt_column(
    apps, schema_editor, app_label: str, model: str, column: str, *, index_column: str = ""
) -> int:
    """Encrypt ``column`` of every row of ``app_label.model`` (and fill ``index_column``);
    answers the rows changed."""
    from dangjian.core import crypto

    Model = apps.get_model(app_label, model)
    kind = Model._meta.get_field(column).pii_kind
    table = schema_editor.quote_name(Model._meta.db_table)
    col = schema_editor.quote_name(column)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {col} FROM {table} WHERE {col} <> ''")
        rows = [(pk, v) for pk, v in cursor.fetchall() if v and not crypto.is_token(v)]
        updates: list[tuple]
        if index_column:
            idx = schema_editor.quote_name(index_column)
            updates = [(crypto.encrypt(v), crypto.blind_index(kind, v), pk) for pk, v in rows]
            sql = f"UPDATE {table} SET {col} = %s, {idx} = %s WHERE id = %s"
        else:
            updates = [(crypto.encrypt(v), pk) for pk, v in rows]
            sql = f"UPDATE {table} SET {col} = %s WHERE id = %s"
        if updates:
            cursor.executemany(sql, updates)
    return len(rows)


def decrypt_column(
    apps, schema_editor, app_label: str, model: str, column: str, *, max_length: int
) -> int:
    """The reverse: clear text again (cut to ``max_length`` for the old column)."""
    from dangjian.core import crypto

    Model = apps.get_model(app_label, model)
    table = schema_editor.quote_name(Model._meta.db_table)
    col = schema_editor.quote_name(column)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {col} FROM {table} WHERE {col} <> ''")
        updates = [
            (crypto.decrypt(v)[:max_length], pk)
            for pk, v in cursor.fetchall()
            if crypto.is_token(v)
        ]
        if updates:
            cursor.executemany(f"UPDATE {table} SET {col} = %s WHERE id = %s", updates)
    return len(updates)
