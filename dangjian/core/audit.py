"""The append-only audit trail.

Values that hold personal data are masked before they are written here: a model field that
carries ``pii_kind`` (see ``core.crypto``) is stored masked, never in clear.
"""

from __future__ import annotations

import datetime as dt
import decimal

from django.db import models

from dangjian.core import context
from dangjian.core.models import AuditEntry


def _plain(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """The concrete field values of ``obj``, personal data masked, secrets left out."""
    from dangjian.core.crypto import mask

    out = {}
    for f in obj._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        if getattr(f, "audit_exclude", False) or f.name in {"password", "totp_secret"}:
            continue
        if f.name.endswith("_index"):
            continue
        value = getattr(obj, f.attname)
        kind = getattr(f, "pii_kind", None)
        if kind:
            value = mask(kind, value)
        out[f.attname] = _plain(value)
    return out


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the keys that changed, on both sides."""
    if not before or not after:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    area_path: str = "",
    org_path: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        area_path = area_path or getattr(obj, "area_path", "") or ""
        org_path = org_path or getattr(obj, "org_path", "") or ""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_name=(actor.get_username() if is_user else "")[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        after=after,
        note=note[:500],
        request_id=context.request_id.get(),
        remote_addr=context.remote_addr.get(),
        area_path=area_path,
        org_path=org_path,
    )
