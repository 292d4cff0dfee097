"""An independent oracle for the roll-ups: the same figures computed node by node straight
from the raw rows with the node's subtree range, no grouping by path and no propagation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from dangjian.assessment.models import MemberWarning
from dangjian.cases.models import Event
from dangjian.core import tree
from dangjian.core.models import LedgerEntry
from dangjian.dues.models import DuesPaymentMonth
from dangjian.members.models import CheckinService, CommunityCheckin, Member
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.territory.models import Area, AreaKind


def live(area: Area, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    start = today.replace(day=1)
    start_at = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    sub = tree.subtree_q
    members = Member.objects.filter(
        sub("org__area_path", area.path),
        status__in=("probationary", "full"),
        joined_on__lte=today,
        left_on__isnull=True,
    )
    orgs = PartyOrg.objects.filter(sub("area_path", area.path), dissolved_on__isnull=True)
    grids = Area.objects.filter(sub("path", area.path), kind=AreaKind.GRID, closed_on__isnull=True)
    events = Event.objects.filter(sub("area_path", area.path), opened_at__gte=start_at)
    hours = CheckinService.objects.filter(
        sub("checkin__area_path", area.path), served_on__gte=start
    ).aggregate(h=Sum("hours"))["h"]
    dues = DuesPaymentMonth.objects.filter(
        sub("payment__org__area_path", area.path), reversed=False, payment__paid_on__gte=start
    ).aggregate(s=Sum("amount"))["s"]
    tb_hours = LedgerEntry.objects.filter(
        sub("account__area_path", area.path),
        account__code__startswith="timebank:community:",
        transaction__occurred_on__gte=start,
    ).aggregate(h=Sum("amount"))["h"]
    warnings = MemberWarning.objects.filter(sub("org__area_path", area.path), active=True)
    return {
        "volunteer_hours": str((0 - Decimal(tb_hours or 0)).quantize(Decimal("0.01"))),
        "warnings_yellow": warnings.filter(colour="yellow").count(),
        "warnings_red": warnings.filter(colour="red").count(),
        "members": members.count(),
        "members_full": members.filter(status="full").count(),
        "category_in_service": members.filter(category_rows__code="in_service").count(),
        "orgs": orgs.count(),
        "branches": orgs.filter(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)).count(),
        "grids": grids.count(),
        "grids_with_branch": grids.filter(
            Q(pk__in=orgs.filter(kind=OrgKind.BRANCH).values("area_id"))
        ).count(),
        "events_opened": events.count(),
        "events_closed": events.filter(closed_at__isnull=False).count(),
        "checkins": CommunityCheckin.objects.filter(sub("area_path", area.path)).count(),
        "checkin_hours": str(Decimal(hours or 0).quantize(Decimal("0.1"))),
        "dues_collected": str(Decimal(dues or 0).quantize(Decimal("0.01"))),
    }
