"""The services behind the console forms refuse far dates as a ValidationError on the field
(the console shows it beside the input), never an overflow: a cadre's term start of
9999-12-31 used to raise ``ValueError: year 10004 is out of range``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.cadres import services as cadre_services
from dangjian.cadres.models import Cadre
from dangjian.orglife import services as orglife
from dangjian.orglife.models import Session
from tests.spine.crossscope.cadres import _probe_cadre

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("term_start", dt.date(9999, 12, 31), "任期开始不能晚于2199年12月31日"),
        ("term_start", dt.date(1, 1, 1), "任期开始不能早于1900年1月1日"),
        ("birth_date", dt.date(9999, 12, 31), "出生日期不能晚于2199年12月31日"),
        ("term_end", "9999-12-31", "任期届满不能晚于2199年12月31日"),
    ],
)
def test_cadre_far_dates_are_field_errors(world, field, value, message):
    with pytest.raises(ValidationError) as exc:
        _probe_cadre(world, "community", "日期探针委员", **{field: value})
    assert exc.value.message_dict[field] == [message]
    assert not Cadre.objects.filter(name="日期探针委员").exists()


def test_cadre_sane_dates_still_accepted(world):
    cadre = _probe_cadre(world, "community", "日期探针委员", term_start=dt.date(2021, 3, 1))
    assert cadre.term_end == dt.date(2026, 3, 1)
    cadre = cadre_services.cadre_update(
        actor=world.users["admin"], cadre=cadre, term_end="2026-06-01"
    )
    assert cadre.term_end == dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("start", "field", "message"),
    [
        (dt.datetime(9999, 12, 31, 9, tzinfo=TZ), "starts_at", "开始时间不能晚于"),
        (dt.datetime(1800, 1, 1, 9, tzinfo=TZ), "starts_at", "开始时间不能早于1921年7月1日"),
    ],
)
def test_session_far_times_are_field_errors(world, start, field, message):
    with pytest.raises(ValidationError) as exc:
        orglife.session_schedule(
            actor=world.users["admin"],
            org=world.orgs["grid_branch"],
            session_type="theme_day",
            topic="日期探针",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
        )
    assert exc.value.message_dict[field][0].startswith(message)
    assert not Session.objects.filter(topic="日期探针").exists()
