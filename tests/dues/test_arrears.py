"""Arrears: the unpaid months, the warning at 3 in a row, the 6-month flag; time-machine."""

import datetime as dt

import pytest
import time_machine

from dangjian.dues import selectors, services
from tests.dues.helpers import at, dues_member, pay

pytestmark = pytest.mark.django_db


def _status(m, when):
    with time_machine.travel(when, tick=False):
        return selectors.statuses([m.pk])[m.pk]


@pytest.mark.parametrize(
    ("when", "streak", "level"),
    [
        (at(2026, 3, 31, 23, 59), 2, "none"),  # Jan, Feb closed; March still open
        (at(2026, 4, 1, 0, 1), 3, "warning"),  # March closed: three in a row
        (at(2026, 6, 30, 23, 59), 5, "warning"),
        (at(2026, 7, 1, 0, 1), 6, "leave"),  # June closed: six in a row
        (at(2026, 12, 1, 9), 11, "leave"),
    ],
)
def test_levels_at_the_boundaries(world, when, streak, level):
    with time_machine.travel(at(2026, 1, 5), tick=False):
        m = dues_member(world, month="2026-01")
    st = _status(m, when)
    assert len(st.streak) == streak
    assert st.level == level
    assert st.streak[0] == dt.date(2026, 1, 1)


def test_a_paid_month_breaks_the_run(world):
    with time_machine.travel(at(2026, 1, 5), tick=False):
        m = dues_member(world, month="2026-01", quarterly=True)
    with time_machine.travel(at(2026, 3, 10), tick=False):
        pay(world, m, ["2026-03"])
    st = _status(m, at(2026, 7, 1, 9))  # unpaid: Jan, Feb | Apr, May, Jun
    assert st.arrears == [
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
        dt.date(2026, 6, 1),
    ]
    assert len(st.streak) == 3 and st.level == "warning"


def test_waived_months_are_not_arrears(world):
    admin = world.users["admin"]
    with time_machine.travel(at(2026, 1, 5), tick=False):
        m = dues_member(world, month="2026-01")
        h = services.hardship_request(
            actor=admin,
            member=m,
            kind="waive",
            from_month="2026-02",
            to_month="2026-03",
            reason="重病住院",
        )
        services.hardship_transition(actor=world.users["community"], hardship=h, action="agree")
        services.hardship_transition(actor=world.users["street"], hardship=h, action="approve")
    st = _status(m, at(2026, 5, 2))  # Jan | Feb, Mar waived | Apr
    assert st.arrears == [dt.date(2026, 1, 1), dt.date(2026, 4, 1)]
    assert st.level == "none"


def test_arrears_selector_lists_the_subtree_worst_first(world):
    with time_machine.travel(at(2026, 1, 5), tick=False):
        six = dues_member(world, month="2026-01", name="六个月")
    with time_machine.travel(at(2026, 3, 5), tick=False):
        three = dues_member(world, month="2026-03", name="三个月", org="unit_group")
    with time_machine.travel(at(2026, 5, 5), tick=False):
        dues_member(world, month="2026-05", name="按时")
    with time_machine.travel(at(2026, 7, 2), tick=False):
        rows = selectors.arrears(world.users["community"], org=world.orgs["grid_branch"])
        assert [(m.name, st.level) for m, st in rows] == [
            ("六个月", "leave"),
            ("三个月", "warning"),
        ]
        assert [m.pk for m, _ in rows] == [six.pk, three.pk]
        assert selectors.arrears(world.users["street3"]) == []


def test_nothing_automatic_beyond_the_flag(world):
    with time_machine.travel(at(2025, 1, 5), tick=False):
        m = dues_member(world, month="2025-01")
    st = _status(m, at(2026, 1, 5))
    assert st.level == "leave"
    m.refresh_from_db()
    assert m.status == "full" and m.left_on is None
