from django import template

from dangjian.core import crypto

register = template.Library()


@register.filter
def masked_phone(value) -> str:
    """A phone number as screens show it (138****5678)."""
    return crypto.mask("phone", value) if value else "—"
