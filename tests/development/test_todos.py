"""An applicant's next step, due within a week or overdue, waits on those who manage the file;
the deadline sweep tells them once when it comes near and once when it has passed."""

import datetime as dt

import pytest

from dangjian.core import notify, todo
from dangjian.core.models import Notification
from tests.development.helpers import applicant, travel, walk

pytestmark = pytest.mark.django_db


def waiting(user):
    return [t.object_id for t in todo.inbox(user, limit=None, only=["development.step"])]


def test_a_due_step_waits_and_the_sweep_tells_once(world):
    community = world.users["community"]
    start = dt.date(2026, 3, 2)
    with travel(start):
        a = applicant(world)
    a = walk(world, a, 1, start)
    assert a.next_due is not None
    with travel(a.next_due - dt.timedelta(days=20)):
        assert waiting(community) == []
        assert notify.sweep()["development"] == 0
    with travel(a.next_due - dt.timedelta(days=3)):
        assert waiting(community) == [a.pk]
        assert waiting(world.users["street3"]) == []
        assert waiting(world.users["street"]) == [a.pk]  # the 党工委 two levels up
        assert waiting(world.users["county"]) == []  # a whole county's: not in one inbox
        item = todo.inbox(community, only=["development.step"])[0]
        assert item.due == a.next_due and item.url == f"/development/{a.pk}/"
        assert item.title == "党组织派人谈话" and not item.is_overdue()
        assert notify.sweep()["development"] >= 1
        assert notify.sweep()["development"] == 0
    near = Notification.objects.get(recipient=community, kind="development.deadline")
    assert near.title == "发展党员步骤期限临近" and "李申请" in near.body
    with travel(a.next_due + dt.timedelta(days=2)):
        assert todo.inbox(community, only=["development.step"])[0].is_overdue()
        assert notify.sweep()["development"] >= 1
        assert notify.sweep()["development"] == 0
    assert Notification.objects.filter(recipient=community, title="发展党员步骤已超期").count() == 1
