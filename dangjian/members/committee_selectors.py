"""Reads of the committees as elected (``models.committee``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.core import scope, tree
from dangjian.core.conf import setting
from dangjian.core.months import add_months
from dangjian.members.models.committee import (
    CommitteePost,
    CommitteeSeat,
    CommitteeStatus,
    OrgCommittee,
)
from dangjian.organizations.models import PartyOrg

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


# --- terms: elections due (DOMAIN.md: the higher level is reminded 6 months before) --------

REMINDER_MONTHS_DEFAULT = 6


def reminder_months() -> int:
    return int(setting("ELECTION_REMINDER_MONTHS", REMINDER_MONTHS_DEFAULT))


DUE_STATUSES = {
    "due": "到期提醒或逾期",
    "reminder": "6个月内到期",
    "overdue": "逾期未换届",
    "all": "全部",
}


@dataclass(frozen=True)
class Due:
    """Where one serving committee stands against its due date on ``today``."""

    due_on: dt.date
    days_left: int
    reminder: bool
    overdue: bool

    @property
    def code(self) -> str:
        return "overdue" if self.overdue else ("reminder" if self.reminder else "in_term")

    @property
    def label(self) -> str:
        return {"overdue": "逾期未换届", "reminder": "即将到期", "in_term": "任期内"}[self.code]


def due_of(c: OrgCommittee, today: dt.date) -> Due:
    """Reminded from the day the due date (the term's last day, or the approved postponement)
    is at most ``ELECTION_REMINDER_MONTHS`` (6) months away, to the day; overdue from the day
    after it."""
    due = c.postponed_to or c.term_end
    window = add_months(today, reminder_months())
    overdue = today > due
    return Due(due, (due - today).days, not overdue and due <= window, overdue)


def elections_due(
    user, *, status: str = "due", org: int | None = None, today: dt.date | None = None
):
    """The serving committees ``user`` sees (by ``org_path``), with ``due_on`` annotated
    (the approved postponement, else the term's end), ordered by it; ``status``: ``due``
    (reminded or overdue), ``reminder``, ``overdue`` or ``all``; ``org``: its subtree."""
    today = today or timezone.localdate()
    if status not in DUE_STATUSES:
        raise ValidationError({"status": [f"取值无效，可选：{'、'.join(DUE_STATUSES)}"]})
    qs = (
        OrgCommittee.objects.visible_to(user, VIEW)
        .filter(status=CommitteeStatus.CURRENT)
        .annotate(due=Coalesce("postponed_to", "term_end"))
    )
    if org is not None:
        node = scope.get_visible(PartyOrg.objects.defer("contact_phone"), user, VIEW, pk=org)
        qs = qs.filter(tree.subtree_q("org_path", node.path))
    window = add_months(today, reminder_months())
    if status == "due":
        qs = qs.filter(due__lte=window)
    elif status == "reminder":
        qs = qs.filter(due__lte=window, due__gte=today)
    elif status == "overdue":
        qs = qs.filter(due__lt=today)
    secretary = CommitteeSeat.objects.filter(
        committee=OuterRef("pk"),
        post=CommitteePost.SECRETARY,
        starts_on__lte=today,
        ends_on__isnull=True,
    )
    return (
        qs.select_related("org")
        .only(
            "id",
            "org_id",
            "org_path",
            "term_start",
            "term_end",
            "elected_on",
            "postponed_to",
            "postpone_document_no",
            "postpone_document_date",
            "status",
            "org__id",
            "org__name",
            "org__kind",
            "org__domain",
            "org__path",
        )
        .annotate(
            secretary_name=Subquery(secretary.values("member_name")[:1]),
            last_secretary_end=Subquery(
                CommitteeSeat.objects.filter(
                    committee__org_id=OuterRef("org_id"),
                    post=CommitteePost.SECRETARY,
                    ends_on__isnull=False,
                )
                .order_by("-ends_on")
                .values("ends_on")[:1]
            ),
        )
        .order_by("due", "org_path", "id")
    )


# --- the secretary's post: vacant since when (assessment reads it) --------------------------


@dataclass(frozen=True)
class Vacancy:
    """The secretary's post of an organization on ``today``: ``recorded`` False when no
    committee was ever recorded (nothing to date the vacancy from); ``since`` the first day
    without a serving secretary."""

    recorded: bool
    vacant: bool
    since: dt.date | None
    days: int | None


def _vacancy(today, *, recorded, serving_secretary, last_end, term_start) -> Vacancy:
    if not recorded:
        return Vacancy(False, True, None, None)
    if serving_secretary:
        return Vacancy(True, False, None, None)
    since = last_end + dt.timedelta(days=1) if last_end else term_start
    return Vacancy(True, True, since, (today - since).days if since else None)


_UNREAD = object()


def secretary_vacancy(org, today: dt.date | None = None, *, current=_UNREAD) -> Vacancy | None:
    """Since when ``org``'s secretary post has been empty (unscoped: the caller has checked
    the organization). ``None`` for a 党小组 (no committee). ``current``: the serving committee
    when the caller has read it already (``None``: there is none), its seats prefetched."""
    if org.kind == "group":
        return None
    today = today or timezone.localdate()
    c = (
        OrgCommittee.objects.filter(org_id=org.pk, status=CommitteeStatus.CURRENT).first()
        if current is _UNREAD
        else current
    )
    if c is None:
        return _vacancy(
            today, recorded=False, serving_secretary=False, last_end=None, term_start=None
        )
    if current is _UNREAD:
        serving = c.seats.filter(
            post=CommitteePost.SECRETARY, starts_on__lte=today, ends_on__isnull=True
        ).exists()
    else:
        serving = any(
            s.post == CommitteePost.SECRETARY and s.starts_on <= today and s.ends_on is None
            for s in c.seats.all()
        )
    if serving:
        return Vacancy(True, False, None, None)
    last_end = (
        CommitteeSeat.objects.filter(
            committee__org_id=org.pk, post=CommitteePost.SECRETARY, ends_on__isnull=False
        )
        .order_by("-ends_on")
        .values_list("ends_on", flat=True)
        .first()
    )
    return _vacancy(
        today,
        recorded=True,
        serving_secretary=False,
        last_end=last_end,
        term_start=c.term_start,
    )


def vacancy_of_row(c: OrgCommittee, today: dt.date) -> Vacancy:
    """The vacancy of a serving committee read by ``elections_due`` / ``vacant_secretaries``
    (``secretary_name`` and ``last_secretary_end`` annotated)."""
    return _vacancy(
        today,
        recorded=True,
        serving_secretary=c.secretary_name is not None,
        last_end=c.last_secretary_end,
        term_start=c.term_start,
    )


def vacant_secretaries(user, *, today: dt.date | None = None, org: int | None = None):
    """The serving committees ``user`` sees whose secretary post is empty, each with
    ``vacancy_of_row`` available (``secretary_name`` None, ``last_secretary_end``).
    Organizations with no committee recorded are not listed (nothing to date them from)."""
    today = today or timezone.localdate()
    return elections_due(user, status="all", org=org, today=today).filter(secretary_name=None)
