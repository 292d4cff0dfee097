"""What the assessment routers share: year parsing, money-like decimals."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def year_or_none(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        y = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"year": ["年度（year）应为整数"]}) from None
    if not 2000 <= y <= 2100:
        raise ValidationError({"year": ["年度（year）应在2000至2100之间"]})
    return y


def dec(value) -> str | None:
    return None if value is None else f"{value:.2f}"
