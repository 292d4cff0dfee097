"""Reads of the points module; each takes the acting user and reads through scope.

A subject's own schemes (``schemes_of``: the residents' scheme of their village or community,
the members' schemes of their organization and its parents) are what they may redeem from and
whose public boards they read: membership, not a grant, the way a resident's home grid is
where they may report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from dangjian.core import scope, textmask, tree
from dangjian.core.models import LedgerAccount
from dangjian.core.months import next_month
from dangjian.core.validators import parse_month
from dangjian.organizations.models import PartyOrg
from dangjian.points.models import (
    Audience,
    Award,
    AwardState,
    Item,
    NameDisplay,
    Redemption,
    Rule,
    Scheme,
    Star,
)
from dangjian.points.services.awards import LEDGER, STEP, account_code, subject_paths
from dangjian.territory.models import Area

VIEW = "points.view"
CENT = Decimal("0.01")


def _prefixes(path: str) -> list[str]:
    return [path[:n] for n in range(STEP, len(path) + 1, STEP)]


def schemes_of(user) -> list[Scheme]:
    """The active schemes ``user`` is a subject of."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    area_path, org_path = subject_paths(user)
    q = Q(pk__in=[])
    if area_path:
        q |= Q(audience=Audience.RESIDENTS, area_path__in=_prefixes(area_path))
    if org_path:
        q |= Q(audience=Audience.MEMBERS, org_path__in=_prefixes(org_path))
    return list(Scheme.objects.filter(q, active=True).select_related("area", "org"))


def schemes(user):
    return Scheme.objects.visible_to(user, VIEW).select_related("area", "org").order_by("id")


def scheme_detail(user, scheme_id: int) -> Scheme:
    return scope.get_visible(schemes(user), user, VIEW, pk=scheme_id)


def rules(user, *, scheme_id: int | None = None):
    qs = Rule.objects.visible_to(user, VIEW).select_related("scheme")
    if scheme_id is not None:
        qs = qs.filter(scheme_id=scheme_id)
    return qs.order_by("scheme_id", "id")


def _month(period) -> tuple[dt.date, dt.date] | None:
    """``YYYY-MM`` as its first day and the next month's first day (None: no period)."""
    start = parse_month(period, field="period", label="月份（period）")
    if start is None:
        return None
    return start, next_month(start)


def _in_area(qs, user, area: int):
    """The rows of an area's subtree (404 when the area is out of the user's reach): by their
    own area path, or, for a subject known only by their organization, by the area that
    organization is anchored to, as the dashboard's points figures count them."""
    node = scope.get_visible(Area.objects.only("pk", "path"), user, VIEW, pk=area)
    anchored = PartyOrg.objects.filter(tree.subtree_q("area_path", node.path)).values("path")
    return qs.filter(
        tree.subtree_q("area_path", node.path) | Q(area_path="", org_path__in=anchored)
    )


def awards(
    user,
    *,
    scheme_id=None,
    state=None,
    user_id=None,
    since=None,
    until=None,
    area: int | None = None,
    period: str | None = None,
    q: str = "",
):
    """Awards, filtered by scheme, state, subject, dates (``since``/``until`` inclusive),
    ``area`` (its subtree), ``period`` (``YYYY-MM``: happened in that month) and ``q`` (the
    subject's name or the rule's): the list behind the dashboard's 当月记分 with
    ``state=posted``."""
    qs = Award.objects.visible_to(user, VIEW).select_related("rule", "scheme")
    if scheme_id is not None:
        qs = qs.filter(scheme_id=scheme_id)
    if state:
        qs = qs.filter(state=state)
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    if since is not None:
        qs = qs.filter(occurred_on__gte=since)
    if until is not None:
        qs = qs.filter(occurred_on__lte=until)
    month = _month(period)
    if month is not None:
        qs = qs.filter(occurred_on__gte=month[0], occurred_on__lt=month[1])
    if area is not None:
        qs = _in_area(qs, user, area)
    q = (q or "").strip()[:50]
    if q:
        qs = qs.filter(Q(subject_name__icontains=q) | Q(rule__name__icontains=q))
    return qs.order_by("-occurred_on", "-id")


def award_detail(user, award_id: int) -> Award:
    return scope.get_visible(
        Award.objects.select_related("rule", "scheme", "evidence_file"), user, VIEW, pk=award_id
    )


def review_queue(user, *, scheme_id=None):
    """Manual awards waiting on the committee: submitted (monthly review) or approved
    (quarterly scoring)."""
    qs = Award.objects.visible_to(user, "points.review").filter(
        state__in=(AwardState.SUBMITTED, AwardState.APPROVED)
    )
    if scheme_id is not None:
        qs = qs.filter(scheme_id=scheme_id)
    return qs.select_related("rule", "scheme").order_by("occurred_on", "id")


def items(user, *, scheme_id=None, only_active=False):
    """The catalogue: items of the schemes the user may see, and of their own schemes."""
    mine = [s.pk for s in schemes_of(user)]
    qs = Item.objects.filter(
        Q(pk__in=Item.objects.visible_to(user, VIEW).values("pk")) | Q(scheme_id__in=mine)
    ).select_related("scheme")
    if scheme_id is not None:
        qs = qs.filter(scheme_id=scheme_id)
    if only_active:
        qs = qs.filter(active=True, scheme__active=True)
    return qs.order_by("scheme_id", "id")


def item_detail(user, item_id: int) -> Item:
    return scope.get_visible(items(user), user, VIEW, pk=item_id)


def redemptions(
    user,
    *,
    scheme_id=None,
    state=None,
    area: int | None = None,
    period: str | None = None,
    q: str = "",
):
    """Redemptions, filtered by scheme, state, ``area`` (its subtree), ``period``
    (``YYYY-MM``: redeemed in that month, office time) and ``q`` (the subject's name or the
    item's): the list behind 当月兑换积分."""
    qs = Redemption.objects.visible_to(user, VIEW).select_related("scheme")
    if scheme_id is not None:
        qs = qs.filter(scheme_id=scheme_id)
    if state:
        qs = qs.filter(state=state)
    month = _month(period)
    if month is not None:
        start, end = (timezone.make_aware(dt.datetime.combine(d, dt.time())) for d in month)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    if area is not None:
        qs = _in_area(qs, user, area)
    q = (q or "").strip()[:50]
    if q:
        qs = qs.filter(Q(subject_name__icontains=q) | Q(item_name__icontains=q))
    return qs.order_by("-created_at", "-id")


def redemption_detail(user, redemption_id: int) -> Redemption:
    return scope.get_visible(redemptions(user), user, VIEW, pk=redemption_id)


@dataclass
class Balance:
    scheme: Scheme
    balance: Decimal
    earned_year: Decimal


def my_balances(user) -> list[Balance]:
    """The user's balance in each of their schemes, with what they earned this year."""
    mine = schemes_of(user)
    if not mine:
        return []
    codes = {account_code(s.pk, user.pk): s for s in mine}
    held = dict(
        LedgerAccount.objects.filter(ledger=LEDGER, code__in=list(codes)).values_list(
            "code", "balance"
        )
    )
    year = timezone.localdate().year
    earned = dict(
        Award.objects.filter(
            user_id=user.pk, scheme__in=mine, state=AwardState.POSTED, occurred_on__year=year
        )
        .values("scheme_id")
        .annotate(t=Sum("points"))
        .values_list("scheme_id", "t")
    )
    return [
        Balance(
            s,
            held.get(code, Decimal(0)),
            Decimal(str(earned.get(s.pk) or 0)).quantize(CENT),
        )
        for code, s in codes.items()
    ]


def display_name(name: str, how: str) -> str:
    """A name as a public board shows it (never an ID or phone number). A subject's recorded
    name is their account's name, which falls back to the user name: for an account opened
    by its mobile number, that number. A name holding a phone or ID number reads anonymous."""
    if textmask.has_sensitive_numbers(name):
        return "（匿名）"
    if how == NameDisplay.FULL:
        return name
    if how == NameDisplay.SURNAME and name:
        return name[0] + "*" * max(len(name) - 1, 1)
    return "（匿名）"


@dataclass
class RankRow:
    rank: int
    user_id: int
    name: str
    points: Decimal


def ranking(
    user,
    *,
    start: dt.date,
    end: dt.date,
    scheme_id: int | None = None,
    area_path: str = "",
    org_path: str = "",
    limit: int = 50,
) -> list[RankRow]:
    """Subjects by the points they earned in ``[start, end)``, within what ``user`` sees, for
    a scheme and/or a node of either tree (its subtree)."""
    qs = Award.objects.visible_to(user, VIEW).filter(
        state=AwardState.POSTED, occurred_on__gte=start, occurred_on__lt=end
    )
    if scheme_id is not None:
        qs = qs.filter(scheme_id=scheme_id)
    if area_path:
        qs = qs.filter(area_path__gte=area_path, area_path__lt=tree.path_end(area_path))
    if org_path:
        qs = qs.filter(org_path__gte=org_path, org_path__lt=tree.path_end(org_path))
    rows = (
        qs.values("user_id")
        .annotate(total=Sum("points"))
        .order_by("-total", "user_id")
        .values_list("user_id", "total")[:limit]
    )
    rows = list(rows)
    names = dict(
        Award.objects.filter(user_id__in=[u for u, _ in rows])
        .order_by()
        .values_list("user_id", "subject_name")
        .distinct()
    )
    return [
        RankRow(i + 1, u, names.get(u, ""), Decimal(str(t)).quantize(CENT))
        for i, (u, t) in enumerate(rows)
    ]


def board(scheme: Scheme, *, year: int, limit: int = 20) -> list[RankRow]:
    """A scheme's public board for a year, names as the scheme allows."""
    rows = (
        Award.objects.filter(scheme=scheme, state=AwardState.POSTED, occurred_on__year=year)
        .values("user_id")
        .annotate(total=Sum("points"))
        .order_by("-total", "user_id")
        .values_list("user_id", "total")[:limit]
    )
    rows = list(rows)
    names = dict(
        Award.objects.filter(scheme=scheme, user_id__in=[u for u, _ in rows])
        .order_by()
        .values_list("user_id", "subject_name")
        .distinct()
    )
    return [
        RankRow(
            i + 1,
            u,
            display_name(names.get(u, ""), scheme.name_display),
            Decimal(str(t)).quantize(CENT),
        )
        for i, (u, t) in enumerate(rows)
    ]


def stars(user, *, scheme_id=None, year=None):
    qs = Star.objects.visible_to(user, VIEW).select_related("scheme")
    if scheme_id is not None:
        qs = qs.filter(scheme_id=scheme_id)
    if year is not None:
        qs = qs.filter(year=year)
    return qs
