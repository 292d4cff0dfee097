"""Dates and times as people write them in the console and on the phone (issue 18): one way
everywhere a template prints a date without naming a format, the same as the pages that do
(``2026-12-07``, ``2026-12-07 14:30``)."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
FIRST_DAY_OF_WEEK = 1  # Monday
