"""Who rates a closed event (评价), and the follow-up call (回访) that staff record with it.

- The reporter rates their own report, whatever their role (a resident, a party member, a grid
  worker's own patrol): the reach is the record itself, not ``cases.rate``. A report taken on
  a caller's behalf (phone, visitor, 12345) or raised on a household visit is the caller's or
  the household's, not the staff member's who entered it: staff rate it after calling them.
- Staff whose ``cases.rate`` reach covers the event's area may record a rating only together
  with the follow-up call it comes from: the date of the call (not in the future, not before
  the event was reported), who was called and what was said. The record is kept on the
  ``evaluate`` step (``data["follow_up"]``) and in its audit row.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.cases.models import INTAKE_SOURCES, Event, Source
from dangjian.core import scope, tree
from dangjian.core.textmask import mask_text

MAX_CALLEE = 50
MAX_CALL_NOTE = 500
FOLLOW_UP_FIELDS = ("call_date", "callee", "call_note")
# Reports whose reporter account is the staff member who entered them for someone else.
ON_BEHALF_SOURCES = frozenset({*INTAKE_SOURCES, Source.VISIT})


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def rates_own_report(actor, event: Event) -> bool:
    """Whether ``actor`` rates ``event`` as its reporter (no follow-up call needed)."""
    return (
        _is_user(actor)
        and event.reporter_id is not None
        and event.reporter_id == actor.pk
        and event.source not in ON_BEHALF_SOURCES
    )


def refusal(actor, event: Event, move) -> str | None:
    """Why ``actor`` may not rate ``event`` (None: they may): the reporter, or staff whose
    reach for the move's permission covers the event's area."""
    if rates_own_report(actor, event):
        return None
    reach = scope.reach_of(actor, move.permission)
    if any(tree.is_within(event.area_path, p) for p in reach.area_paths):
        return None
    return "只有上报人本人，或回访上报人的工作人员可以评价"


def _text(value) -> str:
    return "" if value is None else str(value).replace("\x00", "").strip()


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def clean_follow_up(errors, actor, event: Event, action: str, follow_up: dict | None):
    """The follow-up call of a rating, checked (messages added to ``errors`` per field): the
    record to keep, or None when the reporter rates (or the move is not a rating)."""
    given = {k: (follow_up or {}).get(k) for k in FOLLOW_UP_FIELDS}
    any_given = any(v not in (None, "") for v in given.values())
    if action != "evaluate":
        if any_given:
            errors.add("call_date", "只有评价需要填写回访记录")
        return None
    if rates_own_report(actor, event):
        if any_given:
            errors.add("call_date", "上报人本人评价，无需填写回访记录")
        return None
    try:
        called_on = _date(given["call_date"])
    except (TypeError, ValueError):
        errors.add("call_date", "回访日期格式应为YYYY-MM-DD")
        called_on = None
    else:
        if called_on is None:
            errors.add("call_date", "工作人员代为评价须填写回访日期")
        else:
            today = timezone.localdate()
            reported = timezone.localtime(event.reported_at).date()
            if called_on > today:
                errors.add("call_date", f"回访日期不能晚于今天（{today.isoformat()}）")
            elif called_on < reported:
                errors.add("call_date", f"回访日期不能早于事件上报日期（{reported.isoformat()}）")
    callee = _text(given["callee"])
    if not callee:
        errors.add("callee", "请填写回访对象（被回访人）")
    elif len(callee) > MAX_CALLEE:
        errors.add("callee", f"回访对象不能超过{MAX_CALLEE}个字")
    note = mask_text(_text(given["call_note"]))
    if not note:
        errors.add("call_note", "请填写回访情况")
    elif len(note) > MAX_CALL_NOTE:
        errors.add("call_note", f"回访情况不能超过{MAX_CALL_NOTE}个字")
    return {
        "call_date": called_on.isoformat() if called_on else "",
        "callee": callee,
        "call_note": note,
    }


def audit_copy(follow_up: dict) -> dict:
    """The follow-up record as the audit trail keeps it: mobile numbers in it masked."""
    return {
        **follow_up,
        "callee": mask_text(follow_up.get("callee", "")),
        "call_note": mask_text(follow_up.get("call_note", "")),
    }
