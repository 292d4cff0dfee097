"""What the assessment routers share: year parsing, money-like decimals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import translation


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


# --- values as the database driver gives them (``scope.Compiled.run(convert=False)``) ---------
# SQLite hands decimals back as int or float, dates as 'YYYY-MM-DD', datetimes as UTC text
# and booleans as 0/1; PostgreSQL as Decimal, date, aware datetime and bool. The hot reads skip
# Django's per-row converters and format either straight to the API's text.


def raw_dec(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = Decimal(value)
    return f"{value:.2f}"


def raw_date(value) -> str | None:
    if value is None:
        return None
    return value[:10] if isinstance(value, str) else value.isoformat()


def raw_moment(value, zone) -> str | None:
    """A stored datetime in the local ``zone`` as ISO 8601 (as ``core.api.iso``)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone).isoformat()


_LABELS: dict = {}


def labels(choices, language: str | None = None) -> dict[str, str]:
    """``{value: label}`` of a ``TextChoices`` in the active language (``language``, when the
    caller has already asked for it), translated once per language rather than once per row."""
    key = (choices, language or translation.get_language())
    found = _LABELS.get(key)
    if found is None:
        found = _LABELS[key] = {c.value: str(c.label) for c in choices}
    return found
