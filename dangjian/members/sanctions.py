"""Disciplinary sanctions (党纪处分) on a member: the writes (recorded, revoked; audited) and
the reads the other modules use to leave a member under 留党察看 out.

During 留党察看 — from ``starts_on`` to ``ends_on``, both days included — the member keeps the
membership but has no vote, may not stand for election and may not sponsor an applicant
(《中国共产党纪律处分条例》: 一年或二年). Org-life rosters and the development branch meetings count
voters through ``member_ids_on_probation`` / ``without_probation``; step 9 refuses such a sponsor
through ``under_probation``. 开除党籍 sets the member's status to 已出党 through
``services.member_update``. 停止党籍 stays the status of members who lost contact.
"""

from __future__ import annotations

import datetime as dt

from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dangjian.core import audit, scope, tree
from dangjian.core.errors import Conflict
from dangjian.members.models import Committee, Member, Status, add_months
from dangjian.members.models.sanctions import Sanction, SanctionKind
from dangjian.members.services import fields, registry

PROBATION_MAX_MONTHS = 24
PROBATION_RULE = "受留党察看处分的党员在察看期间没有表决权、选举权和被选举权，不能作入党介绍人"

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


def check_standing(errors, member: Member | None, committee: str | None, day) -> None:
    """A seat on a party committee is elected: a member under 留党察看 on the first day of
    the term may not stand (422 on ``member``)."""
    if member is None or committee != Committee.PARTY or not isinstance(day, dt.date):
        return
    if under_probation(member, day):
        errors.add(
            "member",
            f"{member.name}在{day:%Y-%m-%d}正在留党察看期间，不符合“受留党察看处分的党员"
            "在察看期间没有被选举权”的规定，不能担任党组织委员会委员",
        )


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


def _text(errors, field: str, value, limit: int | None = None) -> str:
    text = fields._text(value)
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


def clean_sanction_fields(values: dict, today: dt.date) -> tuple[dict, fields.Errors]:
    errors = fields.Errors()
    out: dict = {}
    kind = fields._text(values.get("kind"))
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
    reason = _text(errors, "reason", values.get("reason"), 2000)
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
    errors = fields.Errors()
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
