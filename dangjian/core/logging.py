"""Logging filter that keeps ID numbers and mobile numbers out of log files."""

from __future__ import annotations

import logging
import re

from dangjian.core.crypto import mask

ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)(?:\+86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")

_formatter = logging.Formatter()


def mask_text(text: str) -> str:
    """``text`` with every ID number and mobile number in it masked."""
    if not text:
        return text
    text = ID_NUMBER_RE.sub(lambda m: mask("id_number", m.group(0)), text)
    return MOBILE_RE.sub(lambda m: mask("phone", m.group(0)), text)


class MaskPIIFilter(logging.Filter):
    """Formats the message with its args, masks it, and lets the record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: mask what there is
            message = str(record.msg)
            if record.args:
                message += " " + repr(record.args)
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
