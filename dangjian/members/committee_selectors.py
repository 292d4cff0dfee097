"""Reads of the committees as elected (``models.committee``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q

from dangjian.members.models.committee import CommitteeSeat, OrgCommittee

VIEW = "organizations.view"


def _seats_at(day: dt.date) -> Q:
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def committee_at(org_id: int, day: dt.date) -> OrgCommittee | None:
    """The committee serving ``org_id`` on ``day`` (unscoped: callers have checked the
    organization), with its seats held that day prefetched as ``seats_then``."""
    return (
        OrgCommittee.objects.filter(org_id=org_id, term_start__lte=day)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))
        .prefetch_related(
            Prefetch(
                "seats",
                queryset=CommitteeSeat.objects.filter(_seats_at(day)).order_by("id"),
                to_attr="seats_then",
            )
        )
        .order_by("-term_start", "-id")
        .first()
    )


def seat_member_ids(org_id: int, day: dt.date) -> list[int] | None:
    """Member ids of the committee seats held on ``day``; ``None`` when no committee is
    recorded for that day."""
    c = committee_at(org_id, day)
    return None if c is None else [s.member_id for s in c.seats_then]


def committees_of(user, org) -> list[OrgCommittee]:
    """The organization's committees, current first, with their seats (scoped)."""
    return list(
        OrgCommittee.objects.visible_to(user, VIEW)
        .filter(org_id=org.pk)
        .prefetch_related(Prefetch("seats", queryset=CommitteeSeat.objects.order_by("id")))
        .order_by("-term_start", "-id")
    )


def current_committee(user, org) -> OrgCommittee | None:
    rows = [c for c in committees_of(user, org) if c.status == "current"]
    return rows[0] if rows else None
