"""Plain multi-row inserts for the hot paths that write tens of thousands of rows (the
ledger's batch posting, the points sweep): values in, no model instances built.

The caller passes values already in their database form (``db_values`` converts the common
kinds), takes care of its own invariants and reads back what it needs (ids by a key it wrote).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connections, router


def _connection(model):
    return connections[router.db_for_write(model)]


def db_value(model, value):
    """``value`` as the database driver takes it (datetimes and dates per backend)."""
    ops = _connection(model).ops
    if isinstance(value, dt.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return ops.adapt_datefield_value(value)
    if isinstance(value, Decimal):
        return ops.adapt_decimalfield_value(value)
    return value


def adapter(model):
    """``db_value`` for many values of ``model``'s rows: the backend looked up once, each
    distinct date converted once (a batch's rows share a few hundred days at most)."""
    ops = _connection(model).ops
    days: dict[dt.date, object] = {}

    def convert(value):
        if isinstance(value, dt.datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, dt.date):
            found = days.get(value)
            if found is None:
                found = days[value] = ops.adapt_datefield_value(value)
            return found
        if isinstance(value, Decimal):
            return ops.adapt_decimalfield_value(value)
        return value

    return convert


def values_in(
    model,
    field: str,
    values: Iterable,
    columns: Sequence[str],
    *,
    where: dict | None = None,
    lock: bool = False,
) -> list[tuple]:
    """``SELECT columns FROM table WHERE field IN values [AND f = v ...]`` in chunks of 900
    (SQLite's limit on parameters): the rows of a few thousand keys without building a
    lookup per value as ``filter(field__in=...)`` does. Fields are model field names; the
    values go as they are (strings, integers). ``lock``: the rows in primary-key order under
    row locks (``FOR UPDATE`` where the backend has it, as ``select_for_update`` does)."""
    conn = _connection(model)
    qn = conn.ops.quote_name
    meta = model._meta
    cols = ", ".join(qn(meta.get_field(c).column) for c in columns)
    extra = "".join(f" AND {qn(meta.get_field(f).column)} = %s" for f in where or {})
    if lock:
        extra += f" ORDER BY {qn(meta.pk.column)}"
        if conn.features.has_select_for_update:
            extra += " FOR UPDATE"
    head = f"SELECT {cols} FROM {qn(meta.db_table)} WHERE {qn(meta.get_field(field).column)} IN "
    values = list(values)
    out: list[tuple] = []
    with conn.cursor() as cur:
        for start in range(0, len(values), 900):
            chunk = values[start : start + 900]
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"{head}({marks}){extra}", [*chunk, *(where or {}).values()])
            out.extend(cur.fetchall())
    return out


def insert_rows(
    model,
    fields: Sequence[str],
    rows: Iterable[Sequence],
    batch: int = 2000,
    *,
    ignore_conflicts: bool = False,
) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``, model field names) into ``model``'s
    table (``ignore_conflicts``: rows that break a unique constraint are skipped); returns how
    many rows were sent."""
    conn = _connection(model)
    qn = conn.ops.quote_name
    columns = ", ".join(qn(model._meta.get_field(f).column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({marks})"
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    n = 0
    chunk: list[Sequence] = []
    with conn.cursor() as cur:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                cur.executemany(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            cur.executemany(sql, chunk)
            n += len(chunk)
    return n


def update_rows(model, set_field: str, rows: Iterable[tuple], batch: int = 2000) -> None:
    """``UPDATE table SET set_field = value WHERE id = pk`` for each ``(value, pk)``."""
    conn = _connection(model)
    qn = conn.ops.quote_name
    column = qn(model._meta.get_field(set_field).column)
    pk = qn(model._meta.pk.column)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {column} = %s WHERE {pk} = %s"
    chunk: list[tuple] = []
    with conn.cursor() as cur:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                cur.executemany(sql, chunk)
                chunk = []
        if chunk:
            cur.executemany(sql, chunk)
