"""The layout: title, user, logout, the menu by permission, the holiday banner, error pages."""

import pytest
from django.utils import timezone

from dangjian.core import workdays
from dangjian.core.models import HolidayYear
from tests.console.helpers import text

pytestmark = pytest.mark.django_db


def test_home_layout_for_staff(world, as_user):
    r = as_user(world.users["street"]).get("/")
    assert r.status_code == 200
    body = text(r)
    assert "党建引领基层治理平台" in body
    assert "t-street" in body
    assert 'action="/logout/"' in body and "退出登录" in body
    for label, url in (
        ("区域树", "/areas/"),
        ("组织树", "/orgs/"),
        ("审计日志", "/audit/"),
        ("节假日", "/holidays/"),
        ("账号安全", "/account/"),
    ):
        assert f'href="{url}"' in body and label in body
    for label in ("党员管理", "发展党员", "组织生活", "党费", "网格事件", "时间银行", "积分"):
        assert label in body
    # Every module is built now: nothing in the menu reads "under construction".
    assert "建设中" not in body
    assert "我的待办" in body and "最近办理" in body  # the person's own work, not their grants
    assert "乡镇(街道)组织工作人员" not in body
    assert "/static/django_htmx/htmx-2.min.js" in body
    assert "/static/console/console.css" in body
    assert "http://" not in body and "https://" not in body  # no CDN, nothing external


def test_menu_follows_permissions(world, as_user):
    body = text(as_user(world.users["grid"]).get("/"))
    assert 'href="/areas/"' in body and 'href="/orgs/"' in body
    assert 'href="/audit/"' not in body  # the grid worker has no audit.view
    assert "党员管理" not in body
    assert "网格事件" in body
    body = text(as_user(world.users["nobody"]).get("/"))
    assert 'href="/areas/"' not in body
    assert 'href="/account/"' in body
    assert "尚未被授予任何角色" in body


def test_holiday_banner_for_staff_when_a_year_is_missing(world, as_user):
    year = timezone.localdate().year
    HolidayYear.objects.filter(year=year + 1).delete()
    HolidayYear.objects.get_or_create(year=year, defaults={"source": "manual"})
    workdays.clear_cache()
    warning = f"{year + 1}年节假日安排尚未录入"
    assert warning in text(as_user(world.users["street"]).get("/"))
    assert warning not in text(as_user(world.users["member"]).get("/"))


def test_no_banner_when_both_years_are_held(world, as_user):
    year = timezone.localdate().year
    for y in (year, year + 1):
        HolidayYear.objects.get_or_create(year=y, defaults={"source": "manual"})
    workdays.clear_cache()
    assert "节假日安排尚未录入" not in text(as_user(world.users["street"]).get("/"))


def test_404_page_is_chinese(world, as_user):
    r = as_user(world.users["street"]).get("/no-such-page/")
    assert r.status_code == 404
    assert "404 未找到" in text(r)
    r = as_user(world.users["street"]).get("/api/v1/no-such-route")
    assert r.status_code == 404


def test_403_page_is_chinese(world, as_user):
    from dangjian.accounts import services as accounts

    # A member working as a grid worker too: a console user, but not staff for this page.
    member = world.users["member"]
    accounts.grant_add(actor=None, user=member, role_code="grid_worker", area=world.grid)
    r = as_user(member).get("/holidays/")
    assert r.status_code == 403
    body = text(r)
    assert "403 无权访问" in body
    assert "仅工作人员可查看节假日安排" in body


def test_500_handler_renders_chinese(rf):
    from dangjian.console.views import error_500

    r = error_500(rf.get("/x/"))
    assert r.status_code == 500
    assert "服务器内部错误" in r.content.decode()


def test_csrf_failure_page_is_chinese(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["street"])
    r = client.post("/logout/")
    assert r.status_code == 403
    assert "请求校验失败" in r.content.decode()
