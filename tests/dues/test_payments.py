"""Payments through the ledger: the window both sides, idempotency, reversal, receipts,
voluntary extra, probationary members, base history with effective months."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dangjian.core import ledger
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount, LedgerEntry, LedgerTransaction
from dangjian.dues import selectors, services
from dangjian.dues.models import DuesPayment, DuesPaymentMonth
from tests.dues.helpers import at, dues_member, pay

pytestmark = pytest.mark.django_db
D = Decimal


def _balance(code):
    return LedgerAccount.objects.get(ledger="dues", code=code).balance


def test_payment_posts_one_balanced_transaction_per_month(world):
    with time_machine.travel(at(2026, 5, 15), tick=False):
        m = dues_member(world, base="4000", month="2026-01")  # 40.00 a month
        p = pay(world, m, ["2026-03", "2026-04", "2026-05"])
    assert p.dues_amount == D("120.00") and p.total == D("120.00")
    assert p.kind == "combined" and p.months_count == 3
    assert p.receipt_no == f"DF2026{p.pk:08d}"
    rows = list(DuesPaymentMonth.objects.filter(payment=p))
    assert [r.month for r in rows] == [
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
    ]
    for r in rows:
        amounts = sorted(
            LedgerEntry.objects.filter(transaction=r.txn).values_list("amount", flat=True)
        )
        assert amounts == [D("-40.00"), D("40.00")]
    assert _balance(f"org:{world.orgs['grid_branch'].pk}") == D("120.00")
    assert _balance(f"member:{m.pk}") == D("-120.00")
    assert ledger.verify("dues") == []


def test_quarterly_payment_kind(world):
    with time_machine.travel(at(2026, 4, 2), tick=False):
        m = dues_member(world, month="2026-04", quarterly=True)
        p = pay(world, m, ["2026-04", "2026-05", "2026-06"])
    assert p.kind == "quarterly"


def test_group_member_pays_to_the_branch_above(world):
    with time_machine.travel(at(2026, 5, 15), tick=False):
        m = dues_member(world, org="unit_group")
        p = pay(world, m, ["2026-05"])
    assert p.org == world.orgs["grid_branch"]


@pytest.mark.parametrize(
    ("month", "ok"),
    [
        ("2025-11", True),  # six months late: the edge inside
        ("2025-10", False),  # seven late
        ("2026-11", True),  # six ahead
        ("2026-12", False),  # seven ahead
    ],
)
def test_six_month_window_both_sides(world, month, ok):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2025-01", quarterly=True)
        if ok:
            assert pay(world, m, [month]).months_count == 1
        else:
            with pytest.raises(ValidationError) as exc:
                pay(world, m, [month])
            message = exc.value.message_dict["months"][0]
            assert ("补缴期限" in message) if month < "2026" else ("预交期限" in message)
            assert "6个月" in message
            assert DuesPayment.objects.count() == 0
            assert LedgerTransaction.objects.count() == 0


def test_window_moves_with_the_calendar(world):
    with time_machine.travel(at(2026, 1, 31, 23, 59), tick=False):
        a = dues_member(world, month="2025-01", name="甲")
        b = dues_member(world, month="2025-01", name="乙")
        with pytest.raises(ValidationError, match="补缴期限"):
            pay(world, a, ["2025-06"])  # in January, July 2025 is the earliest
        pay(world, a, ["2025-07"])
    with time_machine.travel(at(2026, 2, 1, 0, 1), tick=False):
        with pytest.raises(ValidationError, match="补缴期限"):
            pay(world, b, ["2025-07"])  # a minute later it is February: August is the earliest
        pay(world, b, ["2025-08"])


def test_ahead_needs_the_branchs_consent(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2026-01", quarterly=False)
        with pytest.raises(ValidationError, match="经支部同意"):
            pay(world, m, ["2026-06"])
        pay(world, m, ["2026-05"])  # the current month needs no consent
        services.profile_set(actor=world.users["admin"], member=m, quarterly=True)
        pay(world, m, ["2026-06"])


def test_month_before_dues_start_is_refused(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2026-04")
        with pytest.raises(ValidationError, match="早于起缴月份"):
            pay(world, m, ["2026-03"])


def test_paying_a_month_twice_is_409_and_posts_nothing(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2026-01")
        first = pay(world, m, ["2026-04"])
        count = LedgerTransaction.objects.count()
        with pytest.raises(Conflict, match=first.receipt_no):
            pay(world, m, ["2026-03", "2026-04"])
    assert LedgerTransaction.objects.count() == count
    assert DuesPayment.objects.count() == 1


def test_replaying_a_client_key_changes_nothing(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2026-01")
        p1, created1 = services.payment_create(
            actor=world.users["admin"], member=m, months=["2026-05"], client_key="abc"
        )
        before = (LedgerTransaction.objects.count(), _balance(f"member:{m.pk}"))
        p2, created2 = services.payment_create(
            actor=world.users["admin"], member=m, months=["2026-05"], client_key="abc"
        )
        assert (created1, created2) == (True, False) and p1.pk == p2.pk
        assert (LedgerTransaction.objects.count(), _balance(f"member:{m.pk}")) == before
        with pytest.raises(Conflict, match="client_key"):
            services.payment_create(
                actor=world.users["admin"], member=m, months=["2026-04"], client_key="abc"
            )


def test_stated_amount_must_match(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, base="4000", month="2026-01")
        with pytest.raises(ValidationError, match=r"80\.00"):
            pay(world, m, ["2026-04", "2026-05"], amount="40.00")
        assert pay(world, m, ["2026-04", "2026-05"], amount="80.00").total == D("80.00")


def test_reversal_goes_through_the_ledger_and_frees_the_months(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, base="4000", month="2026-01")
        p = pay(world, m, ["2026-04", "2026-05"], extra="10")
        entries_before = list(LedgerEntry.objects.order_by("pk").values_list("pk", "amount"))
        with pytest.raises(ValidationError, match="冲正原因"):
            services.payment_reverse(actor=world.users["admin"], payment=p, note="")
        services.payment_reverse(actor=world.users["admin"], payment=p, note="录错了")
        # The old rows are untouched; mirror rows were added.
        assert (
            list(
                LedgerEntry.objects.filter(pk__in=[e[0] for e in entries_before])
                .order_by("pk")
                .values_list("pk", "amount")
            )
            == entries_before
        )
        assert LedgerEntry.objects.count() == 2 * len(entries_before)
        assert _balance(f"member:{m.pk}") == 0
        with pytest.raises(Conflict, match="已于"):
            services.payment_reverse(actor=world.users["admin"], payment=p, note="再冲")
        st = selectors.statuses([m.pk])[m.pk]
        assert dt.date(2026, 4, 1) not in st.paid
        again = pay(world, m, ["2026-04"])  # a fresh key for the reversed month
        assert again.months.get().txn.idempotency_key.endswith(":2026-04:1")
    assert ledger.verify("dues") == []


def test_ledger_rows_cannot_be_edited(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2026-01")
        p = pay(world, m, ["2026-05"])
    txn = p.months.get().txn
    with pytest.raises(PermissionError):
        txn.memo = "改"
        txn.save()
    entry = LedgerEntry.objects.filter(transaction=txn).first()
    with pytest.raises(PermissionError):
        entry.delete()


def test_voluntary_extra_of_1000_is_flagged_for_the_centre(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2026-01")
        below = pay(world, m, [], extra="999.99")
        edge = pay(world, m, ["2026-05"], extra="1000")
    assert below.kind == "extra" and not below.remit_whole
    assert edge.remit_whole and edge.total == D("1040.00")
    assert edge.extra_txn is not None and "全额上缴中央" in edge.extra_txn.memo


def test_nothing_to_pay_is_refused(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2026-01")
        with pytest.raises(ValidationError) as exc:
            pay(world, m, [])
        assert "months" in exc.value.message_dict
        for bad, field in ((["2026-13"], "months"), (["2026-05", "2026-05"], "months")):
            with pytest.raises(ValidationError) as exc:
                pay(world, m, bad)
            assert field in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            pay(world, m, ["2026-05"], extra="-1")
        assert "extra" in exc.value.message_dict


def test_probationary_member_pays_from_the_vote(world):
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(
            world,
            month=None,
            status="probationary",
            joined_on=dt.date(2026, 3, 12),
            confirmed_on=None,
        )
        assert m.dues_profile.dues_from == dt.date(2026, 3, 1)
        st = selectors.statuses([m.pk])[m.pk]
        assert st.arrears == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
        with pytest.raises(ValidationError, match="早于起缴月份"):
            pay(world, m, ["2026-02"])


def test_a_new_base_applies_from_its_month(world):
    admin = world.users["admin"]
    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, base="4000", month="2026-01")  # 40.00
        services.profile_set(actor=admin, member=m, base="6000", effective_month="2026-04")  # 90.00
        p = pay(world, m, ["2026-03", "2026-04"])
        assert p.dues_amount == D("130.00")
        st = selectors.statuses([m.pk])[m.pk]
        assert st.monthly == D("90.00") and st.rate == D("0.015")
        # Same month again replaces that month's record.
        services.profile_set(actor=admin, member=m, base="2000", effective_month="2026-04")
        assert selectors.statuses([m.pk])[m.pk].monthly == D("10.00")
        assert m.dues_profile.bases.count() == 2
        # A category change applies the same way.
        services.profile_set(
            actor=admin, member=m, category="retired", base="5200", effective_month="2026-05"
        )
        st = selectors.statuses([m.pk])[m.pk]
        assert (st.category, st.monthly, st.rate) == ("retired", D("52.00"), D("0.01"))
        with pytest.raises(ValidationError) as exc:
            services.profile_set(actor=admin, member=m, base="-3", effective_month="2026-05")
        assert "base" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.profile_set(actor=admin, member=m, base="3", effective_month="2025-12")
        assert "effective_month" in exc.value.message_dict


def test_out_of_scope_staff_cannot_record(world):
    from django.http import Http404

    with time_machine.travel(at(2026, 5, 20), tick=False):
        m = dues_member(world, month="2026-01")
        with pytest.raises(Http404):
            pay(world, m, ["2026-05"], user="street3")
        from dangjian.core.scope import Forbidden

        m.user = world.users["member"]
        m.save(update_fields=["user"])
        with pytest.raises(Forbidden):  # the member sees their own dues but records nothing
            pay(world, m, ["2026-05"], user="member")
    assert DuesPayment.objects.count() == 0
