"""Writes of disciplinary sanctions (党纪处分): recorded and revoked, validated and audited.
开除党籍 sets the member's status to 已出党 through ``registry.member_update``."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, scope
from dangjian.core.errors import Conflict
from dangjian.core.months import add_months
from dangjian.core.textmask import mask_text
from dangjian.core.validation import Errors, clean_text
from dangjian.members.models import Member, Status
from dangjian.members.models.sanctions import Sanction, SanctionKind
from dangjian.members.sanctions import PROBATION_MAX_MONTHS
from dangjian.members.services import fields, registry

FIELD_LABELS = {
    "kind": "处分种类",
    "decided_on": "处分决定日期",
    "starts_on": "留党察看开始日期",
    "ends_on": "留党察看期满日期",
    "document_number": "处分决定文号",
    "decided_by": "作出处分决定的党组织",
    "reason": "处分事由",
    "revoked_on": "撤销日期",
    "revoke_reason": "撤销原因",
}


# --- reads -----------------------------------------------------------------------------------------


def _text(errors, field: str, value, limit: int | None = None) -> str:
    text = clean_text(value)
    if limit and len(text) > limit:
        errors.add(field, f"{FIELD_LABELS[field]}不能超过{limit}个字")
    return text


def _date(errors, field: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add(field, f"{FIELD_LABELS[field]}格式应为YYYY-MM-DD")
        return None


def _snapshot(s: Sanction) -> dict:
    return audit.snapshot(s)


def clean_sanction_fields(values: dict, today: dt.date) -> tuple[dict, Errors]:
    errors = Errors()
    out: dict = {}
    kind = clean_text(values.get("kind"))
    if not kind:
        errors.add("kind", "请选择处分种类")
    elif kind not in SanctionKind.values:
        errors.add(
            "kind", f"处分种类取值无效，可选：{'、'.join(str(k.label) for k in SanctionKind)}"
        )
    out["kind"] = kind
    decided = _date(errors, "decided_on", values.get("decided_on"))
    if decided is None and "decided_on" not in errors:
        errors.add("decided_on", "请填写处分决定日期")
    elif decided and decided > today:
        errors.add("decided_on", "处分决定日期不能晚于今天")
    out["decided_on"] = decided
    start = _date(errors, "starts_on", values.get("starts_on"))
    end = _date(errors, "ends_on", values.get("ends_on"))
    if kind == SanctionKind.PROBATION:
        if start is None and "starts_on" not in errors:
            errors.add("starts_on", "留党察看须填写察看开始日期")
        if end is None and "ends_on" not in errors:
            errors.add("ends_on", "留党察看须填写察看期满日期")
        if start and decided and start < decided:
            errors.add("starts_on", "留党察看开始日期不能早于处分决定日期")
        if start and end:
            if end <= start:
                errors.add("ends_on", "留党察看期满日期应晚于开始日期")
            elif end > add_months(start, PROBATION_MAX_MONTHS):
                errors.add(
                    "ends_on",
                    "不符合“留党察看期限为一年或二年”的规定：期满日期最晚为"
                    f"{add_months(start, PROBATION_MAX_MONTHS):%Y-%m-%d}",
                )
    else:
        for field, day in (("starts_on", start), ("ends_on", end)):
            if day is not None:
                errors.add(field, "只有留党察看需要填写察看期限")
        start = end = None
    out["starts_on"], out["ends_on"] = start, end
    out["document_number"] = _text(errors, "document_number", values.get("document_number"), 50)
    out["decided_by"] = _text(errors, "decided_by", values.get("decided_by"), 100)
    reason = mask_text(_text(errors, "reason", values.get("reason"), 2000))
    if not reason and "reason" not in errors:
        errors.add("reason", "请填写处分事由")
    out["reason"] = reason
    return out, errors


@transaction.atomic
def sanction_record(
    *,
    actor,
    member: Member,
    kind: str = "",
    decided_on=None,
    starts_on=None,
    ends_on=None,
    document_number: str = "",
    decided_by: str = "",
    reason: str = "",
) -> Sanction:
    """Record a sanction on a member (``members.manage`` on the file); audited. 开除党籍 sets
    the member's status to 已出党 (``member_update``, audited there too)."""
    member = scope.get_visible(
        Member.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=member.pk,
    )
    if member.status in (Status.REMOVED, Status.DECEASED) or member.left_on:
        state = "已转出" if member.left_on else member.get_status_display()
        raise Conflict(f"该党员{state}，不能登记处分")
    today = timezone.localdate()
    clean, errors = clean_sanction_fields(
        {
            "kind": kind,
            "decided_on": decided_on,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "document_number": document_number,
            "decided_by": decided_by,
            "reason": reason,
        },
        today,
    )
    errors.check()
    if clean["kind"] == SanctionKind.PROBATION:
        overlap = Sanction.objects.filter(
            member=member,
            kind=SanctionKind.PROBATION,
            revoked_on__isnull=True,
            starts_on__lte=clean["ends_on"],
            ends_on__gte=clean["starts_on"],
        ).first()
        if overlap:
            raise Conflict(f"该党员已有留党察看（{overlap.period_text}），察看期不能重叠")
    sanction = Sanction.objects.create(
        member=member,
        recorded_by=actor if fields._is_user(actor) else None,
        recorded_by_name=fields._actor_name(actor),
        **clean,
    )
    audit.record(
        actor=actor,
        action="member.sanction",
        obj=sanction,
        org_path=member.org_path,
        after=_snapshot(sanction),
        note=f"登记党纪处分：{sanction.get_kind_display()}",
    )
    if clean["kind"] == SanctionKind.EXPULSION and member.status != Status.REMOVED:
        registry.member_update(actor=actor, member=member, status=Status.REMOVED)
    return sanction


@transaction.atomic
def sanction_revoke(*, actor, sanction: Sanction, revoked_on=None, reason: str = "") -> Sanction:
    """Revoke a sanction (on appeal or review): it stops counting from ``revoked_on``. The
    status set by an expulsion is not restored here (re-admission goes through the registry)."""
    sanction = scope.get_visible(
        Sanction.objects.select_for_update().select_related("member"),
        actor,
        "members.manage",
        view_action="members.view",
        pk=sanction.pk,
    )
    if sanction.revoked_on:
        raise Conflict(f"该处分已于{sanction.revoked_on:%Y-%m-%d}撤销")
    errors = Errors()
    day = _date(errors, "revoked_on", revoked_on) or timezone.localdate()
    if day > timezone.localdate():
        errors.add("revoked_on", "撤销日期不能晚于今天")
    elif day < sanction.decided_on:
        errors.add("revoked_on", "撤销日期不能早于处分决定日期")
    text = _text(errors, "revoke_reason", reason, 200)
    if not text and "revoke_reason" not in errors:
        errors.add("revoke_reason", "请填写撤销原因")
    errors.check()
    before = _snapshot(sanction)
    sanction.revoked_on, sanction.revoke_reason = day, text
    sanction.save(update_fields=["revoked_on", "revoke_reason"])
    b, a = audit.diff(before, _snapshot(sanction))
    audit.record(
        actor=actor,
        action="member.sanction_revoke",
        obj=sanction,
        org_path=sanction.member.org_path,
        before=b,
        after=a,
    )
    return sanction
