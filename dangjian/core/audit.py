"""The append-only audit trail.

Values that hold personal data are masked before they are written here: a model field that
carries ``pii_kind`` (see ``core.crypto``) is stored masked, never in clear.

A row is scoped like the object it describes: its paths are read from the fields the object's
model declares in ``scope_fields`` (a member's organization path, never its residence), so a
reviewer reads the rows of what they may read. An export of many objects is scoped by what it
covered (``covered_paths``). The actor of an anonymous report or of a rating is sealed
(``register_seal``): kept encrypted on the row, shown to reviewers as "（已密封）", readable
only through ``actor_reveal`` (``audit.reveal_actor``, a reason, itself audited).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

from dangjian.core import auditchain, context, tree
from dangjian.core.models import AuditEntry

SEALED_LABEL = "（已密封）"


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


# --- scope ------------------------------------------------------------------------------------
def _follow(obj, lookup: str | None) -> str:
    """The value of a ``scope_fields`` lookup (``"org_path"``, ``"member__org_path"``) on
    ``obj``; "" when the lookup or a relation on the way is missing."""
    if not lookup:
        return ""
    value = obj
    for part in lookup.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return ""
    return value if isinstance(value, str) else ""


def object_paths(obj: models.Model) -> tuple[str, str]:
    """(area path, org path) an audit row about ``obj`` is scoped by: the fields its model
    declares for area and organization reach (a member: its organization path only). A
    model without ``scope_fields`` falls back to its ``area_path`` and ``org_path``."""
    fields = getattr(type(obj), "scope_fields", None)
    if fields is None:
        return getattr(obj, "area_path", "") or "", getattr(obj, "org_path", "") or ""
    return _follow(obj, fields.area), _follow(obj, fields.org)


def common_root(paths: Iterable[str]) -> str:
    """The deepest path every one of ``paths`` lies within ("" when they share no root)."""
    paths = [p for p in paths if p]
    if not paths:
        return ""
    shortest = min(paths, key=len)
    steps = len(shortest) // tree.STEP_WIDTH
    while steps:
        head = shortest[: steps * tree.STEP_WIDTH]
        if all(p.startswith(head) for p in paths):
            return head
        steps -= 1
    return ""


def covered_paths(model: type[models.Model], actor, action: str) -> dict:
    """The ``area_path`` / ``org_path`` of an audit row about everything of ``model`` that
    ``actor`` reaches for ``action`` (an export without a filter): per tree the model
    declares, the smallest subtree that holds every root of the actor's reach. Whoever
    reviews that subtree could see all that was exported."""
    from dangjian.core.scope import reach_of

    fields = getattr(model, "scope_fields", None)
    reach = reach_of(actor, action)
    out = {"area_path": "", "org_path": ""}
    if fields is not None and fields.area:
        out["area_path"] = common_root(reach.area_paths)
    if fields is not None and fields.org:
        out["org_path"] = common_root(reach.org_paths)
    return out


# --- sealed actors ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SealRule:
    """When an audit row about an object of ``object_type`` seals its actor.

    ``when(obj, action, actor)`` answers None (nothing sealed) or a pair: whether the actor is
    sealed, and the keys of before/after that identify a person (moved into the seal).
    """

    object_type: str
    when: Callable[[models.Model, str, object], tuple[bool, tuple[str, ...]] | None]


_SEALS: dict[str, list[SealRule]] = {}


def register_seal(object_type: str, when) -> None:
    """Declare a seal rule for ``object_type`` (``app_label.model``); apps call this from
    ``AppConfig.ready``."""
    rules = _SEALS.setdefault(object_type, [])
    if not any(r.when is when for r in rules):
        rules.append(SealRule(object_type, when))


def _seal_of(obj, object_type: str, action: str, actor) -> tuple[bool, set[str]] | None:
    found: tuple[bool, set[str]] | None = None
    for rule in _SEALS.get(object_type, ()):
        decision = rule.when(obj, action, actor) if obj is not None else None
        if decision is None:
            continue
        sealed, keys = decision
        if found is None:
            found = (False, set())
        found = (found[0] or bool(sealed), found[1] | set(keys))
    return found


def _take(values: dict | None, keys: set[str]) -> tuple[dict | None, dict]:
    if not values:
        return values, {}
    taken = {k: values[k] for k in keys if k in values}
    return {k: v for k, v in values.items() if k not in keys}, taken


# --- writing ----------------------------------------------------------------------------------
def record(*, actor, action: str, **fields: Any) -> AuditEntry:
    """Write one audit row: ``fields`` are ``_entry``'s (``obj``, ``before``, ``after``,
    ``note``, paths, object type, id and representation, ``seal``). Its paths come from ``obj``
    (``object_paths``) unless given; ``seal`` (or a rule registered for the object's type)
    seals the actor."""
    entry = _entry(actor=actor, action=action, **fields)
    entry.save(force_insert=True)
    auditchain.seal_after_commit()
    return entry


def record_many(*, actor, action: str, rows: Iterable[dict], batch_size: int = 1000) -> int:
    """Write many audit rows in a few statements (a bulk import): each of ``rows`` holds the
    keyword arguments of ``record`` but ``actor`` and ``action`` (``obj``, ``after``, ``note``
    …), each row is built exactly as ``record`` builds it. Answers how many were written."""
    entries = [_entry(actor=actor, action=action, **row) for row in rows]
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    if entries:
        auditchain.seal_after_commit()
    return len(entries)


def _entry(
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
    seal: bool = False,
) -> AuditEntry:
    """The audit row ``record`` writes, unsaved."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        obj_area, obj_org = object_paths(obj)
        area_path = area_path or obj_area
        org_path = org_path or obj_org
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    actor_name = (actor.get_username() if is_user else "")[:150]
    remote_addr = context.remote_addr.get()
    decision = _seal_of(obj, object_type, action, actor)
    sealed_actor = None
    if seal or decision is not None:
        seal_actor = seal or (decision is not None and decision[0])
        keys = decision[1] if decision else set()
        before, before_taken = _take(before, keys)
        after, after_taken = _take(after, keys)
        if seal_actor or before_taken or after_taken:
            from dangjian.core import crypto

            kept: dict = {}
            if seal_actor:
                kept = {
                    "actor_id": actor.pk if is_user else None,
                    "actor_name": actor_name,
                    "real_name": (getattr(actor, "real_name", "") or "")[:50] if is_user else "",
                    "remote_addr": remote_addr,
                }
                actor, is_user, actor_name, remote_addr = None, False, "", ""
            if before_taken:
                kept["before"] = _plain(before_taken)
            if after_taken:
                kept["after"] = _plain(after_taken)
            sealed_actor = crypto.encrypt(json.dumps(kept, ensure_ascii=False))
    return AuditEntry(
        actor=actor if is_user else None,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        after=after,
        note=note[:500],
        request_id=context.request_id.get(),
        remote_addr=remote_addr,
        area_path=area_path,
        org_path=org_path,
        sealed_actor=sealed_actor,
    )


# --- revealing a sealed actor -----------------------------------------------------------------
REVEAL_ACTION = "audit.reveal_actor"
REASON_MAX = 200


def actor_reveal(*, actor, entry_id: int, reason: str) -> dict:
    """The sealed actor of the audit row ``entry_id`` (and the identifying values sealed with
    it) for ``actor``, who needs ``audit.reveal_actor`` over the row and gives a reason; the
    reveal is itself audited. Not visible → 404; visible but not permitted → 403; nothing
    sealed → 409; no reason → 422 on ``reason``."""
    from django.db import transaction
    from django.utils.translation import gettext as _

    from dangjian.core import crypto, scope
    from dangjian.core.errors import Conflict, field_error
    from dangjian.core.validation import clean_text

    with transaction.atomic():
        entry = scope.get_visible(
            AuditEntry, actor, REVEAL_ACTION, view_action="audit.view", pk=entry_id
        )
        if not entry.sealed_actor:
            raise Conflict(_("该审计记录的操作人未密封"))
        text = clean_text(reason)
        if not text:
            raise field_error("reason", _("请填写查看原因"))
        if len(text) > REASON_MAX:
            raise field_error("reason", _("查看原因不能超过%(n)s个字") % {"n": REASON_MAX})
        kept = json.loads(crypto.decrypt(entry.sealed_actor))
        record(
            actor=actor,
            action=REVEAL_ACTION,
            obj=entry,
            object_repr=f"审计记录{entry.pk}（{entry.action}）",
            note=f"查看密封的操作人：{text}",
        )
    return kept
