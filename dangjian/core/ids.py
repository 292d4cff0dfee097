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
