"""Homes by role, the console's inbox (我的待办), the bell, notification pages and preferences,
and the phone's lists: a person sees their own rows only."""

import pytest

from dangjian.core import notify
from dangjian.core.models import AuditEntry, Notification, NotificationPreference
from tests.cases.helpers import ensure_taxonomy, report
from tests.console.helpers import count_queries, text
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(world):
    ensure_taxonomy()
    return report(world.users["resident"], area=world.grid, description="东门路灯连续三晚不亮")


@pytest.mark.parametrize(
    ("key", "home"),
    [("street", "/"), ("community", "/"), ("grid", "/m/"), ("member", "/m/"), ("resident", "/m/")],
)
def test_each_role_lands_where_its_work_is(world, client, settings, key, home):
    settings.DANGJIAN = {**getattr(settings, "DANGJIAN", {}), "TOTP_REQUIRED_FOR_GRANTORS": False}
    user = world.users[key]
    r = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == home
    # An explicit destination is kept.
    client.logout()
    r = client.post("/login/?next=/m/", {"username": user.username, "password": PASSWORD})
    assert r["Location"] == "/m/"


def test_the_staff_home_shows_their_work_not_their_grants(world, client, event):
    street = world.users["street"]
    client.force_login(street)
    body = text(client.get("/"))
    assert "我的待办" in body and "待立案的事件" in body and "立案审核" in body
    assert f'href="/cases/{event.pk}/"' in body
    assert "最近办理" in body and "乡镇(街道)组织工作人员" not in body
    AuditEntry.objects.create(
        actor=street, actor_name="t-street", action="member.create", object_repr="张三"
    )
    body = text(client.get("/"))
    assert "member.create" not in body  # audit codes are never shown to people


def test_members_see_no_staff_menus(world, client):
    client.force_login(world.users["member"])
    body = text(client.get("/account/"))
    for label in ("党员管理", "党费上缴", "审计日志"):
        assert label not in body
    assert "我的待办" in body


def test_the_inbox_page_and_counts(world, client, event):
    client.force_login(world.users["street"])
    body = text(client.get("/todos/"))
    assert "我的待办" in body and "东门路灯" in body
    assert "东门路灯" in text(client.get("/todos/?source=cases.open"))
    counts = client.get("/todos/counts/").json()
    assert counts["todos"] >= 1 and counts["menu"]["/cases/"] >= 1 and counts["unread"] == 0
    client.force_login(world.users["street3"])
    assert "东门路灯" not in text(client.get("/todos/"))


def test_the_inbox_page_query_count_is_pinned(world, client, event):
    client.force_login(world.users["street"])
    client.get("/todos/")
    few, _ = count_queries(client, "/todos/")
    for text_ in ("北区井盖缺失很危险", "菜市场门口占道经营", "小区垃圾桶满溢发臭"):
        report(world.users["resident"], area=world.grid, description=text_)
    many, _ = count_queries(client, "/todos/")
    assert many <= few


def test_notifications_bell_open_and_preferences(world, client):
    me, other = world.users["community"], world.users["street"]
    notify.declare_kind("test.kind", "测试通知")
    notify.notify(recipients=[me], kind="test.kind", title="会议改到周五", url="/orglife/")
    notify.notify(recipients=[other], kind="test.kind", title="别人的通知")
    client.force_login(me)
    body = text(client.get("/notifications/"))
    assert "会议改到周五" in body and "别人的通知" not in body and "测试通知" in body
    assert "会议改到周五" in text(client.get("/notifications/menu/"))
    mine = Notification.objects.get(recipient=me)
    theirs = Notification.objects.get(recipient=other)
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    r = client.post(f"/notifications/{mine.pk}/open/")
    assert r.status_code == 302 and r["Location"] == "/orglife/"
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    body = text(client.get("/notifications/preferences/"))
    assert "测试通知" in body and "诉求办理进度" in body
    r = client.post("/notifications/preferences/", {"external:test.kind": "on"})
    assert r.status_code == 302
    pref = NotificationPreference.objects.get(user=me, kind="test.kind")
    assert (pref.in_app, pref.external) == (False, True)
    notify.notify(recipients=[other], kind="test.kind", title="再一条")
    r = client.post("/notifications/read/")
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 2


def test_the_phone_home_lists_and_console_link(world, client, event):
    resident = world.users["resident"]
    notify.notify(recipients=[resident], kind="cases.progress", title="您上报的事件已受理")
    client.force_login(resident)
    body = text(client.get("/m/"))
    assert "我的待办" in body and "我的通知" in body and "进入管理后台" not in body
    body = text(client.get("/m/notifications/"))
    assert "您上报的事件已受理" in body and "诉求办理进度" in body
    n = Notification.objects.get(recipient=resident)
    r = client.post(f"/m/notifications/{n.pk}/open/")
    assert r.status_code == 302
    assert notify.unread_count(resident) == 0
    assert "暂无待办事项" in text(client.get("/m/todos/"))
    client.force_login(world.users["grid"])
    assert "进入管理后台" in text(client.get("/m/"))
