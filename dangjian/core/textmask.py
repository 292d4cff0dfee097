"""ID and phone numbers typed into free text (notes, minutes, descriptions, titles) are masked
wherever the text is shown, exported, logged or sent: ``mask_text`` is the one function."""

from __future__ import annotations

import re

from dangjian.core.crypto import mask

# 18-character resident ID (last may be X), 15-digit old IDs; not inside a longer digit run.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mainland mobiles, optionally +86/86 and split by spaces or dashes (138 1234 5678, 138-1234-5678).
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
# Landlines with an area code: 0591-87654321, 0591 8765 4321, (0591)87654321.
_LANDLINE_RE = re.compile(r"(?<!\d)[(（]?(0\d{2,3})[)）]?[\s-]?(\d{3,4})[\s-]?(\d{4})(?!\d)")


def mask_text(text: str | None) -> str:
    """``text`` with every ID and phone number in it masked as screens mask them."""
    if not text:
        return text or ""
    text = _ID_RE.sub(lambda m: mask("id_number", m.group(1)), text)
    text = _MOBILE_RE.sub(lambda m: mask("phone", "".join(m.groups())), text)
    return _LANDLINE_RE.sub(lambda m: mask("phone", f"{m.group(1)}-{m.group(2)}{m.group(3)}"), text)


def has_sensitive_numbers(text: str | None) -> bool:
    return bool(text) and mask_text(text) != text
