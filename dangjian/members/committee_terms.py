"""Writes on a serving committee between elections: an approved postponement of the election
(``committee_postpone``, DOMAIN.md: at most one year, with the higher level's approval), a seat
that ends before the term does (``committee_seat_end``: 调离, 辞职, 去世 ...) and a seat filled
between elections (``committee_seat_add``: 补选 or 增补). A new committee is recorded by
``committee_services.committee_record``, which ends every serving seat of the old one."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.months import add_years
from dangjian.core.validation import Errors, clean_text, one_line
from dangjian.members.committee_services import (
    BRANCH_KINDS,
    COMMITTEE_MIN_FULL,
    MANAGE,
    POSTPONE_MAX_YEARS,
    SEATS_MAX,
    SEATS_MIN,
    SMALL_POSTS,
    VIEW,
    _date,
    full_member_count,
)
from dangjian.members.models import Member, Status
from dangjian.members.models.committee import (
    CommitteePost,
    CommitteeSeat,
    CommitteeStatus,
    OrgCommittee,
)
from dangjian.organizations.models import PartyOrg

DOCUMENT_MAX, REASON_MAX = 100, 200


def _org(actor, org) -> PartyOrg:
    return scope.get_visible(
        PartyOrg.objects.defer("contact_phone").select_for_update(),
        actor,
        MANAGE,
        view_action=VIEW,
        pk=getattr(org, "pk", org),
    )


def _current(org: PartyOrg) -> OrgCommittee:
    c = (
        OrgCommittee.objects.select_for_update()
        .filter(org=org, status=CommitteeStatus.CURRENT)
        .first()
    )
    if c is None:
        raise Conflict(f"{org.name}尚未登记委员会")
    return c


def _text(errors: Errors, field: str, value, limit: int, *, required: bool, label: str) -> str:
    text = clean_text(value)
    if required and not text:
        errors.add(field, f"请填写{label}")
    elif len(text) > limit:
        errors.add(field, f"{label}不能超过{limit}个字")
    return text


@transaction.atomic
def committee_postpone(
    *, actor, org, postponed_to, document_no, document_date, reason=""
) -> OrgCommittee:
    """Record the higher level's approval to hold the election later than the term's end: at
    most one year after it (DOMAIN.md). A later approval replaces the earlier one, within the
    same year."""
    org = _org(actor, org)
    c = _current(org)
    errors = Errors()
    to = _date(errors, "postponed_to", postponed_to)
    doc_date = _date(errors, "document_date", document_date)
    doc_no = _text(
        errors, "document_no", one_line(document_no), DOCUMENT_MAX, required=True, label="批准文号"
    )
    why = _text(errors, "reason", reason, REASON_MAX, required=False, label="延期原因")
    today = timezone.localdate()
    limit = add_years(c.term_end, POSTPONE_MAX_YEARS)
    if to is not None:
        if to <= c.term_end:
            errors.add("postponed_to", f"延期后的日期须晚于任期届满日{c.term_end:%Y-%m-%d}")
        elif to > limit:
            errors.add(
                "postponed_to",
                f"延期换届最长一年：不能晚于{limit:%Y-%m-%d}（任期届满{c.term_end:%Y-%m-%d}）",
            )
    if doc_date is not None and doc_date > today:
        errors.add("document_date", "批准日期不能晚于今天")
    errors.check()
    before = {
        "postponed_to": c.postponed_to.isoformat() if c.postponed_to else None,
        "document_no": c.postpone_document_no,
    }
    c.postponed_to = to
    c.postpone_document_no = doc_no
    c.postpone_document_date = doc_date
    c.postpone_reason = why
    c.postponed_by = actor if getattr(actor, "is_authenticated", False) else None
    c.save(
        update_fields=[
            "postponed_to",
            "postpone_document_no",
            "postpone_document_date",
            "postpone_reason",
            "postponed_by",
        ]
    )
    audit.record(
        actor=actor,
        action="members.committee.postpone",
        obj=c,
        before=before,
        after={
            "postponed_to": to.isoformat(),
            "term_end": c.term_end.isoformat(),
            "document_no": doc_no,
            "document_date": doc_date.isoformat(),
            "reason": why,
        },
        object_repr=str(c),
    )
    return c


def _serving(c: OrgCommittee) -> list[CommitteeSeat]:
    return list(c.seats.select_for_update().filter(ends_on__isnull=True).order_by("id"))


@transaction.atomic
def committee_seat_end(*, actor, org, seat_id, ends_on, reason) -> CommitteeSeat:
    """End one seat of the serving committee before the term does. Answers the seat, with
    ``warnings`` when the committee falls short (the secretary's post vacant, fewer than 3)."""
    org = _org(actor, org)
    c = _current(org)
    seat = c.seats.select_for_update().filter(pk=seat_id).first()
    if seat is None:
        raise Http404("本届委员会没有该委员")
    if seat.ends_on is not None:
        raise Conflict(f"{seat.member_name}已于{seat.ends_on:%Y-%m-%d}离任")
    errors = Errors()
    day = _date(errors, "ends_on", ends_on)
    why = _text(errors, "reason", reason, REASON_MAX, required=True, label="离任原因")
    if day is not None:
        if day < seat.starts_on:
            errors.add("ends_on", f"离任日期不能早于任职日期{seat.starts_on:%Y-%m-%d}")
        elif day > timezone.localdate():
            errors.add("ends_on", "离任日期不能晚于今天")
    errors.check()
    seat.ends_on = day
    seat.end_reason = why
    seat.save(update_fields=["ends_on", "end_reason"])
    left = [s for s in _serving(c) if s.pk != seat.pk]
    warnings = []
    if seat.post == CommitteePost.SECRETARY:
        warnings.append("书记职务空缺，请及时补选")
    full = full_member_count(org)
    if not (org.kind in BRANCH_KINDS and full < COMMITTEE_MIN_FULL) and len(left) < SEATS_MIN:
        warnings.append(f"委员会现有{len(left)}人，不足{SEATS_MIN}人，请及时补选")
    audit.record(
        actor=actor,
        action="members.committee.seat_end",
        obj=c,
        before={"seat": seat.pk, "ends_on": None},
        after={
            "seat": seat.pk,
            "member": seat.member_id,
            "post": seat.post,
            "ends_on": day.isoformat(),
            "reason": why,
        },
        object_repr=str(c),
    )
    seat.warnings = warnings
    return seat


@transaction.atomic
def committee_seat_add(*, actor, org, member_id, post, starts_on, full_time=False) -> CommitteeSeat:
    """Fill a seat of the serving committee between elections (补选). The composition rules
    still hold: one serving secretary, at most 7 seats (2 posts, secretary and deputy, when
    the organization has fewer than 7 full members)."""
    org = _org(actor, org)
    c = _current(org)
    errors = Errors()
    post = str(post or "")
    if post not in CommitteePost.values:
        errors.add("post", f"职务取值无效，可选：{'、'.join(str(x) for x in CommitteePost.labels)}")
    day = _date(errors, "starts_on", starts_on)
    if day is not None:
        if day < c.term_start:
            errors.add("starts_on", f"任职日期不能早于本届任期开始{c.term_start:%Y-%m-%d}")
        elif day > timezone.localdate():
            errors.add("starts_on", "任职日期不能晚于今天")
    try:
        mid = int(member_id)
    except (TypeError, ValueError):
        mid = None
        errors.add("member_id", "请选择党员")
    member = None
    if mid is not None:
        member = Member.objects.filter(pk=mid).only("id", "name", "org_path", "status").first()
        if member is None or not tree.is_within(member.org_path, org.path):
            errors.add("member_id", f"党员{mid}不是本组织的党员")
            member = None
        elif member.status != Status.FULL:
            errors.add("member_id", f"{member.name}不是正式党员，不能当选委员")
            member = None
        elif c.seats.filter(member_id=member.pk).exists():
            errors.add("member_id", f"{member.name}本届已任委员，不能重复登记")
            member = None
    serving = _serving(c)
    if post == CommitteePost.SECRETARY and any(s.post == CommitteePost.SECRETARY for s in serving):
        errors.add("post", "本届委员会已有在任书记")
    full = full_member_count(org)
    n = len(serving) + 1
    if org.kind in BRANCH_KINDS and full < COMMITTEE_MIN_FULL:
        if n > 2 or post not in SMALL_POSTS:
            errors.add(
                "post",
                f"正式党员{full}人，不足{COMMITTEE_MIN_FULL}人，不设委员会，只设书记（和副书记）",
            )
    elif n > SEATS_MAX:
        errors.add("member_id", f"委员会最多{SEATS_MAX}人，现有{len(serving)}人")
    errors.check()
    seat = CommitteeSeat.objects.create(
        committee=c,
        member=member,
        member_name=member.name,
        org_path=org.path,
        post=post,
        full_time=bool(full_time),
        starts_on=day,
    )
    audit.record(
        actor=actor,
        action="members.committee.seat_add",
        obj=c,
        after={
            "seat": seat.pk,
            "member": member.pk,
            "post": post,
            "full_time": seat.full_time,
            "starts_on": day.isoformat(),
        },
        object_repr=str(c),
    )
    seat.warnings = []
    return seat


def seat_start_default(c: OrgCommittee) -> dt.date:
    return max(c.term_start, timezone.localdate())
