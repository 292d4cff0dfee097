"""The one validation kit every service uses: per-field errors collected into one answer,
and text cleaned of control characters.

A service collects every bad value in an ``Errors`` and raises once (``check``), so one 422
names every field; ``clean_text`` is how typed text enters the database (PostgreSQL refuses
NUL, and control characters have no business in a name or a note).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from dangjian.core.textmask import mask_text

# Control characters other than tab, line feed and carriage return.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every control character, tab and line breaks included: for one-line values (names, search).
ALL_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# The same characters as ``CONTROL_RE``, for ``str.translate`` (faster than the regex in bulk).
CONTROL_DELETE = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


class Errors(dict):
    """Messages per field, collected so one answer names every bad value."""

    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(str(message))

    def take(self, exc: ValidationError) -> None:
        """Adds the messages of a ValidationError raised by a helper."""
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                for message in messages:
                    self.add(key, message)
        else:
            for message in exc.messages:
                self.add("__all__", message)

    def check(self) -> None:
        if self:
            raise ValidationError({k: list(v) for k, v in self.items()})


def clean_text(value, limit: int | None = None) -> str:
    """Stripped text without control characters (tabs and line breaks kept); cut at ``limit``."""
    text = "" if value is None else str(value).translate(CONTROL_DELETE).strip()
    return text[:limit] if limit else text


def clean_free_text(value, limit: int | None = None) -> str:
    """``clean_text`` for free text (notes, minutes, descriptions, reasons): ID and phone numbers
    typed into it are masked before it is stored, so no screen, export, log or audit row holds
    them in clear. The numbers a record needs have their own encrypted fields."""
    return mask_text(clean_text(value, limit))


def one_line(value) -> str:
    """Text for a one-line value (a search term, a name): every control character removed."""
    return "" if value is None else ALL_CONTROL_RE.sub("", str(value)).strip()
