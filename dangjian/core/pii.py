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


# Why a whole value is looked at: the code and its label, kept in the audit row with the text.
PURPOSES = {
    "contact": "联系本人",
    "verify": "核实身份",
    "transfer": "组织关系转接",
    "service": "办理业务",
    "investigation": "纪律审查或信访核查",
    "other": "其他",
}
REASON_MIN, REASON_MAX = 2, 200


def clean_purpose(purpose: str, reason: str) -> tuple[str, str]:
    """The purpose code and the reason text of a reveal, or a 422 naming the field."""
    from dangjian.core.errors import field_error
    from dangjian.core.validation import one_line

    purpose = (purpose or "").strip()
    if purpose not in PURPOSES:
        choices = "、".join(f"{k}（{v}）" for k, v in PURPOSES.items())
        raise field_error("purpose", gettext("请选择查看用途：%(c)s") % {"c": choices})
    reason = one_line(reason or "")
    if len(reason) < REASON_MIN:
        raise field_error("reason", gettext("请填写查看理由（至少2个字）"))
    if len(reason) > REASON_MAX:
        raise field_error("reason", gettext("查看理由不能超过200个字"))
    return purpose, reason


def check_allowed(*, actor, obj, action: str) -> None:
    """``actor`` may reveal ``obj``'s values for ``action``: else 403 when the object is
    visible for ``<module>.view``, 404 when not at all (asked before the purpose, so a refusal
    reads the same whatever was filled in)."""
    if not scope.is_visible(obj, actor, action):
        module = action.split(".", 1)[0]
        view_action = f"{module}.view"
        if view_action != action and scope.is_visible(obj, actor, view_action):
            raise scope.Forbidden(gettext("您没有查看完整个人信息的权限"))
        raise Http404(gettext("未找到"))


def reveal(*, actor, obj, field: str, action: str, purpose: str, reason: str) -> str:
    """The clear value of the encrypted ``field`` of ``obj`` for ``actor``, who says why
    (``purpose``, one of ``PURPOSES``, and ``reason``, 2–200 characters; 422 otherwise).

    ``action`` names the permission, e.g. ``"members.reveal_pii"``. Not visible for it but
    visible for ``<module>.view`` → ``scope.Forbidden``; not visible at all → ``Http404``.
    Each reveal writes an audit row with the purpose and the reason.
    """
    model_field = obj._meta.get_field(field)
    if not getattr(model_field, "pii_kind", None):
        raise ValueError(f"{obj._meta.label}.{field} holds no personal data")
    check_allowed(actor=actor, obj=obj, action=action)
    purpose, reason = clean_purpose(purpose, reason)
    value = getattr(obj, model_field.attname)
    audit.record(
        actor=actor,
        action="pii.reveal",
        obj=obj,
        after={"field": field, "purpose": purpose, "reason": reason},
        note=f"查看完整{_label(model_field)}（用途：{PURPOSES[purpose]}；理由：{reason}）"[:500],
    )
    return value or ""
