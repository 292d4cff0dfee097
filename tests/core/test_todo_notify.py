"""The kernel's one to-do inbox and one notify function."""

import datetime

import pytest

from dangjian.core import notify, todo
from dangjian.core.models import Notification, NotificationPreference
from dangjian.core.textmask import mask_text
from tests import world as world_mod


@pytest.fixture
def sources():
    saved = dict(todo._SOURCES)
    yield
    todo._SOURCES.clear()
    todo._SOURCES.update(saved)


def test_inbox_orders_overdue_first_and_counts_per_source(db, sources):
    u = world_mod.user("inbox-user")
    today = datetime.date.today()

    def late(user):
        return [todo.Todo("t.late", "处理", "甲", "/a/1", 1, today - datetime.timedelta(days=2))]

    def later(user):
        return [
            todo.Todo("t.later", "处理", "乙", "/b/1", 1, today + datetime.timedelta(days=3)),
            todo.Todo("t.later", "处理", "丙", "/b/2", 2, None),
        ]

    todo.declare("t.later", label="稍后", items=later)
    todo.declare("t.late", label="逾期", items=late, count=lambda user: 1)
    rows = todo.inbox(u)
    assert [r.subject for r in rows] == ["甲", "乙", "丙"]
    assert rows[0].is_overdue() and not rows[1].is_overdue()
    assert todo.counts(u) == {"t.late": 1, "t.later": 2}
    assert todo.total(u) == 3
    assert todo.inbox(None) == []


def test_a_source_key_is_declared_once(sources):
    todo.declare("t.once", label="一", items=lambda u: [])
    with pytest.raises(ValueError):
        todo.declare("t.once", label="二", items=lambda u: [])


def test_notify_is_idempotent_per_key_masks_numbers_and_honours_preferences(db):
    a = world_mod.user("notify-a")
    b = world_mod.user("notify-b")
    NotificationPreference.objects.create(user=b, kind="session.changed", in_app=False)
    made = notify.notify(
        recipients=[a, b],
        kind="session.changed",
        title="会议改期",
        body="联系 13812345678",
        key="session:1:changed",
    )
    assert made == 1
    row = Notification.objects.get(recipient=a)
    assert row.body == "联系 138****5678"
    assert (
        notify.notify(
            recipients=[a], kind="session.changed", title="会议改期", key="session:1:changed"
        )
        == 0
    )
    assert notify.unread_count(a) == 1 and notify.unread_count(b) == 0
    assert notify.mark_read(user=b) == 0  # b cannot mark a's rows
    assert notify.mark_read(user=a) == 1
    assert notify.unread_count(a) == 0


def test_notifications_are_read_only_by_their_recipient(db):
    from dangjian.core.scope import PERSONAL

    a = world_mod.user("notify-c")
    b = world_mod.user("notify-d")
    notify.notify(recipients=[a], kind="k", title="给甲")
    assert Notification.objects.visible_to(a, PERSONAL).count() == 1
    assert Notification.objects.visible_to(b, PERSONAL).count() == 0


def test_external_adapters_run_after_commit_and_a_failing_one_keeps_the_row(
    db, settings, django_capture_on_commit_callbacks
):
    sent = []

    class Boom(notify.Adapter):
        def send(self, message):
            raise RuntimeError("gateway down")

    class Keep(notify.Adapter):
        def send(self, message):
            sent.append(message)

    import sys

    mod = sys.modules[__name__]
    mod.Boom, mod.Keep = Boom, Keep
    settings.DANGJIAN_NOTIFY_ADAPTERS = [f"{__name__}.Boom", f"{__name__}.Keep"]
    a = world_mod.user("notify-e")
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify(recipients=[a], kind="k", title="到期提醒")
    assert [m.title for m in sent] == ["到期提醒"]
    assert Notification.objects.filter(recipient=a).count() == 1


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("身份证350102199001011234", "身份证350102********1234"),
        ("电话 138-1234-5678", "电话 138****5678"),
        ("座机0591-87654321", "座机0591-******21"),
        ("订单号 12345，共 20 人", "订单号 12345，共 20 人"),
        ("流水号 2026000012345678901", "流水号 2026000012345678901"),
    ],
)
def test_mask_text_masks_ids_and_phones_and_nothing_else(text, shown):
    assert mask_text(text) == shown
