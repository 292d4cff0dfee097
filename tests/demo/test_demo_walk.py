"""The demo tells a true story (issue 18): seed the small demo once and walk it, asserting that
no record shows what the rules say cannot happen — a session later today already held, a branch
without a secretary and no recorded vacancy, a member without a dues category, an applicant
"eligible since 2001" or a step taken before the rules allow it, a 六有 pass rate of zero where
meetings were held, a date in the future on what can only have happened already."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import tree
from dangjian.core.months import add_months
from dangjian.demo.generator import seed
from dangjian.development import steps as S
from dangjian.development.models import Applicant, ApplicantStatus, ApplicantStep, StepAction
from dangjian.development.services import facts_of
from dangjian.dues.models import DuesProfile
from dangjian.members.models import Member, Status
from dangjian.members.models.committee import (
    CommitteePost,
    CommitteeSeat,
    CommitteeStatus,
    OrgCommittee,
)
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.orglife import compliance
from dangjian.orglife.models import Attendance, AttendanceStatus, Session, SessionState

pytestmark = pytest.mark.django_db

BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
# Date fields whose meaning is the future (a deadline, a term's end, a plan): they may lie
# after today. Every other date or time in the demo records something that already happened.
FUTURE_MEANING = {
    "organizations.PartyOrg": {"ends_on"},  # a temporary branch's planned end
    "members.OrgCommittee": {"term_end", "postponed_to"},
    "cadres.Cadre": {"term_end"},
    "development.Applicant": {"probation_end", "next_earliest", "next_due"},
    "cases.Event": {"deadline", "chase_at"},
    "cases.EventStep": {"deadline"},
    "dues.Hardship": {"from_month", "to_month"},  # a waiver approved for the next months
    "orglife.Session": {"starts_at", "ends_at"},  # scheduled sessions (checked below)
    "timebank.Order": {"starts_at", "ends_at"},  # the window a resident asked help for
    "assessment.Review": {"due_on"},  # the 督评考 items of the rest of the year
    "assessment.Rectification": {"deadline"},
}


@pytest.fixture
def demo(db):
    return seed("small", progress=False)


def test_the_demo_breaks_no_rule(demo):
    now = timezone.now()
    today = timezone.localdate()
    problems: list[str] = []
    problems += _nothing_dated_in_the_future(now, today)
    problems += _sessions(now)
    problems += _secretaries()
    problems += _dues_categories()
    problems += _applicants(today)
    problems += _six_elements(today)
    assert not problems, "\n".join(problems[:40])


def _nothing_dated_in_the_future(now, today) -> list[str]:
    out = []
    for model in apps.get_models():
        if not model.__module__.startswith("dangjian"):
            continue
        allowed = FUTURE_MEANING.get(model._meta.label, set())
        for f in model._meta.concrete_fields:
            if f.name in allowed:
                continue
            if isinstance(f, models.DateTimeField):
                n = model.objects.filter(**{f"{f.name}__gt": now + dt.timedelta(minutes=5)})
            elif isinstance(f, models.DateField):
                n = model.objects.filter(**{f"{f.name}__gt": today})
            else:
                continue
            if n.exists():
                out.append(f"{model._meta.label}.{f.name}: {n.count()} 条记录的日期在将来")
    return out


def _sessions(now) -> list[str]:
    out = []
    held_future = Session.objects.filter(state=SessionState.HELD, starts_at__gt=now).count()
    if held_future:
        out.append(f"{held_future} 次尚未开始的会议已标记为已召开")
    ended = Session.objects.filter(state=SessionState.HELD, ends_at__gt=now).count()
    if ended:
        out.append(f"{ended} 次尚未结束的会议已归档")
    marked = Attendance.objects.filter(session__starts_at__gt=now).exclude(
        status=AttendanceStatus.PENDING
    )
    if marked.exists():
        out.append(f"{marked.count()} 条尚未开始的会议的出席登记已填写")
    # a member checked in before the session began, or a roll left open on a held session
    early = Attendance.objects.filter(checked_in_at__lt=models.F("session__starts_at"))
    if early.exists():
        out.append(f"{early.count()} 条签到早于会议开始")
    pending = Attendance.objects.filter(
        session__state=SessionState.HELD, status=AttendanceStatus.PENDING
    )
    if pending.exists():
        out.append(f"{pending.count()} 条已召开会议的出席情况未登记")
    # hosts and recorders are members of the organization that met
    paths = dict(Member.objects.values_list("pk", "org_path"))
    for s in Session.objects.filter(state=SessionState.HELD).only(
        "pk", "org_path", "host_id", "recorder_id"
    ):
        for who in (s.host_id, s.recorder_id):
            if who is not None and not tree.is_within(paths.get(who, ""), s.org_path):
                out.append(f"会议 {s.pk} 的主持人或记录人 {who} 不是本组织党员")
    # an organization without members holds no meetings
    empty = set(
        PartyOrg.objects.annotate(n=Count("members")).filter(n=0).values_list("pk", flat=True)
    )
    for org_id in Session.objects.filter(org_id__in=empty).values_list("org_id", flat=True):
        org = PartyOrg.objects.get(pk=org_id)
        if not Member.objects.filter(tree.subtree_q("org_path", org.path)).exists():
            out.append(f"没有党员的{org.name}召开了会议")
    return out


def _secretaries() -> list[str]:
    """Every branch with full members has a secretary, or a vacancy recorded with its date and
    reason; the composition follows the branch's size (fewer than 7 full members: only a
    secretary and a deputy)."""
    out = []
    full = dict(
        Member.objects.filter(status=Status.FULL, left_on__isnull=True)
        .values_list("org_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    current = {c.org_id: c for c in OrgCommittee.objects.filter(status=CommitteeStatus.CURRENT)}
    seats = defaultdict(list)
    for s in CommitteeSeat.objects.filter(committee__status=CommitteeStatus.CURRENT):
        seats[s.committee.org_id].append(s)
    for org in PartyOrg.objects.filter(kind__in=BRANCH_KINDS):
        n = full.get(org.pk, 0)
        if n == 0:
            continue
        c = current.get(org.pk)
        if c is None:
            out.append(f"{org.name}（正式党员{n}人）未登记书记")
            continue
        serving = [s for s in seats[org.pk] if s.ends_on is None]
        secretary = [s for s in serving if s.post == CommitteePost.SECRETARY]
        left = [
            s
            for s in seats[org.pk]
            if s.post == CommitteePost.SECRETARY and s.ends_on is not None and s.end_reason
        ]
        if len(secretary) != 1 and not left:
            out.append(f"{org.name}没有在任书记，也没有登记书记离任")
        if org.kind == OrgKind.BRANCH and n < 7:
            posts = {s.post for s in serving}
            if len(serving) > 2 or posts - {
                CommitteePost.SECRETARY,
                CommitteePost.DEPUTY_SECRETARY,
            }:
                out.append(f"{org.name}正式党员{n}人，不足7人，却设了委员会")
        for s in serving:
            m = Member.objects.get(pk=s.member_id)
            if m.status != Status.FULL or not tree.is_within(m.org_path, org.path):
                out.append(f"{org.name}的{s.get_post_display()}{m.name}不是本支部正式党员")
    return out


def _dues_categories() -> list[str]:
    missing = (
        Member.objects.filter(left_on__isnull=True, status__in=(Status.FULL, Status.PROBATIONARY))
        .exclude(pk__in=DuesProfile.objects.values("member_id"))
        .count()
    )
    return [f"{missing} 名党员没有党费类别"] if missing else []


def _applicants(today) -> list[str]:
    out = []
    steps = defaultdict(list)
    for st in ApplicantStep.objects.filter(action=StepAction.STEP).order_by("number"):
        steps[st.applicant_id].append(st)
    for a in Applicant.objects.all():
        if a.next_earliest and a.next_earliest < today and a.last_step_on is None:
            out.append(f"申请人{a.name}尚未递交申请书，却显示自{a.next_earliest}起可办理")
        mine = steps[a.pk]
        if [s.number for s in mine] != list(range(1, a.step + 1)):
            out.append(f"申请人{a.name}的步骤不连续")
            continue
        # re-walk the chain through the rules: each step on or after the first day allowed
        walker = Applicant(birth_date=a.birth_date)
        walker.step, walker.last_step_on = 0, None
        for s in mine:
            earliest, why = S.earliest(s.number, facts_of(walker), walker.last_step_on)
            if earliest and s.date < earliest:
                out.append(f"申请人{a.name}第{s.number}步早于规定（{'、'.join(why)}）")
            if s.date > today:
                out.append(f"申请人{a.name}第{s.number}步日期在将来")
            walker.step, walker.stage, walker.last_step_on = s.number, S.stage_of(s.number), s.date
            for field, step in (
                ("applied_on", 1),
                ("activist_on", 3),
                ("candidate_on", 7),
                ("notice_start", 12),
                ("admitted_on", 15),
                ("approved_on", 17),
                ("confirmation_vote_on", 23),
            ):
                if s.number == step:
                    setattr(walker, field, s.date)
            if s.number == 15:
                walker.probation_start = s.date
                walker.probation_end = add_months(s.date, S.PROBATION_MONTHS)
        if a.applied_on and (a.applied_on - a.birth_date).days < 18 * 365:
            out.append(f"申请人{a.name}递交申请书时未满18周岁")
        if a.step >= S.MEMBER_STEP and a.status != ApplicantStatus.CANCELLED:
            m = a.member
            if m is None or m.joined_on != a.admitted_on:
                out.append(f"申请人{a.name}已获批准，党员档案缺失或入党日期不符")
    return out


def _six_elements(today) -> list[str]:
    out = []
    admin = User.objects.get(username="demo-admin")
    root = PartyOrg.objects.get(parent__isnull=True)
    year = compliance.Span("year", today.year, 1)
    rows = compliance.evaluate(root.path, year, today)
    with_secretary = set(
        CommitteeSeat.objects.filter(
            committee__status=CommitteeStatus.CURRENT,
            post=CommitteePost.SECRETARY,
            ends_on__isnull=True,
        ).values_list("committee__org_id", flat=True)
    )
    held = set(
        Session.objects.filter(state=SessionState.HELD, month__gte=today.year * 100)
        .values_list("org_id", flat=True)
        .distinct()
    )
    for r in rows:
        if r["org_id"] in with_secretary and r["secretary_lesson"]["status"] == "none":
            out.append(f"{r['org_name']}已有书记，却显示未登记书记")
        if r["org_id"] in held:
            d = compliance.branch_detail(admin, org=r["org_id"], period=str(today.year))
            rate = d["branch"].get("quality_rate")
            if not rate or float(rate) == 0:
                out.append(f"{r['org_name']}有已召开的会议，“六有”达标率却为0")
    colours = {r["colour"] for r in rows}
    if "green" not in colours:
        out.append("没有一个支部组织生活全部完成（绿）")
    reviewed = Session.objects.filter(state=SessionState.HELD).aggregate(
        n=Count("id"), reviewed=Count("id", filter=Q(reviewed_at__isnull=False))
    )
    if not reviewed["reviewed"]:
        out.append("没有一次会议经上级督查")
    return out
