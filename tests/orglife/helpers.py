"""Builders for the organizational-life tests."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from dangjian.accounts.models import UserKind
from dangjian.members.models import Member
from dangjian.members.models.committee import CommitteeSeat, OrgCommittee
from dangjian.orglife import services
from dangjian.orglife.models import Attendance
from tests import world as world_mod

_seq = itertools.count(1)


def people(org, n: int, *, status: str = "full", prefix: str = "党员") -> list[Member]:
    """``n`` members filed under ``org`` (written directly: the registry is not under test)."""
    rows = [
        Member(
            name=f"{prefix}{next(_seq)}",
            gender="male",
            ethnicity="01",
            birth_date=dt.date(1980, 1, 1),
            joined_on=dt.date(2005, 7, 1),
            confirmed_on=dt.date(2006, 7, 1) if status == "full" else None,
            status=status,
            org=org,
            org_path=org.path,
        )
        for _ in range(n)
    ]
    return Member.objects.bulk_create(rows)


def member_user(member: Member, username: str | None = None):
    """An account with the member role linked to ``member``'s file."""
    u = world_mod.user(username or f"m-{member.pk}", role="member", kind=UserKind.MEMBER)
    member.user = u
    member.save(update_fields=["user"])
    return u


def at(y, m, d, hh=9, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def schedule(actor, org, session_type="members_meeting", start=None, hours=2, **kw):
    start = start or at(2026, 11, 20)
    kw.setdefault("topic", "学习党的二十届四中全会精神")
    return services.session_schedule(
        actor=actor,
        org=org,
        session_type=session_type,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        **kw,
    )


def seat_committee(org, members, *, term_start=dt.date(2024, 1, 1), full_time=False):
    """A current committee of ``org`` written directly (the first member is the secretary,
    ``full_time`` on that seat); the committee service is tested on its own."""
    c = OrgCommittee.objects.create(
        org=org,
        org_path=org.path,
        elected_on=term_start,
        term_start=term_start,
        term_end=term_start.replace(year=term_start.year + 3) - dt.timedelta(days=1),
    )
    CommitteeSeat.objects.bulk_create(
        [
            CommitteeSeat(
                committee=c,
                member=m,
                member_name=m.name,
                org_path=org.path,
                post="secretary" if i == 0 else "member",
                full_time=full_time and i == 0,
                starts_on=term_start,
            )
            for i, m in enumerate(members)
        ]
    )
    return c


def hold(actor, org, session_type, start, *, present_all=False, **kw):
    """A session scheduled and closed (归档) at ``start`` (everyone on the roster present with
    ``present_all``; otherwise nobody marked, so they become absent)."""
    s = schedule(actor, org, session_type, start=start, **kw)
    services.session_update(actor=actor, session=s, minutes="会议记录：" + "学习讨论。" * 30)
    if present_all:
        Attendance.objects.filter(session=s).update(status="present")
    return services.session_close(actor=actor, session=s, now=start + dt.timedelta(hours=2))
