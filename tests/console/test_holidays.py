"""The holiday page: the years held, the fallback warning, entering a year."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core import workdays
from dangjian.core.models import Holiday, HolidayYear
from tests.console.helpers import text

pytestmark = pytest.mark.django_db

SCHEDULE_2030 = """\
2030-01-01 元旦 休
2030-02-04 春节 休
2030-02-05 春节 休
2030-02-09 春节调休 班
"""


def _ensure_missing(year):
    HolidayYear.objects.filter(year=year).delete()
    workdays.clear_cache()


def test_holiday_page_lists_years(world, as_user):
    r = as_user(world.users["street"]).get("/holidays/")
    assert r.status_code == 200
    body = text(r)
    assert "节假日安排" in body
    assert "chinese-calendar 预置" in body
    assert "2025" in body


def test_missing_year_warning(world, as_user):
    next_year = timezone.localdate().year + 1
    _ensure_missing(next_year)
    body = text(as_user(world.users["street"]).get("/holidays/"))
    assert f"{next_year}年节假日安排尚未录入，按周一至周五计算工作日" in body
    assert "未录入" in body


def test_street_user_cannot_enter_a_year(world, as_user):
    client = as_user(world.users["street"])
    body = text(client.get("/holidays/"))
    assert "录入一年的官方安排" not in body
    r = client.post("/holidays/", {"year": 2030, "schedule": SCHEDULE_2030})
    assert r.status_code == 403
    assert "只有市级管理员可以录入节假日安排" in text(r)
    assert not HolidayYear.objects.filter(year=2030).exists()


def test_members_get_403(world, as_user):
    from dangjian.accounts import services as accounts

    r = as_user(world.users["member"]).get("/holidays/")
    assert (r.status_code, r["Location"]) == (302, "/m/")  # no console pages
    # A member who also works as a grid worker uses the console, but not this page.
    member = world.users["member"]
    accounts.grant_add(actor=None, user=member, role_code="grid_worker", area=world.grid)
    r = as_user(member).get("/holidays/")
    assert r.status_code == 403
    assert "403 无权访问" in text(r)


def test_admin_enters_a_year(world, as_user):
    _ensure_missing(2030)
    client = as_user(world.users["admin"])
    body = text(client.get("/holidays/"))
    assert "录入一年的官方安排" in body
    r = client.post("/holidays/", {"year": 2030, "schedule": SCHEDULE_2030})
    assert r.status_code == 302, text(r)[:2000]
    year = HolidayYear.objects.get(year=2030)
    assert year.source == HolidayYear.Source.MANUAL
    assert Holiday.objects.get(date=dt.date(2030, 2, 9)).is_workday
    assert not Holiday.objects.get(date=dt.date(2030, 1, 1)).is_workday
    assert workdays.is_workday(dt.date(2030, 2, 9))
    body = text(client.get("/holidays/"))
    assert "2030年节假日安排已保存" in body
    assert "管理员录入" in body
    # Editing pre-fills the year's schedule.
    body = text(client.get("/holidays/?year=2030"))
    assert "2030-02-09 春节调休 班" in body


def test_city_staff_may_enter_too(world, as_user):
    body = text(as_user(world.users["city"]).get("/holidays/"))
    assert "录入一年的官方安排" in body
    body = text(as_user(world.users["county"]).get("/holidays/"))
    assert "录入一年的官方安排" not in body


def test_bad_lines_get_chinese_errors(world, as_user):
    client = as_user(world.users["admin"])
    bad = "2030-13-01 元旦 休\n2030-01-02 元旦\n只有一段\n"
    body = text(client.post("/holidays/", {"year": 2030, "schedule": bad}))
    assert "第1行：日期“2030-13-01”无效" in body
    assert "第2行：末尾应为“休”（放假）或“班”（调休上班）" in body
    assert "第3行：应为“日期 名称 休/班”" in body
    assert not HolidayYear.objects.filter(year=2030, source="manual").exists()


def test_service_errors_are_shown(world, as_user):
    client = as_user(world.users["admin"])
    # 2030-01-05 is a Saturday: not a holiday to enter; 2030-01-07 a Monday: no make-up day.
    body = text(
        client.post(
            "/holidays/",
            {
                "year": 2030,
                "schedule": "2030-01-05 周六 休\n2030-01-07 周一 班\n2031-01-01 元旦 休",
            },
        )
    )
    assert "是周末，本来就不上班" in body
    assert "不是周末，不能作为调休上班日" in body
    assert "不在2030年内" in body
    body = text(client.post("/holidays/", {"year": 1800, "schedule": "2030-01-01 元旦 休"}))
    assert "1949" in body
    assert not HolidayYear.objects.filter(year=2030, source="manual").exists()
