"""Reads of the star rating. Stored results only: nothing here computes a rating."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from dangjian.assessment.models import Objection, Rating, RatingState, Scheme
from dangjian.core import scope, tree
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

VIEW = "assessment.view"


def _require(user) -> None:
    if not user.can(VIEW):
        raise scope.Forbidden("您没有查看考核的权限")


def schemes(user, *, year: int | None = None, sector: str = ""):
    _require(user)
    qs = Scheme.objects.all().prefetch_related("indicators")
    if year:
        qs = qs.filter(year=year)
    if sector:
        qs = qs.filter(sector=sector)
    return qs


def scheme_get(user, pk: int) -> Scheme:
    _require(user)
    try:
        return Scheme.objects.prefetch_related("indicators").get(pk=pk)
    except Scheme.DoesNotExist:
        from django.http import Http404

        raise Http404("未找到") from None


def visible_org(user, pk: int) -> PartyOrg:
    return scope.get_visible(PartyOrg.objects.defer("contact_phone"), user, VIEW, pk=pk)


def visible_area(user, pk: int) -> Area:
    return scope.get_visible(Area.objects.defer("boundary"), user, VIEW, pk=pk)


def ratings(
    user,
    *,
    year=None,
    org: PartyOrg | None = None,
    area: Area | None = None,
    stars=None,
    state: str = "",
):
    """A user's visible ratings, in county ranking order (score, then the organization)."""
    qs = Rating.objects.visible_to(user, VIEW)
    if year:
        qs = qs.filter(year=year)
    if org is not None:
        qs = qs.filter(tree.subtree_q("org_path", org.path))
    if area is not None:
        qs = qs.filter(tree.subtree_q("area_path", area.path))
    if stars not in (None, ""):
        qs = qs.filter(stars=stars)
    if state:
        if state not in RatingState.values:
            raise ValidationError({"state": ["状态（state）取值无效"]})
        qs = qs.filter(state=state)
    return qs.select_related("scheme").order_by("-year", "county_path", "rank", "org_path")


def rating_get(user, pk: int) -> Rating:
    return scope.get_visible(
        Rating.objects.select_related("scheme").prefetch_related("lines", "objections"),
        user,
        VIEW,
        pk=pk,
    )


def objections(user, *, rating: Rating | None = None, state: str = ""):
    qs = Objection.objects.visible_to(user, VIEW).select_related("rating", "filed_by", "handled_by")
    if rating is not None:
        qs = qs.filter(rating=rating)
    if state:
        qs = qs.filter(state=state)
    return qs


def objection_get(user, pk: int) -> Objection:
    return scope.get_visible(Objection.objects.select_related("rating"), user, VIEW, pk=pk)


# Members read their own organization's rating once it is published (no staff reach needed).
SHOWN_TO_MEMBERS = (RatingState.PUBLISHED, RatingState.FINAL)


def member_rating(user) -> Rating | None:
    """The latest published (or final) rating of the signed-in member's own organization: the
    nearest rated one at or above their organization (a 党小组's branch). None for a user who
    is no member, or before anything is published."""
    from dangjian.members.models import Member

    org_path = Member.objects.filter(user=user).values_list("org_path", flat=True).first()
    if not org_path:
        return None
    return (
        Rating.objects.filter(
            org_path__in=[*tree.ancestors_of(org_path), org_path], state__in=SHOWN_TO_MEMBERS
        )
        .select_related("scheme")
        .prefetch_related("lines")
        .order_by("-year", "-org_path")
        .first()
    )
