"""The collectors read the source modules; the sweep awards once and replays write nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dangjian.core import ledger
from dangjian.core.models import LedgerTransaction
from dangjian.points import services, sources
from dangjian.points.models import Award, SweepMark
from tests.orglife.helpers import hold, member_user, people
from tests.points.helpers import member_scheme, resident_scheme, rule

pytestmark = pytest.mark.django_db


def test_registry_is_open_to_the_time_bank():
    assert set(sources.collectors()) >= {
        "orglife.attendance",
        "cases.solved",
        "dues.on_time",
        "cases.visit",
    }
    with pytest.raises(ValueError):
        sources.register("manual")


def test_sweep_awards_attendance_and_dues_once(world):
    s = member_scheme(world)
    rule(
        world,
        s,
        name="参加组织生活",
        category="合格党员十条",
        source="orglife.attendance",
        points="2",
    )
    rule(world, s, name="按时交纳党费", category="合格党员十条", source="dues.on_time", points="1")
    branch = world.orgs["grid_branch"]
    members = people(branch, 3)
    users = [member_user(m) for m in members]
    start = timezone.now() - dt.timedelta(days=3)
    hold(world.users["community"], branch, "members_meeting", start, present_all=True)
    from dangjian.dues import services as dues

    dues.profile_set(
        actor=world.users["admin"], member=members[0], category="in_service", base="4000"
    )
    month = timezone.localdate().strftime("%Y-%m")
    dues.payment_create(actor=world.users["admin"], member=members[0], months=[month])

    made = services.collect()
    assert made["orglife.attendance"] == 3
    assert made["dues.on_time"] == 1
    assert Award.objects.filter(user=users[0]).count() == 2
    txns = LedgerTransaction.objects.count()
    # the next sweep starts at the watermark: nothing new
    assert sum(services.collect().values()) == 0
    # a replay of everything from the beginning writes nothing either
    SweepMark.objects.update(watermark=None)
    assert sum(services.collect().values()) == 0
    assert LedgerTransaction.objects.count() == txns
    total = sum(a.points for a in Award.objects.all())
    assert total == Decimal("7.00")
    assert ledger.verify("points") == []


def test_events_closed_as_solved_award_the_reporter(world):
    from dangjian.cases.models import Event
    from tests.cases.helpers import ensure_taxonomy, report

    ensure_taxonomy()
    s = resident_scheme(world)
    rule(world, s, name="随手拍", category="共建共治", source="cases.solved", points="3")
    resident = world.users["resident"]
    ev = report(resident)
    unsolved = report(resident, description="路灯不亮已经一个星期了，晚上出行不便")
    now = timezone.now()
    Event.objects.filter(pk=ev.pk).update(state="closed", resolution="solved", closed_at=now)
    Event.objects.filter(pk=unsolved.pk).update(
        state="closed", resolution="answered", closed_at=now
    )
    made = services.collect(only=["cases.solved"])
    assert made == {"cases.solved": 1}
    assert Award.objects.get().user_id == resident.pk


def test_points_collect_command(world, capsys):
    from django.core.management import call_command

    call_command("points_collect")
    assert "合计新增0笔" in capsys.readouterr().out


def test_confirmed_volunteer_hours_earn_points_per_hour_once(world):
    """The time bank's collector: points per confirmed hour, counted once however often the
    sweep runs."""
    import time_machine

    from tests.timebank.helpers import helper, move, order

    s = member_scheme(world)
    rule(
        world,
        s,
        name="志愿服务",
        category="合格党员十条",
        source="timebank.hours",
        points="2",
    )
    volunteer = helper(world, "志愿者甲")
    o = order(world, helpers=1)
    move(world.users["community"], o, "dispatch", open_to_checked_in=True)
    move(volunteer, o, "accept")
    start = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        move(volunteer, o, "check_in")
    with time_machine.travel(start + dt.timedelta(hours=1, minutes=30), tick=False):
        move(volunteer, o, "check_out")
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        move(world.users["resident"], o, "confirm", rating=5)
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        made = services.collect()
        assert made["timebank.hours"] == 1
        award = Award.objects.get(user=volunteer, source="timebank.hours")
        assert award.points == Decimal("3.00")  # 1.5 hours × 2 points
        assert sum(services.collect().values()) == 0
