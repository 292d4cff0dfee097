"""Date and datetime types for API schemas, bounded so a typo answers 422, never a 500.

``RecordedDate`` is a day something happened (party founding .. today), ``BirthDate`` a birth
date (1900 .. today), ``PlannedDate`` a day planned ahead (party founding .. a few years from
today), ``FilterDate`` a search bound (1900 .. 2199). The datetime types bound the day the
same way before any time-zone arithmetic runs on them. The bounds live in
``core.validators``; the error type ``date_range`` carries its Chinese message to the 422.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from dangjian.core.validators import (
    BIRTH_FLOOR,
    FILTER_CEILING,
    FILTER_FLOOR,
    PARTY_FOUNDED,
    date_range_message,
    plan_ceiling,
)


def _bounded(earliest, latest):
    def check(value):
        message = date_range_message(value, earliest=earliest(), latest=latest())
        if message:
            raise PydanticCustomError("date_range", message)
        return value

    return AfterValidator(check)


# A number, or a text that is one: pydantic would take it for seconds since 1970
# (``?date_from=0`` was 1970-01-01, ``-6.98e-31`` too). Dates are written as dates.
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _written_as(kind: str):
    def check(value):
        number = isinstance(value, int | float) or (
            isinstance(value, str) and _NUMBER.fullmatch(value)
        )
        if number:
            raise PydanticCustomError(kind, "not a date")
        return value

    return BeforeValidator(check)


DATE = _written_as("date_parsing")
DATETIME = _written_as("datetime_parsing")


def _today() -> dt.date:
    return timezone.localdate()


RECORDED = _bounded(lambda: PARTY_FOUNDED, _today)
BIRTH = _bounded(lambda: BIRTH_FLOOR, _today)
PLANNED = _bounded(lambda: PARTY_FOUNDED, plan_ceiling)
FILTER = _bounded(lambda: FILTER_FLOOR, lambda: FILTER_CEILING)

RecordedDate = Annotated[dt.date, DATE, RECORDED]
BirthDate = Annotated[dt.date, DATE, BIRTH]
PlannedDate = Annotated[dt.date, DATE, PLANNED]
FilterDate = Annotated[dt.date, DATE, FILTER]
PlannedDateTime = Annotated[dt.datetime, DATETIME, PLANNED]
FilterDateTime = Annotated[dt.datetime, DATETIME, FILTER]
