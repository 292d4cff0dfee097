"""Date and datetime types for API schemas, bounded so a typo answers 422, never a 500.

``RecordedDate`` is a day something happened (party founding .. today), ``BirthDate`` a birth
date (1900 .. today), ``PlannedDate`` a day planned ahead (party founding .. a few years from
today), ``FilterDate`` a search bound (1900 .. 2199). The datetime types bound the day the
same way before any time-zone arithmetic runs on them. The bounds live in
``core.validators``; the error type ``date_range`` carries its Chinese message to the 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator
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


def _today() -> dt.date:
    return timezone.localdate()


RECORDED = _bounded(lambda: PARTY_FOUNDED, _today)
BIRTH = _bounded(lambda: BIRTH_FLOOR, _today)
PLANNED = _bounded(lambda: PARTY_FOUNDED, plan_ceiling)
FILTER = _bounded(lambda: FILTER_FLOOR, lambda: FILTER_CEILING)

RecordedDate = Annotated[dt.date, RECORDED]
BirthDate = Annotated[dt.date, BIRTH]
PlannedDate = Annotated[dt.date, PLANNED]
FilterDate = Annotated[dt.date, FILTER]
PlannedDateTime = Annotated[dt.datetime, PLANNED]
FilterDateTime = Annotated[dt.datetime, FILTER]
