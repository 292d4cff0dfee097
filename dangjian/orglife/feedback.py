"""What participants and the recorder add to a session: a rating (评价) and photos."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dangjian.core import audit, scope
from dangjian.core.conf import setting
from dangjian.core.errors import Conflict
from dangjian.members.models import Member
from dangjian.orglife.models import Attendance, AttendanceStatus, Rating, Session, SessionState
from dangjian.orglife.services import _free_text, can_record


@transaction.atomic
def rating_submit(*, actor, session: Session, score: int, comment: str = "") -> Rating:
    """A participant who was present rates the session's effect, once, after it is held."""
    session = Session.objects.get(pk=session.pk)
    member = Member.objects.filter(user_id=getattr(actor, "pk", None)).first()
    row = Attendance.objects.filter(session=session, member=member).first() if member else None
    if row is None or row.status != AttendanceStatus.PRESENT:
        raise scope.Forbidden("只有出席本次组织生活的党员可以评价")
    if session.state != SessionState.HELD:
        raise Conflict("组织生活归档后才能评价")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": ["评分应为1至5分"]})
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                session=session, member=member, score=score, comment=_free_text(comment, 300)
            )
    except IntegrityError:
        raise Conflict("您已评价过本次组织生活") from None
    audit.record(
        actor=actor,
        action="orglife.rating.submit",
        obj=session,
        after={"score": score},
    )
    return rating


@transaction.atomic
def session_add_photo(*, actor, session: Session, upload):
    from dangjian.core.files import file_store

    session = Session.objects.select_for_update().get(pk=session.pk)
    if not can_record(actor, session):
        raise scope.Forbidden("只有记录人或本组织管理人员可以上传照片")
    if session.state == SessionState.CANCELLED:
        raise Conflict("该组织生活已取消，不能上传照片")
    limit = int(setting("ORGLIFE_MAX_PHOTOS", 20))
    if session.photos.count() >= limit:
        raise ValidationError({"file": [f"每次组织生活最多上传{limit}张照片"]})
    stored = file_store(actor=actor, upload=upload, kinds=("image",), field="file")
    session.photos.add(stored)
    audit.record(
        actor=actor,
        action="orglife.session.photo",
        obj=session,
        after={"file": stored.pk, "name": stored.name},
    )
    return stored
