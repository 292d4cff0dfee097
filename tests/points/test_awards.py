"""The keyed award service, caps, manual awards through the committee, corrections."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.core import ledger
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount, LedgerTransaction
from dangjian.points import selectors, services
from dangjian.points.models import Award, AwardState
from dangjian.points.services.awards import account_code
from tests.points.helpers import event, resident, resident_scheme, rule

pytestmark = pytest.mark.django_db


def _balance(scheme, user):
    acct = LedgerAccount.objects.filter(ledger="points", code=account_code(scheme.pk, user.pk))
    return acct.first().balance if acct.exists() else Decimal(0)


def test_source_events_award_once_and_replay_writes_nothing(world):
    s = resident_scheme(world)
    rule(world, s, source="cases.visit", points="3")
    u = resident(world)
    events = [event(u, i) for i in range(10)]
    assert services.award_events(events) == 10
    txns = LedgerTransaction.objects.count()
    assert services.award_events(events) == 0
    assert services.award_events(events[:3] + events[:3]) == 0
    assert LedgerTransaction.objects.count() == txns
    assert _balance(s, u) == Decimal("30.00")
    assert ledger.verify("points") == []


def test_subject_outside_the_scheme_gets_nothing(world):
    resident_scheme(world)
    rule_s = resident_scheme(world)  # a second scheme in the same community: both count
    rule(world, rule_s, source="cases.visit")
    outsider = resident(world, "王五", home="village")
    assert services.award_events([event(outsider, 1)]) == 0


def test_cap_per_period_clips_and_stops(world):
    s = resident_scheme(world)
    rule(world, s, source="cases.visit", points="4", cap="10", cap_period="month")
    u = resident(world)
    day = dt.date(2026, 3, 5)
    assert services.award_events([event(u, i, day=day) for i in range(5)]) == 3
    assert _balance(s, u) == Decimal("10.00")
    # next month the cap starts again
    assert services.award_events([event(u, 9, day=dt.date(2026, 4, 1))]) == 1
    assert _balance(s, u) == Decimal("14.00")


def test_collected_rules_cannot_deduct_or_ask_evidence(world):
    s = resident_scheme(world)
    with pytest.raises(ValidationError) as e:
        rule(world, s, source="cases.visit", list_kind="black")
    assert "list_kind" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        rule(world, s, source="cases.visit", evidence_required=True)
    assert "evidence_required" in e.value.message_dict


def test_manual_award_needs_evidence_and_goes_through_the_committee(world):
    s = resident_scheme(world)
    r = rule(world, s, name="美丽庭院", category="美丽庭院", points="20", evidence_required=True)
    u = resident(world)
    staff = world.users["community"]
    with pytest.raises(ValidationError) as e:
        services.award_submit(actor=staff, rule_id=r.pk, user_id=u.pk, data={})
    assert "evidence" in e.value.message_dict
    assert not Award.objects.exists()
    a = services.award_submit(
        actor=staff, rule_id=r.pk, user_id=u.pk, data={"evidence": "庭院整洁，绿植齐全"}
    )
    assert a.state == AwardState.SUBMITTED
    assert list(selectors.review_queue(staff)) == [a]
    assert _balance(s, u) == 0
    services.award_transition(actor=staff, award_id=a.pk, action="approve")
    with pytest.raises(Conflict):
        services.award_transition(actor=staff, award_id=a.pk, action="approve")
    a = services.award_transition(actor=staff, award_id=a.pk, action="score")
    assert a.state == AwardState.POSTED
    assert _balance(s, u) == Decimal("20.00")
    assert list(selectors.review_queue(staff)) == []


def test_own_claim_and_black_list_deduction(world):
    s = resident_scheme(world)
    red = rule(world, s, name="志愿服务", points="10")
    black = rule(world, s, name="乱扔垃圾", list_kind="black", points="3")
    u = resident(world)
    staff = world.users["community"]
    a = services.award_submit(actor=u, rule_id=red.pk, data={"evidence": "参加义务劳动"})
    for action in ("approve", "score"):
        services.award_transition(actor=staff, award_id=a.pk, action=action)
    d = services.award_submit(actor=staff, rule_id=black.pk, user_id=u.pk, data={})
    for action in ("approve", "score"):
        services.award_transition(actor=staff, award_id=d.pk, action=action)
    assert _balance(s, u) == Decimal("7.00")
    # a resident cannot review
    c = services.award_submit(actor=u, rule_id=red.pk, data={})
    from dangjian.core.scope import Forbidden

    with pytest.raises((Forbidden, Exception)):
        services.award_transition(actor=u, award_id=c.pk, action="approve")
    assert Award.objects.get(pk=c.pk).state == AwardState.SUBMITTED


def test_a_correction_reverses(world):
    s = resident_scheme(world)
    rule(world, s, source="cases.visit", points="5")
    u = resident(world)
    services.award_events([event(u, 1)])
    a = Award.objects.get()
    staff = world.users["community"]
    with pytest.raises(ValidationError):
        services.award_reverse(actor=staff, award_id=a.pk, note="")
    services.award_reverse(actor=staff, award_id=a.pk, note="重复登记")
    assert _balance(s, u) == 0
    assert Award.objects.get().state == AwardState.REVERSED
    with pytest.raises(Conflict):
        services.award_reverse(actor=staff, award_id=a.pk, note="再次")
    # the source replayed still counts once: the key is taken
    assert services.award_events([event(u, 1)]) == 0
    assert ledger.verify("points") == []


def test_stars_and_ranking(world):
    s = resident_scheme(world, star_count=2)
    rule(world, s, source="cases.visit", points="1")
    users = [resident(world, n) for n in ("甲一", "乙二", "丙三")]
    day = dt.date(2026, 5, 1)
    evs = [event(u, f"{u.pk}-{i}", day=day) for n, u in enumerate(users) for i in range(n + 1)]
    services.award_events(evs)
    rows = selectors.ranking(
        world.users["community"], start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 1)
    )
    assert [r.user_id for r in rows] == [users[2].pk, users[1].pk, users[0].pk]
    assert rows[0].points == Decimal("3.00")
    stars = services.stars_award(actor=world.users["community"], scheme_id=s.pk, year=2026)
    assert [x.user_id for x in stars] == [users[2].pk, users[1].pk]
    board = selectors.board(s, year=2026)
    assert board[0].name == "丙*"
    # out of scope: nothing
    assert (
        selectors.ranking(
            world.users["street3"], start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 1)
        )
        == []
    )


def test_claims_wait_in_the_committee_s_inbox(world):
    from dangjian.core import todo

    s = resident_scheme(world)
    r = rule(world, s, name="志愿服务", points="10")
    u = resident(world)
    a = services.award_submit(actor=u, rule_id=r.pk, data={"evidence": "义务劳动"})
    staff = world.users["community"]
    items = todo.inbox(staff, only=["points.review"])
    assert [i.object_id for i in items] == [a.pk]
    assert todo.counts(staff)["points.review"] == 1
    assert todo.inbox(world.users["street3"], only=["points.review"]) == []
    assert todo.inbox(u, only=["points.review"]) == []
