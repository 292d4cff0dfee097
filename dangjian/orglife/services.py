"""Writes of organizational-life sessions: schedule, invite, record minutes and votes, mark
attendance (the recorder), member check-in by QR, and the session flow (close, cancel, review
督查) on the kernel's engine. Plans are in ``plans``, bases (阵地) in ``bases``, ratings and
photos in ``feedback``; they share this module's permission helpers.

Each function is atomic, validated in full before saving (Chinese messages naming the field),
scoped and audited, and re-checks after writing that the result is visible to the actor.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dangjian.core import audit, scope, tree, workflow
from dangjian.core.errors import Conflict
from dangjian.core.months import month_key
from dangjian.core.textmask import mask_text
from dangjian.core.validation import Errors, clean_text
from dangjian.core.validators import PARTY_FOUNDED, date_range_message, plan_ceiling
from dangjian.members import sanctions
from dangjian.members.committee_selectors import seat_member_ids
from dangjian.members.models import Member, Status
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.orglife import quorum, rules
from dangjian.orglife.checkin import (  # noqa: F401 (the check-in lives in its own module)
    CHECKIN,
    TOKEN_SALT,
    attendance_leave_request,
    checkin_token,
    checkin_window,
    qr_period_seconds,
    session_checkin,
    session_for_token,
)
from dangjian.orglife.models import (
    Attendance,
    AttendanceStatus,
    AttendeeRole,
    Base,
    BaseActivity,
    CheckinMethod,
    PlanItem,
    Session,
    SessionOrg,
    SessionState,
    SessionType,
    Vote,
    VoteKind,
)

MANAGE = "orglife.manage"
VIEW = "orglife.view"
ACTIVE_STATUSES = (Status.PROBATIONARY, Status.FULL)


def _text(value, limit: int | None = None) -> str:
    """``clean_text`` without carriage returns too (a textarea's CRLF counts as one line end)."""
    return clean_text(None if value is None else str(value).replace("\r", ""), limit)


def _free_text(value, limit: int | None = None) -> str:
    """Free text (minutes, notes, reasons): numbers typed into it stored masked (issue 19)."""
    return mask_text(_text(value, limit))


def can_manage_in(actor, org_path: str) -> bool:
    reach = scope.reach_of(actor, MANAGE)
    return any(tree.is_within(org_path, p) for p in reach.org_paths)


def _org_for_manage(actor, org) -> PartyOrg:
    if org is None:
        raise ValidationError({"org": ["请选择党组织"]})
    found = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=org.pk
    )
    if not can_manage_in(actor, found.path):
        raise scope.Forbidden("您没有管理该党组织组织生活的权限")
    return found


def active_members(path: str):
    return Member.objects.filter(
        tree.subtree_q("org_path", path), left_on__isnull=True, status__in=ACTIVE_STATUSES
    )


def can_record(actor, session: Session) -> bool:
    """The recorder marks attendance; so does anyone who manages the host organization."""
    if can_manage_in(actor, session.org_path):
        return True
    return bool(
        session.recorder_id
        and getattr(actor, "is_authenticated", False)
        and Member.objects.filter(pk=session.recorder_id, user_id=actor.pk).exists()
    )


def _session_snapshot(s: Session) -> dict:
    return audit.snapshot(
        s,
        [
            "org",
            "session_type",
            "topic",
            "starts_at",
            "ends_at",
            "place",
            "base",
            "host",
            "recorder",
            "state",
            "minutes",
        ],
    )


# --- bases and plans -----------------------------------------------------------------------------


def _members_by_ids(errors: Errors, field: str, actor, ids) -> list[Member]:
    ids = [int(i) for i in (ids or [])]
    if not ids:
        return []
    found = {
        m.pk: m
        for m in Member.objects.visible_to(actor, "members.view").filter(
            pk__in=ids, left_on__isnull=True, status__in=ACTIVE_STATUSES
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        errors.add(field, f"党员不存在或不可见：{'、'.join(str(i) for i in missing)}")
    return [found[i] for i in ids if i in found]


def _times(errors: Errors, starts_at, ends_at) -> None:
    if starts_at is None:
        errors.add("starts_at", "请填写开始时间")
    if ends_at is None:
        errors.add("ends_at", "请填写结束时间")
    for field, value, label in (
        ("starts_at", starts_at, "开始时间"),
        ("ends_at", ends_at, "结束时间"),
    ):
        # A typed date far off (0001-01-01, 9999-12-31) is refused before any arithmetic.
        if value and (
            message := date_range_message(
                value, earliest=PARTY_FOUNDED, latest=plan_ceiling(), label=label
            )
        ):
            errors.add(field, message)
            return
    if starts_at and ends_at:
        if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
            errors.add("starts_at", "时间须带时区（如 +08:00）")
        elif ends_at <= starts_at:
            errors.add("ends_at", "结束时间须晚于开始时间")
        elif ends_at - starts_at > dt.timedelta(days=1):
            errors.add("ends_at", "一次组织生活不能超过24小时")


@transaction.atomic
def session_schedule(
    *,
    actor,
    org,
    session_type: str,
    topic: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    base=None,
    base_activity=None,
    host=None,
    recorder=None,
    committee_ids=(),
    invitee_ids=(),
    leader_ids=(),
    joint_org_ids=(),
    plan_item=None,
) -> Session:
    """Schedule a session and write its roster: the active members of the host's subtree (for
    a committee meeting, the committee members given), of each participating organization,
    the invitees and the leaders attending as ordinary members."""
    errors = Errors()
    org = _org_for_manage(actor, org)
    if session_type not in SessionType.values:
        errors.add("session_type", f"组织生活类型取值无效，可选：{'、'.join(SessionType.values)}")
    topic = _text(topic, 200)
    if not topic:
        errors.add("topic", "请填写主题")
    _times(errors, starts_at, ends_at)
    if session_type == SessionType.GROUP_MEETING and org.kind != OrgKind.GROUP:
        errors.add("org", "党小组会应由党小组召开")
    if base is not None:
        base = Base.objects.filter(pk=base.pk).first()
        if base is None or not base.is_open:
            errors.add("base_id", "组织生活基地不存在或未开放")
    if base_activity is not None:
        base_activity = BaseActivity.objects.filter(pk=base_activity.pk).first()
        if base_activity is None or base is None or base_activity.base_id != base.pk:
            errors.add("base_activity_id", "所选活动不属于该基地的活动菜单")
    if plan_item is not None:
        plan_item = PlanItem.objects.select_related("plan").filter(pk=plan_item.pk).first()
        if plan_item is None or plan_item.plan.org_id != org.pk:
            errors.add("plan_item_id", "计划事项不属于该组织")
    joint = []
    for oid in joint_org_ids or []:
        o = PartyOrg.objects.defer("contact_phone").visible_to(actor, "organizations.view")
        o = o.filter(pk=oid).first()
        if o is None:
            errors.add("joint_org_ids", f"联合参加的组织不存在或不可见：{oid}")
        elif o.pk != org.pk:
            joint.append(o)
    committee = _members_by_ids(errors, "committee_ids", actor, committee_ids)
    for m in committee:
        if not tree.is_within(m.org_path, org.path):
            errors.add("committee_ids", f"{m.name}不是本组织党员，不能作为委员")
    # A committee meeting's roster is the committee as elected on the session's date (the
    # committee recorded on the organization); without one, the members given.
    seat_ids = None
    if session_type == SessionType.COMMITTEE_MEETING and starts_at:
        seat_ids = seat_member_ids(org.pk, timezone.localtime(starts_at).date())
    if seat_ids:
        committee = list(
            Member.objects.filter(pk__in=seat_ids).only("id", "name", "status", "org_path")
        ) + [m for m in committee if m.pk not in seat_ids]
    if session_type == SessionType.COMMITTEE_MEETING and not committee and not errors:
        errors.add("committee_ids", "本组织未登记委员会，支委会请选择参会的支部委员")
    invitees = _members_by_ids(errors, "invitee_ids", actor, invitee_ids)
    leaders = _members_by_ids(errors, "leader_ids", actor, leader_ids)
    host_m = _members_by_ids(errors, "host_id", actor, [host.pk] if host else [])
    recorder_m = _members_by_ids(errors, "recorder_id", actor, [recorder.pk] if recorder else [])
    errors.check()

    local = timezone.localtime(starts_at)
    session = Session.objects.create(
        org=org,
        org_path=org.path,
        session_type=session_type,
        topic=topic,
        starts_at=starts_at,
        ends_at=ends_at,
        month=month_key(local.date()),
        place=_text(place, 200) or (base.name if base else ""),
        base=base,
        base_activity=base_activity,
        host=host_m[0] if host_m else None,
        recorder=recorder_m[0] if recorder_m else None,
        plan_item=plan_item,
        checkin_nonce=secrets.token_hex(8),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    SessionOrg.objects.bulk_create(
        [SessionOrg(session=session, org=o, org_path=o.path) for o in joint]
    )
    rows: dict[int, Attendance] = {}

    def add(m: Member, role: str, has_vote: bool) -> None:
        if m.pk in rows:
            return
        rows[m.pk] = Attendance(
            session=session,
            member=m,
            member_name=m.name,
            org_path=org.path,
            role=role,
            has_vote=has_vote,
        )

    # A full member has a vote, except during 留党察看 (on the session's day).
    barred = sanctions.probation_ids_under(org.path, local.date())
    if session_type == SessionType.COMMITTEE_MEETING:
        for m in committee:
            if seat_ids is not None and m.pk not in seat_ids:
                add(m, AttendeeRole.INVITEE, False)
            else:
                add(m, AttendeeRole.COMMITTEE, m.status == Status.FULL and m.pk not in barred)
    else:
        for m in active_members(org.path).only("id", "name", "status", "org_path"):
            add(m, AttendeeRole.MEMBER, m.status == Status.FULL and m.pk not in barred)
        for o in joint:
            for m in active_members(o.path).only("id", "name", "status", "org_path"):
                add(m, AttendeeRole.MEMBER, False)
    for m in leaders:
        add(m, AttendeeRole.LEADER, False)
    for m in invitees:
        add(m, AttendeeRole.INVITEE, False)
    Attendance.objects.bulk_create(list(rows.values()))
    audit.record(
        actor=actor,
        action="orglife.session.schedule",
        obj=session,
        after={**_session_snapshot(session), "roster": len(rows), "joint": [o.pk for o in joint]},
    )
    scope.assert_visible(session, actor, MANAGE)
    from dangjian.orglife import todos

    todos.tell_roster(session)
    return session


EDITABLE = ("topic", "place", "starts_at", "ends_at", "minutes", "host", "recorder")


@transaction.atomic
def session_update(*, actor, session: Session, **changes) -> Session:
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not can_manage_in(actor, session.org_path):
        raise scope.Forbidden("您没有管理该党组织组织生活的权限")
    if session.state != SessionState.SCHEDULED:
        raise Conflict(f"该组织生活{session.get_state_display()}，记录已归档，不能修改")
    errors = Errors()
    unknown = set(changes) - set(EDITABLE)
    for key in unknown:
        errors.add(key, "该项不能修改")
    before = _session_snapshot(session)
    if "topic" in changes:
        topic = _text(changes["topic"], 200)
        if not topic:
            errors.add("topic", "请填写主题")
        session.topic = topic
    if "place" in changes:
        session.place = _text(changes["place"], 200)
    if "minutes" in changes:
        session.minutes = _free_text(changes["minutes"])
    if "starts_at" in changes or "ends_at" in changes:
        starts = changes.get("starts_at", session.starts_at)
        ends = changes.get("ends_at", session.ends_at)
        _times(errors, starts, ends)
        session.starts_at, session.ends_at = starts, ends
    for role in ("host", "recorder"):
        if role in changes:
            m = changes[role]
            found = _members_by_ids(errors, f"{role}_id", actor, [m.pk] if m else [])
            setattr(session, role, found[0] if found else None)
    errors.check()
    session.month = month_key(timezone.localtime(session.starts_at).date())
    session.save()
    b, a = audit.diff(before, _session_snapshot(session))
    audit.record(actor=actor, action="orglife.session.update", obj=session, before=b, after=a)
    scope.assert_visible(session, actor, MANAGE)
    if {"starts_at", "ends_at", "place"} & set(a or {}):
        from dangjian.orglife import todos

        todos.tell_roster(session, changed=True)
    return session


@transaction.atomic
def session_invite(*, actor, session: Session, member_ids, role: str = AttendeeRole.INVITEE):
    """Add invitees (列席) or leaders attending as ordinary members to a scheduled session."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not can_manage_in(actor, session.org_path):
        raise scope.Forbidden("您没有管理该党组织组织生活的权限")
    if session.state != SessionState.SCHEDULED:
        raise Conflict("该组织生活已归档或取消，不能再邀请")
    if role not in (AttendeeRole.INVITEE, AttendeeRole.LEADER):
        raise ValidationError({"role": ["身份只能是受邀列席或领导干部"]})
    errors = Errors()
    members = _members_by_ids(errors, "member_ids", actor, member_ids)
    errors.check()
    have = set(session.attendances.values_list("member_id", flat=True))
    new = [
        Attendance(
            session=session,
            member=m,
            member_name=m.name,
            org_path=session.org_path,
            role=role,
            has_vote=False,
        )
        for m in members
        if m.pk not in have
    ]
    Attendance.objects.bulk_create(new)
    audit.record(
        actor=actor,
        action="orglife.session.invite",
        obj=session,
        after={"members": [a.member_id for a in new], "role": role},
    )
    return new


def _check_open(session: Session) -> None:
    if session.state != SessionState.SCHEDULED:
        raise Conflict(f"该组织生活{session.get_state_display()}，不能再登记出席情况")


@transaction.atomic
def attendance_mark(
    *,
    actor,
    session: Session,
    member_id: int,
    status: str,
    reason: str = "",
    leave_approved: bool = False,
) -> Attendance:
    """The recorder (or whoever manages the organization) marks one member: present, absent
    with a reason, or on leave (with or without approval)."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not can_record(actor, session):
        raise scope.Forbidden("只有记录人或本组织管理人员可以登记出席情况")
    _check_open(session)
    errors = Errors()
    if status not in (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.LEAVE):
        errors.add("status", "出席情况只能是出席、缺席或请假")
    reason = _free_text(reason, 200)
    if status in (AttendanceStatus.ABSENT, AttendanceStatus.LEAVE) and not reason:
        errors.add("reason", "缺席或请假须填写原因")
    if status != AttendanceStatus.LEAVE and leave_approved:
        errors.add("leave_approved", "只有请假才需批准")
    row = (
        Attendance.objects.select_for_update().filter(session=session, member_id=member_id).first()
    )
    if row is None:
        errors.add("member_id", "该党员不在本次组织生活的名单中")
    errors.check()
    before = audit.snapshot(row, ["status", "reason", "leave_approved"])
    row.status = status
    row.reason = reason if status != AttendanceStatus.PRESENT else ""
    row.leave_approved = bool(leave_approved)
    row.leave_approved_by = actor if leave_approved else None
    if status == AttendanceStatus.PRESENT:
        row.method = row.method or CheckinMethod.RECORDER
        row.checked_in_at = row.checked_in_at or timezone.now()
    else:
        row.method = ""
        row.checked_in_at = None
    row.save()
    b, a = audit.diff(before, audit.snapshot(row, ["status", "reason", "leave_approved"]))
    audit.record(
        actor=actor,
        action="orglife.attendance.mark",
        obj=row,
        before=b,
        after=a,
        org_path=session.org_path,
    )
    return row


@transaction.atomic
def attendance_mark_present(*, actor, session: Session, member_ids=None) -> int:
    """Batch: mark the members chosen (all still unmarked when ``member_ids`` is None) present,
    each through ``attendance_mark`` (its checks, its audit row); all or nothing. Answers how
    many were marked."""
    if member_ids is None:
        ids = list(
            Attendance.objects.filter(session=session, status=AttendanceStatus.PENDING).values_list(
                "member_id", flat=True
            )
        )
    else:
        ids = []
        for raw in member_ids:
            try:
                ids.append(int(raw))
            except (TypeError, ValueError):
                raise ValidationError({"member_ids": ["党员编号无效"]}) from None
    if not ids:
        raise ValidationError({"member_ids": ["请选择要登记为出席的党员"]})
    for member_id in dict.fromkeys(ids):
        attendance_mark(
            actor=actor, session=session, member_id=member_id, status=AttendanceStatus.PRESENT
        )
    return len(dict.fromkeys(ids))


# --- votes, close, cancel, review ---------------------------------------------------------------


def counts(session: Session) -> dict[str, int]:
    """Roster counts in one query: members with a vote, present, excused with approval; for a
    committee meeting, the seats of the committee as elected on the session's date (recorded
    on the organization, not the roster) and how many of them are present
    (``committee_recorded`` 0 when no committee is recorded for that date)."""
    agg = Attendance.objects.filter(session=session).aggregate(
        roster=Count("id"),
        present=Count("id", filter=Q(status=AttendanceStatus.PRESENT)),
        entitled=Count("id", filter=Q(has_vote=True)),
        voters_present=Count("id", filter=Q(has_vote=True, status=AttendanceStatus.PRESENT)),
        excused=Count(
            "id", filter=Q(has_vote=True, status=AttendanceStatus.LEAVE, leave_approved=True)
        ),
        seats=Count("id", filter=Q(role=AttendeeRole.COMMITTEE)),
        seats_present=Count(
            "id", filter=Q(role=AttendeeRole.COMMITTEE, status=AttendanceStatus.PRESENT)
        ),
        pending=Count("id", filter=Q(status=AttendanceStatus.PENDING)),
    )
    return {k: v or 0 for k, v in agg.items()} | quorum.committee_counts(session)


@transaction.atomic
def vote_record(
    *, actor, session: Session, kind: str, subject: str, yes: int, no: int, abstain: int
) -> Vote:
    """Record a vote. A resolution passes with yes votes from more than half of ALL members
    with a vote; an election counts only when more than 4/5 of the voters are present."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not can_record(actor, session):
        raise scope.Forbidden("只有记录人或本组织管理人员可以登记表决")
    _check_open(session)
    errors = Errors()
    if kind not in VoteKind.values:
        errors.add("kind", "表决类别只能是决议表决或选举")
    subject = _text(subject, 200)
    if not subject:
        errors.add("subject", "请填写表决事项")
    for name, value in (("yes", yes), ("no", no), ("abstain", abstain)):
        if not isinstance(value, int) or value < 0:
            errors.add(name, "票数须为非负整数")
    c = counts(session)
    if not errors and yes + no + abstain > c["voters_present"]:
        errors.add(
            "yes",
            f"赞成、反对、弃权票合计{yes + no + abstain}票，超过到会有表决权党员{c['voters_present']}人",
        )
    errors.check()
    if kind == VoteKind.ELECTION:
        ok = rules.election_quorum(
            entitled=c["entitled"], excused=c["excused"], present=c["voters_present"]
        ) and rules.more_than_half(yes, c["voters_present"])
    else:
        ok = rules.resolution_passes(yes=yes, entitled=c["entitled"])
    vote = Vote.objects.create(
        session=session,
        kind=kind,
        subject=subject,
        yes=yes,
        no=no,
        abstain=abstain,
        entitled=c["entitled"],
        present=c["voters_present"],
        excused=c["excused"],
        passed=ok,
    )
    audit.record(
        actor=actor,
        action="orglife.vote.record",
        obj=session,
        after=audit.snapshot(vote),
        object_repr=subject,
    )
    return vote


def validity(session: Session, c: dict | None = None, votes=None) -> rules.Verdict:
    """Whether the session met its rules, with a Chinese sentence for each check."""
    c = c or counts(session)
    checks: list[rules.Check] = []
    if session.session_type == SessionType.MEMBERS_MEETING:
        checks.append(rules.quorum_check(entitled=c["entitled"], present=c["voters_present"]))
    if session.session_type == SessionType.COMMITTEE_MEETING:
        checks.append(
            rules.committee_check(
                seats=c["seats"],
                present=c["seats_present"],
                recorded=bool(c.get("committee_recorded", 1)),
            )
        )
    for v in votes if votes is not None else session.votes.all():
        if v.kind == VoteKind.ELECTION:
            checks.append(
                rules.election_check(
                    subject=v.subject, entitled=v.entitled, excused=v.excused, present=v.present
                )
            )
        else:
            checks.append(rules.resolution_check(subject=v.subject, yes=v.yes, entitled=v.entitled))
    return rules.Verdict(valid=all(ch.ok for ch in checks), checks=checks)


def can_review(actor, session: Session) -> bool:
    """督查 is the higher level's: a manage grant on a strict ancestor of the host."""
    reach = scope.reach_of(actor, MANAGE)
    return any(
        tree.is_within(session.org_path, p) and p != session.org_path for p in reach.org_paths
    )


# --- the session workflow on the kernel's engine (``core.workflow``) ---------------------------------

SS = SessionState


def _not_started(ctx: workflow.Context) -> workflow.Refusal | None:
    if ctx.now < ctx.obj.starts_at:
        return workflow.Refusal(
            "orglife.close_after_start", "组织生活尚未开始，不能归档", satisfy=ctx.obj.starts_at
        )
    return None


SESSION_FLOW: dict[str, workflow.Action] = {
    "close": workflow.Action(
        "归档", frozenset({SS.SCHEDULED}), SS.HELD, MANAGE, "recorder", guards=(_not_started,)
    ),
    "cancel": workflow.Action(
        "取消", frozenset({SS.SCHEDULED}), SS.CANCELLED, MANAGE, "manager", ("note",)
    ),
    "review": workflow.Action("督查", frozenset({SS.HELD}), None, MANAGE, "higher", ("note",)),
}


def _session_state_message(flow, session: Session, move) -> str:
    if move.label == "督查":
        return "只有已召开并归档的组织生活可以督查"
    return f"该组织生活{session.get_state_display()}，不能再登记出席情况"


def _session_clean(ctx: workflow.Context) -> None:
    if ctx.action == "cancel":
        ctx.note = _free_text(ctx.note, 200)
        if not ctx.note:
            ctx.errors.add("reason", "请填写取消原因")
    elif ctx.action == "review":
        ctx.note = _free_text(ctx.note, 500)
        if not ctx.note:
            ctx.errors.add("note", "请填写督查意见")


def _close(ctx: workflow.Context) -> None:
    session, now = ctx.obj, ctx.now
    if not session.minutes.strip():
        ctx.errors.add("minutes", "请先填写会议记录再归档")
        return
    ctx.values["marked"] = Attendance.objects.filter(
        session=session, status=AttendanceStatus.PENDING
    ).update(status=AttendanceStatus.ABSENT, reason="未签到", updated_at=now)
    session.held_at = now
    session.quorum_ok, session.quorum_note = quorum.sat(validity(session, votes=[]))
    ctx.values["fields"] = ["state", "held_at", "quorum_ok", "quorum_note", "updated_at"]


def _cancel(ctx: workflow.Context) -> None:
    ctx.values["fields"] = ["state", "updated_at"]


def _review(ctx: workflow.Context) -> None:
    session = ctx.obj
    session.reviewed_by = ctx.actor
    session.reviewed_at = timezone.now()
    session.review_note = ctx.note
    ctx.values["fields"] = ["reviewed_by", "reviewed_at", "review_note", "updated_at"]


def _session_audit(ctx: workflow.Context) -> dict:
    s = ctx.obj
    if ctx.action == "review":
        return {"action": "orglife.session.review", "after": {"note": ctx.note}, "note": ""}
    after = {"state": s.state}
    if ctx.action == "close":
        after |= {
            "unmarked_absent": ctx.values["marked"],
            "quorum_ok": s.quorum_ok,
            "quorum_note": s.quorum_note,
        }
    return {
        "action": f"orglife.session.{ctx.action}",
        "before": {"state": ctx.from_state},
        "after": after,
    }


SESSION = workflow.Flow(
    name="orglife.session",
    states=SessionState,
    actions=SESSION_FLOW,
    sides={
        "recorder": lambda a, s, m: (
            None if can_record(a, s) else "只有记录人或本组织管理人员可以归档"
        ),
        "manager": lambda a, s, m: (
            None if can_manage_in(a, s.org_path) else "您没有管理该党组织组织生活的权限"
        ),
        "higher": lambda a, s, m: None if can_review(a, s) else "督查须由上级党组织进行",
    },
    queryset=lambda: Session.objects.all(),
    view_permission=VIEW,
    clean=_session_clean,
    effects={"close": _close, "cancel": _cancel, "review": _review},
    save=lambda ctx: ctx.obj.save(update_fields=ctx.values["fields"]),
    audit=_session_audit,
    unknown_message=lambda flow, action: (
        "操作只能是 close（归档）、cancel（取消）或 review（督查）"
    ),
    state_message=_session_state_message,
)


def session_transition(
    *, actor, session: Session, action: str, note: str = "", now: dt.datetime | None = None
) -> Session:
    """close (归档: members not marked become absent; nothing changes afterwards but the
    review and the participants' ratings), cancel (取消, ``note`` the reason) or review (督查,
    the higher level's opinion): ``SESSION`` run by the kernel's engine."""
    return workflow.run(SESSION, actor=actor, pk=session.pk, action=action, note=note, now=now).obj


def session_close(*, actor, session: Session, now: dt.datetime | None = None) -> Session:
    return session_transition(actor=actor, session=session, action="close", now=now)


def session_cancel(*, actor, session: Session, reason: str) -> Session:
    return session_transition(actor=actor, session=session, action="cancel", note=reason)


def session_review(*, actor, session: Session, note: str) -> Session:
    return session_transition(actor=actor, session=session, action="review", note=note)
