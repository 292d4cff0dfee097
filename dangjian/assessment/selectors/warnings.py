"""Reads of the two-colour member warnings: the member's own, a branch's, and the counts the
levels above see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from dangjian.assessment.models import MemberWarning, WarningColour, WarningRule
from dangjian.core import scope, tree
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

VIEW = "members.view"


def warnings(
    user,
    *,
    org: PartyOrg | None = None,
    area: Area | None = None,
    colour: str = "",
    rule: str = "",
    active: bool | None = True,
):
    """The warnings ``user`` sees (a member: their own; staff: their subtree); ``area``: the
    members of the organizations anchored under it (the dashboard's figure behind it)."""
    qs = MemberWarning.objects.visible_to(user, VIEW)
    if org is not None:
        qs = qs.filter(tree.subtree_q("org_path", org.path))
    if area is not None:
        qs = qs.filter(tree.subtree_q("org__area_path", area.path))
    if colour:
        if colour not in WarningColour.values:
            raise ValidationError({"colour": ["颜色（colour）取值无效"]})
        qs = qs.filter(colour=colour)
    if rule:
        if rule not in WarningRule.values:
            raise ValidationError({"rule": ["规则（rule）取值无效"]})
        qs = qs.filter(rule=rule)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("-active", "org_path", "member_name", "member_id", "rule", "-id")


def own(user, *, history: bool = False):
    """The signed-in member's own warnings (active first; the history when asked)."""
    qs = MemberWarning.objects.visible_to(user, VIEW).filter(user=user)
    if not history:
        qs = qs.filter(active=True)
    return qs.order_by("-active", "-raised_on", "-id")


def counts(user, *, org: PartyOrg | None = None) -> list[dict]:
    """Active warnings per organization and colour in ``user``'s reach (for the levels above,
    who see the counts)."""
    qs = warnings(user, org=org)
    rows = (
        qs.order_by()
        .values("org_id", "org__name", "org_path")
        .annotate(
            yellow=Count("pk", filter=Q(colour=WarningColour.YELLOW)),
            red=Count("pk", filter=Q(colour=WarningColour.RED)),
        )
        .order_by("org_path")
    )
    return [
        {
            "org_id": r["org_id"],
            "org_name": r["org__name"],
            "yellow": r["yellow"],
            "red": r["red"],
        }
        for r in rows
    ]


def warning_detail(user, pk: int) -> MemberWarning:
    return scope.get_visible(MemberWarning.objects.all(), user, VIEW, pk=pk)
