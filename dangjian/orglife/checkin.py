"""Check-in by QR code: a signed token that changes every minute (issue 19), the window around
the session, and the member's own check-in."""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, scope
from dangjian.core.conf import setting
from dangjian.core.errors import Conflict
from dangjian.core.textmask import mask_text
from dangjian.core.validation import clean_text
from dangjian.members.models import Member
from dangjian.orglife.models import (
    Attendance,
    AttendanceStatus,
    CheckinMethod,
    Session,
    SessionState,
)

CHECKIN = "orglife.checkin"
TOKEN_SALT = "dangjian.orglife.checkin"


def qr_period_seconds() -> int:
    """How long one check-in QR code holds: it changes every minute (issue 19), so a photo of
    it forwarded to an absent member is stale by the time it is scanned."""
    return max(15, int(setting("ORGLIFE_CHECKIN_QR_SECONDS", 60)))


def _qr_step(now: dt.datetime | None = None) -> int:
    return int((now or timezone.now()).timestamp()) // qr_period_seconds()


def checkin_token(session: Session, now: dt.datetime | None = None) -> str:
    data = {"s": session.pk, "n": session.checkin_nonce, "t": _qr_step(now)}
    return signing.dumps(data, salt=TOKEN_SALT)


def session_for_token(token: str, now: dt.datetime | None = None) -> Session | None:
    """The session a check-in token names, or None for a forged or stale token. A code is good
    for its own period and the next one (a member who scanned at the last second still gets
    in), never longer."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        return None
    if not 0 <= _qr_step(now) - data["t"] <= 1:
        return None
    session = Session.objects.select_related("org").filter(pk=data.get("s")).first()
    if session is None or session.checkin_nonce != data.get("n"):
        return None
    return session


def checkin_window(session: Session) -> tuple[dt.datetime, dt.datetime]:
    before = int(setting("ORGLIFE_CHECKIN_OPEN_MINUTES_BEFORE", 30))
    after = int(setting("ORGLIFE_CHECKIN_CLOSE_MINUTES_AFTER", 30))
    return (
        session.starts_at - dt.timedelta(minutes=before),
        session.ends_at + dt.timedelta(minutes=after),
    )


def _fmt(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y年%m月%d日 %H:%M")


@transaction.atomic
def session_checkin(*, actor, session: Session, token: str, now: dt.datetime | None = None):
    """A member checks themselves in by the session's QR code. Refused, with the reason, when
    the token is not this session's, the member is neither of the organization nor invited,
    the member has already checked in, or it is outside the check-in window."""
    named = session_for_token(token or "", now)
    if named is None or named.pk != session.pk:
        raise Conflict("签到二维码无效或已过期（二维码每分钟更新），请扫描现场屏幕上的二维码")
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not scope.reach_of(actor, CHECKIN).user_id and not scope.reach_of(actor, CHECKIN).org_paths:
        raise scope.Forbidden("您的账号不能签到组织生活")
    member = Member.objects.filter(user_id=actor.pk, left_on__isnull=True).first()
    if member is None:
        raise scope.Forbidden("您的账号未关联党员档案，不能签到")
    row = Attendance.objects.select_for_update().filter(session=session, member=member).first()
    if row is None:
        raise scope.Forbidden(f"您不是{session.org.name}的党员，也未受邀参加本次组织生活，不能签到")
    if session.state == SessionState.CANCELLED:
        raise Conflict("本次组织生活已取消，不能签到")
    if session.state == SessionState.HELD:
        raise Conflict("本次组织生活已结束归档，不能签到")
    if row.status == AttendanceStatus.PRESENT:
        when = _fmt(row.checked_in_at) if row.checked_in_at else ""
        raise Conflict(f"您已于{when}签到，请勿重复签到" if when else "您已签到，请勿重复签到")
    now = now or timezone.now()
    opens, closes = checkin_window(session)
    if now < opens:
        raise Conflict(f"签到尚未开始：签到时间为{_fmt(opens)}至{_fmt(closes)}")
    if now > closes:
        raise Conflict(f"签到已结束：签到时间为{_fmt(opens)}至{_fmt(closes)}")
    before = {"status": row.status}
    row.status = AttendanceStatus.PRESENT
    row.reason = ""
    row.leave_approved = False
    row.method = CheckinMethod.QR
    row.checked_in_at = now
    row.save()
    audit.record(
        actor=actor,
        action="orglife.attendance.checkin",
        obj=row,
        before=before,
        after={"status": row.status, "method": row.method},
        org_path=session.org_path,
    )
    return row


@transaction.atomic
def attendance_leave_request(
    *, actor, session: Session, reason: str, now: dt.datetime | None = None
) -> Attendance:
    """A member on the roster asks for leave from a session that has not started (issue 18,
    the phone): their row reads 请假 with the reason, awaiting the recorder's approval
    (``services.attendance_mark`` with ``leave_approved``). Refused, with the reason, once the
    session has started, been cancelled or archived, or when the member has checked in."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    member = Member.objects.filter(user_id=actor.pk, left_on__isnull=True).first()
    row = (
        Attendance.objects.select_for_update().filter(session=session, member=member).first()
        if member is not None
        else None
    )
    if row is None:
        raise scope.Forbidden("您不在本次组织生活的名单中，无需请假")
    if session.state != SessionState.SCHEDULED:
        raise Conflict(f"本次组织生活{session.get_state_display()}，不能再请假")
    if (now or timezone.now()) >= session.starts_at:
        raise Conflict("本次组织生活已开始，不能再请假；请向记录人说明情况")
    if row.status == AttendanceStatus.PRESENT:
        raise Conflict("您已签到，不能再请假")
    text = mask_text(clean_text(str(reason or "").replace("\r", ""), 200))
    if not text:
        raise ValidationError({"reason": ["请假原因：请填写请假原因"]})
    before = audit.snapshot(row, ["status", "reason", "leave_approved"])
    row.status = AttendanceStatus.LEAVE
    row.reason = text
    row.leave_approved = False
    row.leave_approved_by = None
    row.method = ""
    row.checked_in_at = None
    row.save()
    b, a = audit.diff(before, audit.snapshot(row, ["status", "reason", "leave_approved"]))
    audit.record(
        actor=actor,
        action="orglife.attendance.leave_request",
        obj=row,
        before=b,
        after=a,
        org_path=session.org_path,
    )
    return row
