"""Reads of secretary projects and their 督评考 items."""

from __future__ import annotations

from dangjian.assessment.models import Review, SecretaryProject
from dangjian.core import scope, tree

VIEW = "assessment.view"


def projects(user, *, year=None, org=None):
    qs = SecretaryProject.objects.visible_to(user, VIEW)
    if year:
        qs = qs.filter(year=year)
    if org is not None:
        qs = qs.filter(tree.subtree_q("org_path", org.path))
    return qs.select_related("org").order_by("-year", "org_path", "id")


def project_orgs(user, limit: int = 300) -> list:
    """The organizations the user may set up a project for (``assessment.project``): any kind
    but a 党小组, in tree order."""
    from dangjian.organizations.models import OrgKind, PartyOrg

    return list(
        PartyOrg.objects.visible_to(user, "assessment.project")
        .exclude(kind=OrgKind.GROUP)
        .only("pk", "name", "path")
        .order_by("path")[:limit]
    )


def project_get(user, pk: int) -> SecretaryProject:
    return scope.get_visible(
        SecretaryProject.objects.select_related("org").prefetch_related("milestones", "reviews"),
        user,
        VIEW,
        pk=pk,
    )


def reviews(user, *, year=None, org=None, kind: str = "", pending: bool | None = None):
    qs = Review.objects.visible_to(user, VIEW).select_related("project")
    if year:
        qs = qs.filter(project__year=year)
    if org is not None:
        qs = qs.filter(tree.subtree_q("org_path", org.path))
    if kind:
        qs = qs.filter(kind=kind)
    if pending is not None:
        qs = qs.filter(result_score__isnull=pending)
    return qs.order_by("due_on", "org_path", "id")


def review_get(user, pk: int) -> Review:
    return scope.get_visible(Review.objects.select_related("project"), user, VIEW, pk=pk)
