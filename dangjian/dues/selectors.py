"""Reads of the dues module: each takes the acting user and reads through ``visible_to``.

The status of many members (monthly amount, paid months, arrears) is computed in bulk: one
query each for the profiles with their bases, the approved hardship decisions and the paid
months, whatever the number of members.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from dangjian.core import scope, tree
from dangjian.core.models import LedgerAccount
from dangjian.dues import calc, rates
from dangjian.dues.funds import Funds, funds  # noqa: F401  (the API and pages read them here)
from dangjian.dues.models import (
    DuesBase,
    DuesPayment,
    DuesPaymentMonth,
    DuesProfile,
    DuesRemittance,
    Hardship,
    HardshipState,
)
from dangjian.members.models import Member, Status
from dangjian.organizations.models import PartyOrg

ACTIVE = (Status.PROBATIONARY, Status.FULL)


class Level:
    NONE = "none"
    WARNING = "warning"  # 3 months in a row
    LEAVE = "leave"  # 6 months in a row: the branch considers 自行脱党


LEVEL_LABELS = {
    Level.NONE: "正常",
    Level.WARNING: "连续3个月未交（提醒）",
    Level.LEAVE: "连续6个月未交（提请支部按自行脱党处理）",
}


@dataclass
class DuesStatus:
    member_id: int
    has_profile: bool = False
    category: str | None = None
    base: Decimal | None = None
    rate: Decimal | None = None
    monthly: Decimal | None = None  # owed for the current month (after relief)
    dues_from: dt.date | None = None
    quarterly: bool = False
    paid: list[dt.date] = field(default_factory=list)
    arrears: list[dt.date] = field(default_factory=list)  # unpaid months before this month
    streak: list[dt.date] = field(default_factory=list)  # the longest run of them
    level: str = Level.NONE

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def category_label(self) -> str | None:
        return rates.CATEGORY_LABELS.get(self.category) if self.category else None


def level_of(run_length: int, limits: tuple[int, int] | None = None) -> str:
    """The arrears level of a run of ``run_length`` unpaid months. ``limits``: the settings
    ``(ARREARS_LEAVE, ARREARS_WARNING)`` already read (``arrears_limits()``), for a caller that
    classifies many members at once."""
    leave, warning = limits or arrears_limits()
    if run_length >= leave:
        return Level.LEAVE
    if run_length >= warning:
        return Level.WARNING
    return Level.NONE


def arrears_limits() -> tuple[int, int]:
    """The settings ``(ARREARS_LEAVE, ARREARS_WARNING)``, in months."""
    return int(rates.setting("ARREARS_LEAVE")), int(rates.setting("ARREARS_WARNING"))


def statuses(members, today: dt.date | None = None) -> dict[int, DuesStatus]:
    """The dues status of each member, in three queries (four for a queryset).

    ``members``: member ids, or a queryset of members; a queryset is used as a subquery, so a
    whole city's statuses do not send 100,000 ids back to the database three times. Rows are
    read as tuples: at that size model instances cost more than the arithmetic."""
    today = today or timezone.localdate()
    current = calc.month_of(today)
    last_closed = calc.add_months(current, -1)
    if isinstance(members, QuerySet):
        member_ids = list(members.values_list("pk", flat=True))
        among = members.order_by().values("pk")
    else:
        member_ids = among = list(members)
    out = {pk: DuesStatus(pk) for pk in member_ids}
    if not member_ids:
        return out
    bases: dict[int, list[tuple]] = defaultdict(list)
    profiles: dict[int, tuple] = {}
    for member_id, category, dues_from, quarterly, *row in (
        DuesBase.objects.filter(profile__member_id__in=among)
        .order_by("profile_id", "effective_month")
        .values_list(
            "profile__member_id",
            "profile__category",
            "profile__dues_from",
            "profile__quarterly",
            "effective_month",
            "amount",
            "base",
            "rate",
        )
    ):
        profiles[member_id] = (category, dues_from, quarterly)
        bases[member_id].append(tuple(row))
    reliefs: dict[int, list[calc.Relief]] = defaultdict(list)
    for member_id, from_month, to_month, amount in Hardship.objects.filter(
        member_id__in=among, state=HardshipState.APPROVED
    ).values_list("member_id", "from_month", "to_month", "amount"):
        reliefs[member_id].append(calc.Relief(from_month, to_month, amount or Decimal("0.00")))
    paid: dict[int, set[dt.date]] = defaultdict(set)
    limits = arrears_limits()  # read once, not once per member
    for member_id, month in (
        DuesPaymentMonth.objects.filter(member_id__in=among, reversed=False)
        .order_by()  # a set per member: the model's ordering would sort 100,000s of rows
        .values_list("member_id", "month")
    ):
        paid[member_id].add(month)
    for pk, st in out.items():
        profile = profiles.get(pk)
        if profile is None:
            continue
        rows = bases[pk]  # (effective month, amount, base, rate), oldest first
        base_rows = [calc.BaseRow(month, amount) for month, amount, _, _ in rows]
        in_force = [r for r in rows if r[0] <= current] or rows[:1]
        cur = in_force[-1]
        st.has_profile = True
        st.category, st.dues_from, st.quarterly = profile
        st.base, st.rate = cur[2], cur[3]
        st.monthly = calc.amount_for(current, base_rows, reliefs[pk])
        st.paid = sorted(paid[pk])
        st.arrears = calc.unpaid_months(st.dues_from, last_closed, base_rows, reliefs[pk], paid[pk])
        st.streak = calc.longest_run(st.arrears)
        st.level = level_of(len(st.streak), limits)
    return out


# --- members ------------------------------------------------------------------------------------


def members(user, *, org: PartyOrg | None = None, q: str = "", with_profile: bool = False):
    """Active members visible for dues, optionally in an organization's subtree."""
    qs = (
        Member.objects.visible_to(user, "dues.view")
        .filter(status__in=ACTIVE, left_on__isnull=True)
        .select_related("org")
        .order_by("org_path", "id")
    )
    if org is not None:
        qs = qs.filter(tree.subtree_q("org_path", org.path))
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(name_pinyin__startswith=q.upper()))
    if with_profile:
        qs = qs.filter(dues_profile__isnull=False)
    return qs


def visible_org(user, pk: int) -> PartyOrg:
    return scope.get_visible(PartyOrg.objects.all(), user, "organizations.view", pk=pk)


def member_detail(user, pk: int) -> Member:
    return scope.get_visible(Member.objects.select_related("org"), user, "dues.view", pk=pk)


def profile_of(member: Member) -> DuesProfile | None:
    return DuesProfile.objects.filter(member=member).select_related("account").first()


# Ids per ``IN (...)`` list: well under any backend's limit on bound parameters.
IN_CHUNK = 5000


def arrears(user, *, org: PartyOrg | None = None, today: dt.date | None = None, minimum: int = 3):
    """Members of the subtree with ``minimum`` or more unpaid months in a row, worst first."""
    qs = members(user, org=org, with_profile=True)
    # Statuses for the whole subtree first; member rows only for those behind.
    st = statuses(qs, today)
    behind = [pk for pk, s in st.items() if len(s.streak) >= minimum]
    narrow = qs.only("pk", "name", "org_id", "org__name")
    out = [
        (m, st[m.pk])
        for start in range(0, len(behind), IN_CHUNK)
        for m in narrow.filter(pk__in=behind[start : start + IN_CHUNK])
    ]
    out.sort(key=lambda pair: (-len(pair[1].streak), pair[0].org_id, pair[0].pk))
    return out


# --- payments and remittances -----------------------------------------------------------------


def payments(user, *, org: PartyOrg | None = None, member: Member | None = None):
    qs = (
        DuesPayment.objects.visible_to(user, "dues.view")
        .select_related("member", "org")
        .order_by("-paid_on", "-id")
    )
    if org is not None:
        qs = qs.filter(tree.subtree_q("member__org_path", org.path))
    if member is not None:
        qs = qs.filter(member=member)
    return qs


def payment_detail(user, pk: int) -> DuesPayment:
    return scope.get_visible(
        DuesPayment.objects.select_related("member", "org", "recorded_by"),
        user,
        "dues.view",
        pk=pk,
    )


def hardships(user, *, org: PartyOrg | None = None, state: str = ""):
    qs = Hardship.objects.visible_to(user, "dues.view").select_related("member", "member__org")
    if org is not None:
        qs = qs.filter(tree.subtree_q("member__org_path", org.path))
    if state:
        qs = qs.filter(state=state)
    return qs.prefetch_related("steps")


def hardship_detail(user, pk: int) -> Hardship:
    return scope.get_visible(
        Hardship.objects.select_related("member", "member__org").prefetch_related("steps"),
        user,
        "dues.view",
        pk=pk,
    )


def remittances(user, *, org: PartyOrg | None = None):
    qs = DuesRemittance.objects.visible_to(user, "dues.view").select_related("from_org", "to_org")
    if org is not None:
        qs = qs.filter(tree.subtree_q("from_org_path", org.path))
    return qs


def remittance_page(user, *, org: PartyOrg | None = None, month: dt.date | None = None):
    """The remittances of the orgs in scope (under ``org``), of one month when given (the
    console records the month as the remittance's period, ``2026-11``), newest first."""
    qs = remittances(user, org=org).select_related("created_by")
    if month is not None:
        qs = qs.filter(period=calc.month_text(month))
    return qs.order_by("-created_at", "-id")


def remittance_sum(qs) -> tuple[int, Decimal]:
    agg = qs.order_by().aggregate(n=Count("id"), s=Sum("amount"))
    return agg["n"] or 0, _dec(agg["s"])


@dataclass
class MonthTotal:
    """What a branch collected for one month, what it already remitted for it, its balance."""

    org: PartyOrg
    month: dt.date
    collected: Decimal
    members_paid: int
    remitted: Decimal
    balance: Decimal

    @property
    def outstanding(self) -> Decimal:
        """Collected for the month and not yet remitted, at most the balance."""
        return max(min(self.collected - self.remitted, self.balance), Decimal("0.00"))


def month_total(user, org: PartyOrg, month: dt.date) -> MonthTotal:
    """The branch's dues for ``month`` (payments it collected, not reversed), in three queries."""
    agg = DuesPaymentMonth.objects.filter(
        payment__in=payments(user).filter(org=org).values("pk"), month=month, reversed=False
    ).aggregate(s=Sum("amount"), n=Count("member_id", distinct=True))
    remitted = remittances(user).filter(from_org=org, period=calc.month_text(month))
    account = LedgerAccount.objects.filter(ledger="dues", code=f"org:{org.pk}").first()
    return MonthTotal(
        org=org,
        month=month,
        collected=_dec(agg["s"]),
        members_paid=agg["n"] or 0,
        remitted=_dec(remitted.aggregate(s=Sum("amount"))["s"]),
        balance=_dec(account.balance) if account else Decimal("0.00"),
    )


# --- branch totals ------------------------------------------------------------------------------


@dataclass
class Totals:
    org: PartyOrg
    year: int
    members: int = 0
    with_profile: int = 0
    monthly_due: Decimal = Decimal("0.00")  # owed this month by the subtree's members
    paid_this_month: int = 0
    collected_dues: Decimal = Decimal("0.00")
    collected_extra: Decimal = Decimal("0.00")
    remit_whole: Decimal = Decimal("0.00")
    remitted_up: Decimal = Decimal("0.00")
    balance: Decimal = Decimal("0.00")
    warning: int = 0
    leave: int = 0
    by_month: list[tuple[dt.date, Decimal]] = field(default_factory=list)


def _dec(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(rates.CENT)


def totals(user, org: PartyOrg, year: int | None = None, today: dt.date | None = None) -> Totals:
    """What the subtree of ``org`` collected in ``year``, what it remitted upward, its balance,
    and how many members are behind."""
    if not user.can("dues.view"):
        raise scope.Forbidden()
    today = today or timezone.localdate()
    year = year or today.year
    t = Totals(org=org, year=year)
    st = statuses(members(user, org=org), today)
    t.members = len(st)
    current = calc.month_of(today)
    for s in st.values():
        if not s.has_profile:
            continue
        t.with_profile += 1
        t.monthly_due += s.monthly or 0
        if current in s.paid:
            t.paid_this_month += 1
        if s.level == Level.LEAVE:
            t.leave += 1
        elif s.level == Level.WARNING:
            t.warning += 1
    pays = payments(user, org=org).filter(paid_on__year=year, reversed_at__isnull=True)
    agg = pays.aggregate(d=Sum("dues_amount"), e=Sum("extra_amount"))
    t.collected_dues, t.collected_extra = _dec(agg["d"]), _dec(agg["e"])
    t.remit_whole = _dec(pays.filter(remit_whole=True).aggregate(s=Sum("extra_amount"))["s"])
    by_month = defaultdict(lambda: Decimal("0.00"))
    for month, total in DuesPaymentMonth.objects.filter(
        payment__in=pays, reversed=False, month__year=year
    ).values_list("month", "amount"):
        by_month[month] += _dec(total)
    t.by_month = sorted(by_month.items())
    t.remitted_up = _dec(
        remittances(user)
        .filter(from_org=org, created_at__year=year)
        .aggregate(s=Sum("amount"))["s"]
    )
    account = LedgerAccount.objects.filter(ledger="dues", code=f"org:{org.pk}").first()
    t.balance = account.balance if account else Decimal("0.00")
    return t


# --- funds for the grassroots: dues/funds.py (两新 organizations only) ---------------------------


def payment_months(payment_ids: list[int]) -> dict[int, list[dt.date]]:
    out: dict[int, list[dt.date]] = defaultdict(list)
    for pid, month in (
        DuesPaymentMonth.objects.filter(payment_id__in=payment_ids)
        .order_by("month")
        .values_list("payment_id", "month")
    ):
        out[pid].append(month)
    return out


def month_table(
    member: Member, profile: DuesProfile, st: DuesStatus, today: dt.date | None = None
) -> list[dict]:
    """The last twelve months up to six ahead: owed, paid (with the receipt), payable now."""
    from dangjian.dues.services import profile_rows, window

    today = today or timezone.localdate()
    current = calc.month_of(today)
    earliest, latest = window(today)
    first = max(profile.dues_from, calc.add_months(current, -11))
    bases, reliefs = profile_rows(profile)
    receipts = dict(
        DuesPaymentMonth.objects.filter(member=member, reversed=False).values_list(
            "month", "payment__receipt_no"
        )
    )
    out = []
    for m in calc.month_range(first, latest):
        amount = calc.amount_for(m, bases, reliefs)
        paid = m in receipts
        out.append(
            {
                "month": calc.month_text(m),
                "amount": f"{amount:.2f}",
                "paid": paid,
                "receipt_no": receipts.get(m),
                "payable": (
                    not paid
                    and amount > 0
                    and earliest <= m <= latest
                    and (m <= current or profile.quarterly)
                ),
            }
        )
    return out
