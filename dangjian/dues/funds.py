"""The funds for the grassroots (Nantong standards, local: DOMAIN.md "Dues"), for 两新
organizations only (non-public enterprises and social organizations):

- per party organization founded in the year: a branch or above (党支部, 党总支, 党委, 党工委),
  not a group (党小组) and not a temporary branch (临时);
- per member per year: each member (full or probationary) of a 两新 organization on the
  register in the year (joined by the year's end, not left before it), the year's whole amount
  (not prorated by months);
- per full-time secretary per month: the secretary's seat on the organization's elected
  committee marked 专职 (``members.CommitteeSeat.full_time``), per month served in the year
  (from the month the seat starts to the month it ends, the end of the year when it is open).

Amounts are Decimal, standards from the settings (``rates.setting``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from dangjian.core import tree
from dangjian.dues import calc, rates
from dangjian.members.models import Member, Status
from dangjian.members.models.committee import CommitteePost, CommitteeSeat
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg
from dangjian.territory.models import Area

ACTIVE = (Status.PROBATIONARY, Status.FULL)
# 两新: non-public enterprises and social organizations.
LIANGXIN = (OrgDomain.NON_PUBLIC, OrgDomain.SOCIAL_ORG)
# A branch or above: not a group.
FOUNDED_KINDS = (
    OrgKind.BRANCH,
    OrgKind.GENERAL_BRANCH,
    OrgKind.COMMITTEE,
    OrgKind.WORKING_COMMITTEE,
)


@dataclass
class Funds:
    year: int
    new_orgs: int
    members: int
    secretaries: int
    new_org_amount: Decimal
    member_amount: Decimal
    secretary_amount: Decimal
    standards: dict

    @property
    def total(self) -> Decimal:
        return self.new_org_amount + self.member_amount + self.secretary_amount


def secretary_months(rows, year: int) -> int:
    """Months served in ``year`` over (starts_on, ends_on) rows; an open seat runs to December."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    months = 0
    for starts_on, ends_on in rows:
        first = max(calc.month_of(starts_on), start)
        last = calc.month_of(min(ends_on, end)) if ends_on else end.replace(day=1)
        if last >= first:
            months += calc.months_between(first, last) + 1
    return months


def funds(user, *, org: PartyOrg | None = None, area: Area | None = None, year: int | None = None):
    """The entitlement of a subtree's 两新 organizations for ``year`` (see the module)."""
    if (org is None) == (area is None):
        raise ValidationError({"org": ["请指定党组织（org）或区域（area）之一"]})
    year = year or timezone.localdate().year
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    new_org = Decimal(str(rates.setting("FUND_NEW_ORG")))
    per_member = Decimal(str(rates.setting("FUND_PER_MEMBER_YEAR")))
    per_secretary = Decimal(str(rates.setting("FUND_SECRETARY_MONTH")))
    orgs = PartyOrg.objects.visible_to(user, "organizations.view").filter(domain__in=LIANGXIN)
    member_qs = Member.objects.visible_to(user, "dues.view").filter(
        org__domain__in=LIANGXIN, joined_on__lte=end
    )
    seats = CommitteeSeat.objects.visible_to(user, "dues.view").filter(
        post=CommitteePost.SECRETARY,
        full_time=True,
        committee__org__domain__in=LIANGXIN,
        starts_on__lte=end,
    )
    if org is not None:
        orgs = orgs.filter(tree.subtree_q("path", org.path))
        member_qs = member_qs.filter(tree.subtree_q("org_path", org.path))
        seats = seats.filter(tree.subtree_q("org_path", org.path))
    else:
        orgs = orgs.filter(tree.subtree_q("area_path", area.path))
        member_qs = member_qs.filter(tree.subtree_q("org__area_path", area.path))
        seats = seats.filter(tree.subtree_q("committee__org__area_path", area.path))
    new_orgs = (
        orgs.filter(kind__in=FOUNDED_KINDS)
        .exclude(form=OrgForm.TEMPORARY)
        .filter(
            Q(established_on__year=year) | Q(established_on__isnull=True, created_at__year=year)
        )
        .count()
    )
    # On the register in the year: still active, or left during or after it.
    member_count = member_qs.filter(
        Q(status__in=ACTIVE, left_on__isnull=True) | Q(left_on__gte=start)
    ).count()
    seat_rows = list(
        seats.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start)).values_list(
            "starts_on", "ends_on"
        )
    )
    months = secretary_months(seat_rows, year)
    serving = sum(1 for _s, ends_on in seat_rows if ends_on is None)
    return Funds(
        year=year,
        new_orgs=new_orgs,
        members=member_count,
        secretaries=serving,
        new_org_amount=(new_org * new_orgs).quantize(rates.CENT),
        member_amount=(per_member * member_count).quantize(rates.CENT),
        secretary_amount=(per_secretary * months).quantize(rates.CENT),
        standards={
            "new_org": f"{new_org:.2f}",
            "per_member_year": f"{per_member:.2f}",
            "per_secretary_month": f"{per_secretary:.2f}",
            "secretary_months": months,
        },
    )
