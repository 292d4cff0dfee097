"""Revealing a whole personal-data value: scoped, permitted, audited."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext

from dangjian.core import audit, scope
from dangjian.core.crypto import PII_KIND_LABELS


def _label(field) -> str:
    explicit = getattr(field, "_verbose_name", None)
    if explicit:
        return str(explicit)
    return str(PII_KIND_LABELS.get(field.pii_kind, field.verbose_name))


def reveal(*, actor, obj, field: str, action: str) -> str:
    """The clear value of the encrypted ``field`` of ``obj`` for ``actor``.

    ``action`` names the permission, e.g. ``"members.reveal_pii"``. Not visible for it but
    visible for ``<module>.view`` → ``scope.Forbidden``; not visible at all → ``Http404``.
    Each reveal writes an audit row.
    """
    model_field = obj._meta.get_field(field)
    if not getattr(model_field, "pii_kind", None):
        raise ValueError(f"{obj._meta.label}.{field} holds no personal data")
    if not scope.is_visible(obj, actor, action):
        module = action.split(".", 1)[0]
        view_action = f"{module}.view"
        if view_action != action and scope.is_visible(obj, actor, view_action):
            raise scope.Forbidden(gettext("您没有查看完整个人信息的权限"))
        raise Http404(gettext("未找到"))
    value = getattr(obj, model_field.attname)
    audit.record(actor=actor, action="pii.reveal", obj=obj, note=f"查看完整{_label(model_field)}")
    return value or ""
