"""The validity arithmetic, both sides of every boundary."""

import pytest

from dangjian.orglife import rules


@pytest.mark.parametrize(
    ("entitled", "present", "ok"),
    [(10, 5, False), (10, 6, True), (9, 4, False), (9, 5, True), (1, 1, True), (0, 0, False)],
)
def test_members_meeting_quorum_more_than_half(entitled, present, ok):
    assert rules.members_meeting_quorum(entitled=entitled, present=present) is ok


@pytest.mark.parametrize(
    ("yes", "entitled", "ok"), [(5, 10, False), (6, 10, True), (4, 9, False), (5, 9, True)]
)
def test_resolution_needs_more_than_half_of_all_entitled(yes, entitled, ok):
    assert rules.resolution_passes(yes=yes, entitled=entitled) is ok


def test_resolution_counts_all_members_not_those_present():
    # 10 entitled, 6 present, all 6 vote yes: passes; 5 yes of 6 present is not enough.
    assert rules.resolution_passes(yes=6, entitled=10)
    assert not rules.resolution_passes(yes=5, entitled=10)


@pytest.mark.parametrize(
    ("entitled", "excused", "present", "ok"),
    [
        (10, 0, 8, False),  # exactly 4/5 is not more than 4/5
        (10, 0, 9, True),
        (10, 2, 6, False),  # 8 voters: 6.4 needed
        (10, 2, 7, True),
        (5, 0, 4, False),
        (5, 0, 5, True),
    ],
)
def test_election_more_than_four_fifths_excused_left_out(entitled, excused, present, ok):
    assert rules.election_quorum(entitled=entitled, excused=excused, present=present) is ok


@pytest.mark.parametrize(
    ("seats", "present", "ok"),
    [(5, 2, False), (5, 3, True), (4, 2, False), (4, 3, True), (0, 0, False)],
)
def test_committee_more_than_half(seats, present, ok):
    assert rules.committee_quorum(seats=seats, present=present) is ok


def test_messages_say_how_many_are_needed():
    c = rules.quorum_check(entitled=10, present=5)
    assert not c.ok and "至少需6人" in c.message and "不能召开" in c.message
    assert rules.quorum_check(entitled=10, present=6).ok
    e = rules.election_check(subject="选举支部书记", entitled=10, excused=0, present=8)
    assert not e.ok and "至少需9人" in e.message
    r = rules.resolution_check(subject="接收预备党员", yes=5, entitled=10)
    assert not r.ok and "至少需6票" in r.message
