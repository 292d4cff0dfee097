"""Ids from paths, queries and bodies."""

from __future__ import annotations

from django.http import Http404

# Ids above this read as absent: a larger number would overflow the database's bigint and turn a
# mistyped URL into a 500.
MAX_PK = 2**62


def pk_or_404(value: int | None) -> int | None:
    """An id from a path, a query or a body; out of range reads as absent (404)."""
    if value is None:
        return None
    if not 1 <= value <= MAX_PK:
        raise Http404("未找到")
    return value


def id_or_none(value) -> int | None:
    """An id typed into a form or a query string; None when it is not one (blank, not a
    number, out of range), for filters that then simply do not apply."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_PK else None
