"""Disciplinary sanctions (党纪处分) on a member: the reads the other modules use to leave a
member under 留党察看 out (the writes are ``services.sanctions``).

During 留党察看 — from ``starts_on`` to ``ends_on``, both days included — the member keeps the
membership but has no vote, may not stand for election and may not sponsor an applicant
(《中国共产党纪律处分条例》: 一年或二年). Org-life rosters and the development branch meetings count
voters through ``member_ids_on_probation`` / ``without_probation``; step 9 refuses such a sponsor
through ``under_probation``. 停止党籍 stays the status of members who lost contact.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dangjian.core import tree
from dangjian.members.models import Member, Status
from dangjian.members.models.sanctions import Sanction, SanctionKind

PROBATION_MAX_MONTHS = 24
PROBATION_RULE = "受留党察看处分的党员在察看期间没有表决权、选举权和被选举权，不能作入党介绍人"


def probation_q(on: dt.date, prefix: str = "") -> Q:
    """Sanction rows (``prefix`` when reached through a relation) of a 留党察看 in force on
    ``on``: started, not yet past its last day, not revoked by then."""
    p = prefix
    return (
        Q(**{f"{p}kind": SanctionKind.PROBATION})
        & Q(**{f"{p}starts_on__lte": on, f"{p}ends_on__gte": on})
        & (Q(**{f"{p}revoked_on__isnull": True}) | Q(**{f"{p}revoked_on__gt": on}))
    )


def under_probation(member: Member | int, on: dt.date | None = None) -> bool:
    """Whether the member is under 留党察看 on ``on`` (today by default)."""
    pk = member if isinstance(member, int) else member.pk
    on = on or timezone.localdate()
    return Sanction.objects.filter(probation_q(on), member_id=pk).exists()


def member_ids_on_probation(member_ids, on: dt.date | None = None) -> set[int]:
    """Which of ``member_ids`` are under 留党察看 on ``on``: one query."""
    ids = list(member_ids)
    if not ids:
        return set()
    on = on or timezone.localdate()
    return set(
        Sanction.objects.filter(probation_q(on), member_id__in=ids).values_list(
            "member_id", flat=True
        )
    )


def probation_ids_under(org_path: str, on: dt.date | None = None) -> set[int]:
    """The members of ``org_path``'s subtree under 留党察看 on ``on``: one query (an org-life
    roster marks them without a vote)."""
    on = on or timezone.localdate()
    return set(
        Sanction.objects.filter(probation_q(on), tree.subtree_q("member__org_path", org_path))
        .values_list("member_id", flat=True)
        .distinct()
    )


def without_probation(qs, on: dt.date | None = None, field: str = "pk"):
    """``qs`` (members, or rows whose ``field`` is a member id) without the members under
    留党察看 on ``on``."""
    on = on or timezone.localdate()
    return qs.exclude(Exists(Sanction.objects.filter(probation_q(on), member_id=OuterRef(field))))


def has_vote(member: Member, on: dt.date | None = None) -> bool:
    """A full member not under 留党察看 on ``on`` has a vote (probationary members have none)."""
    return member.status == Status.FULL and not under_probation(member, on)


def sanction_list(user, member: Member):
    return (
        Sanction.objects.visible_to(user, "members.view")
        .filter(member_id=member.pk)
        .order_by("-decided_on", "-id")
    )


def annotate_current(qs, on: dt.date | None = None):
    """Members with their latest sanction not revoked (``sanction_kind``, ``sanction_on``)
    and the latest 留党察看's period (``probation_start``, ``probation_end``): four correlated
    subqueries, for the export."""
    on = on or timezone.localdate()
    live = Sanction.objects.filter(member_id=OuterRef("pk")).filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=on)
    )
    latest = live.order_by("-decided_on", "-id")
    probation = live.filter(kind=SanctionKind.PROBATION).order_by("-starts_on", "-id")
    return qs.annotate(
        sanction_kind=models.Subquery(latest.values("kind")[:1]),
        sanction_on=models.Subquery(latest.values("decided_on")[:1]),
        probation_start=models.Subquery(probation.values("starts_on")[:1]),
        probation_end=models.Subquery(probation.values("ends_on")[:1]),
    )


def current_text(member) -> tuple[str, str]:
    """The export's two cells from ``annotate_current``: 处分, 留党察看起止."""
    kind = getattr(member, "sanction_kind", None)
    text = ""
    if kind:
        label = SanctionKind(kind).label if kind in SanctionKind.values else kind
        text = f"{label}（{member.sanction_on:%Y-%m-%d}）"
    start, end = getattr(member, "probation_start", None), getattr(member, "probation_end", None)
    period = f"{start:%Y-%m-%d}至{end:%Y-%m-%d}" if start and end else ""
    return text, period


# --- writes ----------------------------------------------------------------------------------------
