"""Reads of the weak-organization assessment, scoped (``assessment.view``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from dangjian.assessment.models import (
    Flag,
    Ranking,
    RankingState,
    Rectification,
    RectificationState,
    WeakRule,
)
from dangjian.core import scope, tree
from dangjian.organizations.models import PartyOrg

VIEW = "assessment.view"


def _year(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        y = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"year": ["年度（year）应为整数"]}) from None
    if not 2000 <= y <= 2100:
        raise ValidationError({"year": ["年度（year）应在2000至2100之间"]})
    return y


def visible_org(user, pk: int) -> PartyOrg:
    return scope.get_visible(
        PartyOrg.objects.defer("contact_phone"), user, "organizations.view", pk=pk
    )


def flags(user, *, year=None, org: PartyOrg | None = None, area=None, rule: str = ""):
    """Situations found, by year, organization (its subtree) and area (the organizations
    anchored under it), rule."""
    qs = Flag.objects.visible_to(user, VIEW).select_related("org")
    y = _year(year)
    if y is not None:
        qs = qs.filter(year=y)
    if org is not None:
        qs = qs.filter(tree.subtree_q("org_path", org.path))
    if area is not None:
        qs = qs.filter(tree.subtree_q("area_path", area.path))
    if rule:
        if rule not in WeakRule.values:
            raise ValidationError({"rule": ["情形（rule）取值无效"]})
        qs = qs.filter(rule=rule)
    return qs.order_by("-year", "county_path", "org_path", "rule", "id")


def flag_detail(user, pk: int) -> Flag:
    return scope.get_visible(Flag.objects.select_related("org"), user, VIEW, pk=pk)


def rankings(user, *, year=None, state: str = ""):
    qs = Ranking.objects.visible_to(user, VIEW).select_related("county", "confirmed_by")
    y = _year(year)
    if y is not None:
        qs = qs.filter(year=y)
    if state:
        if state not in RankingState.values:
            raise ValidationError({"state": ["状态（state）取值无效"]})
        qs = qs.filter(state=state)
    return qs.annotate(entry_count=Count("entries")).order_by("-year", "area_path", "id")


def ranking_detail(user, pk: int) -> Ranking:
    return scope.get_visible(
        Ranking.objects.select_related("county", "confirmed_by"), user, VIEW, pk=pk
    )


def rectifications(user, *, year=None, state: str = "", org: PartyOrg | None = None, area=None):
    """The rectifications (one per organization confirmed weak and lax in a year), by year,
    state, organization (its subtree) and area (the organizations anchored under it): with
    ``year`` and ``area``, the list behind the dashboard's 确定为软弱涣散的党组织."""
    qs = Rectification.objects.visible_to(user, VIEW)
    if area is not None:
        qs = qs.filter(tree.subtree_q("area_path", area.path))
    y = _year(year)
    if y is not None:
        qs = qs.filter(year=y)
    if state:
        if state not in RectificationState.values:
            raise ValidationError({"state": ["状态（state）取值无效"]})
        qs = qs.filter(state=state)
    if org is not None:
        qs = qs.filter(Q(org_id=org.pk) | tree.subtree_q("org_path", org.path))
    return qs.order_by("-year", "org_path", "id")


def rectification_detail(user, pk: int) -> Rectification:
    return scope.get_visible(Rectification.objects.all(), user, VIEW, pk=pk)


def org_summary(user, org: PartyOrg) -> dict:
    """What the organization's page shows: its flags and rectifications, by year."""
    return {
        "flags": list(
            Flag.objects.visible_to(user, VIEW).filter(org=org).order_by("-year", "rule", "id")
        ),
        "rectifications": list(
            Rectification.objects.visible_to(user, VIEW).filter(org=org).order_by("-year")
        ),
    }
