"""Whether a session could validly sit: the committee meeting's seats counted against the
committee as elected (recorded on the organization, ``members.models.committee``), and the
verdict kept on the session when it is archived (``Session.quorum_ok``): a session that could
not validly sit is recorded but does not count as held for compliance (DOMAIN.md)."""

from __future__ import annotations

from django.utils import timezone

from dangjian.members.committee_selectors import seat_member_ids
from dangjian.orglife import rules
from dangjian.orglife.models import Attendance, AttendanceStatus, Session, SessionType

QUORUM_CHECKS = ("quorum", "committee_quorum")


def committee_counts(session: Session) -> dict[str, int]:
    """For a committee meeting: the seats of the committee serving on the session's date and
    how many of those members are present; ``committee_recorded`` 0 when none is recorded.
    Other types: nothing to override."""
    if session.session_type != SessionType.COMMITTEE_MEETING:
        return {"committee_recorded": 1}
    seat_ids = seat_member_ids(session.org_id, timezone.localtime(session.starts_at).date())
    if seat_ids is None:
        return {"seats": 0, "seats_present": 0, "committee_recorded": 0}
    present = Attendance.objects.filter(
        session=session, member_id__in=seat_ids, status=AttendanceStatus.PRESENT
    ).count()
    return {"seats": len(seat_ids), "seats_present": present, "committee_recorded": 1}


def sat(verdict: rules.Verdict) -> tuple[bool | None, str]:
    """The quorum part of a verdict (votes do not decide whether the session sat): ``None``
    for a type without a quorum rule, else whether it was met and why not."""
    checks = [ch for ch in verdict.checks if ch.code in QUORUM_CHECKS]
    if not checks:
        return None, ""
    failed = [ch.message for ch in checks if not ch.ok]
    return not failed, "；".join(failed)[:300]
