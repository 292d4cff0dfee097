"""/api/v1/todos/ and /api/v1/notifications/: the caller's own rows only, paginated, Chinese
errors naming the field, query counts pinned."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core import notify
from dangjian.core.models import Notification, NotificationPreference
from tests.cases.helpers import ensure_taxonomy, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy():
    ensure_taxonomy()


TEXTS = (
    "东门路灯连续三晚不亮",
    "北区井盖缺失很危险",
    "菜市场门口占道经营",
    "小区垃圾桶满溢发臭",
    "楼道堆放大量杂物",
    "广场舞音响噪音扰民",
    "绿化带被车辆碾压毁坏",
    "雨水下水道堵塞返水",
    "屋顶违章搭建彩钢棚",
    "外墙瓷砖脱落砸车",
    "共享单车堵住盲道",
    "电动车在楼道充电",
    "路面坑洼雨天积水",
    "施工围挡被风吹倒",
)
_used = iter(range(len(TEXTS)))


def _events(world, n):
    return [
        report(world.users["resident"], area=world.grid, description=TEXTS[next(_used)])
        for _ in range(n)
    ]


@pytest.fixture(autouse=True)
def _fresh_texts():
    global _used
    _used = iter(range(len(TEXTS)))


def test_todos_are_the_callers_own_with_counts_per_source(world, api, taxonomy):
    events = _events(world, 3)
    r = api.get(world.users["street"], "/api/v1/todos/")
    assert r.status_code == 200
    body = r.json()
    opened = [i for i in body["items"] if i["source"] == "cases.open"]
    assert {int(i["object_id"]) for i in opened} == {e.pk for e in events}
    assert opened[0]["title"] == "立案审核" and opened[0]["url"].startswith("/cases/")
    assert opened[0]["source_label"] == "待立案的事件"
    assert {
        "source": "cases.open",
        "label": "待立案的事件",
        "module": "基层治理",
        "count": 3,
    } in body["counts"]
    assert body["total"] >= 3
    # Another street, the reporter, a grid worker: nothing of these waits on them.
    for key in ("street3", "resident", "grid", "member"):
        other = api.get(world.users[key], "/api/v1/todos/").json()
        assert not [i for i in other["items"] if i["source"] == "cases.open"], key
    paged = api.get(world.users["street"], "/api/v1/todos/", source="cases.open", page_size=2)
    assert paged.json()["count"] == 3 and len(paged.json()["items"]) == 2


def test_todos_refuse_an_unknown_source_by_name(world, api):
    r = api.get(world.users["street"], "/api/v1/todos/", source="nothing.here")
    assert r.status_code == 422
    assert "source" in r.json()["errors"]
    assert api.get(None, "/api/v1/todos/").status_code == 401


def test_notifications_own_only_unread_and_mark_read(world, api):
    me, other = world.users["member"], world.users["community"]
    notify.declare_kind("test.kind", "测试通知")
    for i in range(3):
        notify.notify(recipients=[me], kind="test.kind", title=f"通知{i}", key=f"t:{i}")
    notify.notify(recipients=[other], kind="test.kind", title="别人的通知", key="t:x")
    r = api.get(me, "/api/v1/notifications/")
    body = r.json()
    assert body["count"] == 3 and body["unread"] == 3
    assert [i["title"] for i in body["items"]] == ["通知2", "通知1", "通知0"]
    assert body["items"][0]["kind_label"] == "测试通知" and body["items"][0]["read"] is False
    theirs = Notification.objects.get(recipient=other)
    r = api.post(me, "/api/v1/notifications/read", {"ids": [theirs.pk]})
    assert r.status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    mine = body["items"][0]["id"]
    r = api.post(me, "/api/v1/notifications/read", {"ids": [mine]})
    assert r.json() == {"marked": 1, "unread": 2}
    assert api.get(me, "/api/v1/notifications/", unread="true").json()["count"] == 2
    assert api.post(me, "/api/v1/notifications/read", {}).json() == {"marked": 2, "unread": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    r = api.post(me, "/api/v1/notifications/read", {"ids": [0]})
    assert r.status_code == 422 and "ids" in r.json()["errors"]


def test_preferences_per_kind(world, api):
    me = world.users["member"]
    notify.declare_kind("test.kind", "测试通知")
    prefs = api.get(me, "/api/v1/notifications/preferences").json()
    row = next(p for p in prefs if p["kind"] == "test.kind")
    assert row == {"kind": "test.kind", "label": "测试通知", "in_app": True, "external": True}
    kinds = {p["kind"] for p in prefs}
    assert {"cases.progress", "orglife.session", "members.transfer"} <= kinds
    r = api.post(
        me,
        "/api/v1/notifications/preferences",
        {"kind": "test.kind", "in_app": False, "external": False},
    )
    assert r.status_code == 200 and r.json()["in_app"] is False
    assert NotificationPreference.objects.get(user=me, kind="test.kind").external is False
    assert notify.notify(recipients=[me], kind="test.kind", title="静音") == 0
    r = api.post(me, "/api/v1/notifications/preferences", {"kind": "no.such", "in_app": True})
    assert r.status_code == 422 and "kind" in r.json()["errors"]


def _queries(api, user, path):
    api.get(user, path)  # the token is issued outside the count
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(user, path)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_rows(world, api, taxonomy):
    me = world.users["member"]
    notify.declare_kind("test.kind", "测试通知")
    notify.notify(recipients=[me], kind="test.kind", title="一", key="q:0")
    few = _queries(api, me, "/api/v1/notifications/")
    for i in range(1, 15):
        notify.notify(recipients=[me], kind="test.kind", title="多", key=f"q:{i}")
    assert _queries(api, me, "/api/v1/notifications/") == few

    street = world.users["street"]
    _events(world, 1)
    few = _queries(api, street, "/api/v1/todos/")
    _events(world, 12)
    many = _queries(api, street, "/api/v1/todos/")
    assert many == few, (few, many)
