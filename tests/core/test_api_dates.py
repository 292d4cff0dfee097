"""Dates of the API are written as dates (issue 19's fuzz run): pydantic would read a number,
or a text that is one, as seconds since 1970, so ``?date_from=-6.98e-31`` was accepted as
1970-01-01. Now each is a 422 naming the field, as any malformed date is."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import TypeAdapter, ValidationError

from dangjian.core.apidates import (
    BirthDate,
    FilterDate,
    FilterDateTime,
    PlannedDate,
    PlannedDateTime,
    RecordedDate,
)

NUMBERS = [
    0,
    1700000000,
    -6.9882321596897735e-31,
    "0",
    "20240101",
    "-6.9882321596897735e-31",
    " 1e3 ",
]


@pytest.mark.parametrize("kind", [RecordedDate, BirthDate, PlannedDate, FilterDate])
@pytest.mark.parametrize("value", NUMBERS)
def test_a_number_is_not_a_date(kind, value):
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    assert caught.value.errors()[0]["type"] == "date_parsing"


@pytest.mark.parametrize("kind", [PlannedDateTime, FilterDateTime])
@pytest.mark.parametrize("value", NUMBERS)
def test_a_number_is_not_a_time(kind, value):
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    assert caught.value.errors()[0]["type"] == "datetime_parsing"


def test_dates_written_as_dates_still_pass():
    assert TypeAdapter(FilterDate).validate_python("2024-01-01") == dt.date(2024, 1, 1)
    assert TypeAdapter(RecordedDate).validate_python(dt.date(2024, 1, 1)) == dt.date(2024, 1, 1)
    moment = TypeAdapter(FilterDateTime).validate_python("2024-01-01T08:00:00+08:00")
    assert moment.year == 2024


@pytest.mark.django_db
def test_the_fuzzed_filter_is_refused_on_its_field(world, api):
    path = "/api/v1/cases/visits/records/"
    user = world.users["community"]
    r = api.get(user, path, date_from="-6.9882321596897735e-31")
    assert r.status_code == 422
    assert r.json()["errors"] == {"date_from": ["日期格式应为YYYY-MM-DD"]}
    assert api.get(user, path, date_from="2024-01-01").status_code == 200
