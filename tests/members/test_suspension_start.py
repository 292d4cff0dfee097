"""A file written as 停止党籍 always carries the day its suspension started (the 2-year count to
removal starts there): created, imported or updated, whichever wrote it."""

import datetime as dt

import pytest
import time_machine

from dangjian.members import services
from dangjian.members.models import Member
from tests.members.helpers import id_no, member, xlsx

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)


def test_a_member_created_suspended_starts_the_count_today(world):
    with time_machine.travel(DAY, tick=False):
        m = member(world.users["street"], world.orgs["grid_branch"], status="suspended")
        full = member(world.users["street"], world.orgs["grid_branch"], name="李四")
    assert Member.objects.get(pk=m.pk).suspended_on == dt.date(2026, 3, 9)
    assert Member.objects.get(pk=full.pk).suspended_on is None


def test_an_imported_suspended_member_starts_the_count_on_the_import_day(world):
    header = ["姓名", "身份证号", "民族", "入党日期", "转正日期", "党员状态", "所在党组织"]
    branch = "龙桥社区第一网格党支部"
    rows = [
        ["停党甲", id_no("19800101", 501), "汉族", dt.date(2005, 7, 1), dt.date(2006, 7, 1)],
        ["正式乙", id_no("19800101", 502), "汉族", dt.date(2005, 7, 1), dt.date(2006, 7, 1)],
    ]
    rows[0] += ["停止党籍", branch]
    rows[1] += ["正式党员", branch]
    with time_machine.travel(DAY, tick=False):
        services.members_import(actor=world.users["street"], content=xlsx([header, *rows]))
    assert Member.objects.get(name="停党甲").suspended_on == dt.date(2026, 3, 9)
    assert Member.objects.get(name="正式乙").suspended_on is None
