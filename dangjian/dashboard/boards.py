"""The lists behind two figures, read from the rows stored with the roll-ups: the compliance
board (each branch's colour for the quarter of a month) and the members in arrears. Scoped as
the live ones are (``orglife.view``, ``dues.view``), under an area node or an organization."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.utils import timezone

from dangjian.core import scope, tree
from dangjian.dashboard import selectors
from dangjian.dashboard.models import ArrearsRow, BranchCompliance
from dangjian.organizations.models import PartyOrg

COLOURS = ("green", "amber", "red")
LEVELS = ("warning", "leave")


def _under(qs, user, *, node=None, org=None, action: str):
    if node is not None:
        area = selectors.node_of(user, node)
        qs = qs.filter(tree.subtree_q("area_path", area.path))
    if org is not None:
        o = scope.get_visible(PartyOrg.objects.only("pk", "path"), user, action, pk=org)
        qs = qs.filter(tree.subtree_q("org_path", o.path))
    return qs


def compliance_board(user, *, node=None, org=None, period=None, colour=None) -> tuple:
    """(the rows' queryset, header) for the board of ``period`` (``YYYY-MM``)."""
    month = selectors.parse_period(period)
    if colour not in (None, "", *COLOURS):
        raise ValidationError({"colour": ["colour应为green、amber或red"]})
    qs = _under(
        BranchCompliance.objects.visible_to(user, "orglife.view").filter(month=month),
        user,
        node=node,
        org=org,
        action="orglife.view",
    )
    totals = qs.aggregate(
        computed_at=Max("computed_at"),
        **{c: Count("id", filter=Q(colour=c)) for c in COLOURS},
    )
    if colour:
        qs = qs.filter(colour=colour)
    at = totals.pop("computed_at")
    header = {
        "period": selectors.period_code(month),
        "period_label": selectors.period_label(month),
        "computed_at": timezone.localtime(at).isoformat() if at else None,
        "totals": totals,
    }
    return qs.order_by("org_path").only("row"), header


def arrears(user, *, node=None, org=None, level=None):
    if level not in (None, "", *LEVELS):
        raise ValidationError({"level": ["level应为warning（连续3个月）或leave（连续6个月）"]})
    qs = _under(
        ArrearsRow.objects.visible_to(user, "dues.view"),
        user,
        node=node,
        org=org,
        action="dues.view",
    )
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("-streak", "org_id", "member_id")
