"""Every file the application hands a browser (exports, import templates, reports) goes out
through ``attachment``: one way to name it and to keep it out of caches (issue 19)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Files may hold personal data: neither a shared proxy nor the browser's cache keeps them.
NO_STORE = "private, no-store"


def stamped(filename: str) -> str:
    """``党员名册.xlsx`` → ``党员名册-202612071430.xlsx`` (the minute it was exported)."""
    stem, dot, ext = filename.rpartition(".")
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    return f"{stem}-{stamp}.{ext}" if dot else f"{filename}-{stamp}"


def attachment(
    content: bytes, filename: str, *, content_type: str = XLSX, stamp: bool = False
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    name = stamped(filename) if stamp else filename
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = NO_STORE
    response["X-Content-Type-Options"] = "nosniff"
    return response
