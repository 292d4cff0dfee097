"""Demo data of member development: applicants at every one of the 25 steps (and cancelled
ones), some overdue, yearly targets; called once by ``demo.generator.seed`` after the members.

Written in bulk like the rest of the demo, through the same ``core`` functions (encryption,
blind indexes) and the same rules (``steps.earliest``): each applicant's steps are dated
forward from the application on the first day the rules allow plus a few days, so every
record is one the transition service would have accepted. Applicants past step 17 get the
member file the service would have created (probationary, or full from the day the probation
ended).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

from django.db.models import Count, Q
from django.utils import timezone

from dangjian.core import crypto, tree
from dangjian.core.months import add_months
from dangjian.core.pinyin import initials
from dangjian.core.validators import id_number_check_digit
from dangjian.demo import names
from dangjian.demo.bulk import write_rows
from dangjian.development import steps as S
from dangjian.development.approvers import approver_candidates, approver_refusal
from dangjian.development.models import (
    Applicant,
    ApplicantStatus,
    ApplicantStep,
    DevelopmentTarget,
    PersonRole,
    ResponsiblePerson,
    StepAction,
)
from dangjian.development.services import earliest_explained, facts_of
from dangjian.members.models import Member, Status
from dangjian.organizations.models import OrgKind, PartyOrg

# (branches, applicants per branch) per scale
SIZES = {"small": (6, 13), "city": (400, 10)}
# How far back the application was, in days, by the step reached (so the chain fits).
SPAN = {
    range(0, 3): (5, 25),
    range(3, 7): (60, 300),
    range(7, 12): (372, 420),
    range(12, 17): (380, 430),
    range(17, 23): (420, 700),
    range(23, 26): (760, 860),
}
# Overdue on purpose: (step reached, extra days back) — the talk, the approval, the confirmation.
OVERDUE = ((1, 45), (16, 120), (22, 400))


def _span(step: int) -> tuple[int, int]:
    for r, v in SPAN.items():
        if step in r:
            return v
    return (5, 25)


class Planner:
    def __init__(self, rng: random.Random, today: dt.date, actor):
        self.rng = rng
        self.today = today
        self.actor = actor
        self.seq: Counter = Counter()
        self.approvers: dict[str, PartyOrg | None] = {}

    def id_number(self, birth: dt.date, male: bool) -> str:
        key = (birth, male)
        k = self.seq[key]
        self.seq[key] = k + 1
        first17 = f"350399{birth:%Y%m%d}{(k * 2 + (1 if male else 0)) % 1000:03d}"
        return first17 + id_number_check_digit(first17)

    def approver(self, org: PartyOrg) -> PartyOrg | None:
        if org.path not in self.approvers:
            found = None
            for o in approver_candidates(tree.ancestors_of(org.path)):
                if not approver_refusal(o):
                    found = o
                    break
            self.approvers[org.path] = found
        return self.approvers[org.path]

    def person(self) -> dict:
        rng = self.rng
        male = rng.random() < 0.55
        age = rng.randint(22, 45)
        birth = dt.date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        phone = names.mobile(rng)
        number = self.id_number(birth, male)
        return {
            "name": names.person_name(rng),
            "gender": "male" if male else "female",
            "ethnicity": "01",
            "birth_date": birth,
            "id_number": number,
            "id_number_index": crypto.blind_index("id_number", number),
            "phone": phone,
            "phone_index": crypto.blind_index("phone", phone),
            "work_unit": rng.choice(
                ("社区居委会", "街道卫生服务中心", "某物流公司", "个体经营", "小学")
            ),
        }

    def fields(self, n: int, org: PartyOrg, people: list[Member], approver) -> tuple[dict, list]:
        """The step's data and its responsible people, as the service records them."""
        data: dict = {}
        who: list = []
        if n == 1:
            data["document_title"] = "入党申请书"
        elif n in (2, 16):
            data["talker"] = names.person_name(self.rng)
        elif n == 5:
            who = [(PersonRole.CONTACT, m) for m in people[:1]]
        elif n == 9:
            who = [(PersonRole.SPONSOR, m) for m in people[1:3]]
        elif n == 10:
            data.update(
                review_items={k: "经审查，情况良好" for k in S.REVIEW_ITEMS},
                review_passed=True,
                review_conclusion="政治审查合格",
            )
        elif n == 11:
            data.update(training_days="3", training_hours=24, certificate_number="PX")
        elif n == 14:
            data["volunteer_book_number"] = f"ZYS{self.rng.randint(100000, 999999)}"
        elif n in (15, 23):
            entitled = max(len(people), 3)
            data.update(entitled=entitled, present=entitled, yes=entitled, no=0, abstain=0)
        elif n in (17, 24) and approver is not None:
            data["approving_org_name"] = approver.name
        return data, who

    def applicant(self, org: PartyOrg, target: int, people: list[Member], back: int = 0):
        """An applicant of ``org`` who has reached step ``target`` (None if the rules do not
        let the chain fit before today)."""
        rng, today = self.rng, self.today
        approver = self.approver(org)
        if target >= 17 and approver is None:
            target = 16
        if target >= 5 and len(people) < 3:
            target = 4
        low, high = _span(target)
        start = today - dt.timedelta(days=rng.randint(low, high) + back)
        a = Applicant(org=org, org_path=org.path, area_path=org.area_path, **self.person())
        steps = []
        for n in range(1, target + 1):
            earliest, _ = S.earliest(n, facts_of(a), a.last_step_on)
            day = start if n == 1 else max(earliest or start, a.last_step_on)
            if n > 1 and not back:
                day += dt.timedelta(days=rng.randint(0, 6))
            if n == 1 and earliest and day < earliest:
                day = earliest
            if day > today:
                break
            data, who = self.fields(n, org, people, approver)
            a.step, a.stage, a.last_step_on = n, S.stage_of(n), day
            if n == 1:
                a.applied_on = day
            elif n == 3:
                a.activist_on = day
            elif n == 7:
                a.candidate_on = day
            elif n == 12:
                a.notice_start = day
            elif n == 15:
                a.admitted_on = a.probation_start = day
                a.probation_end = add_months(day, S.PROBATION_MONTHS)
            elif n == 17:
                a.approved_on = day
            elif n == 23:
                a.confirmation_vote_on = day
            elif n == 24:
                a.confirmed_on = a.probation_end
                a.status = ApplicantStatus.CONFIRMED
            elif n == 25:
                a.status = ApplicantStatus.ARCHIVED
            steps.append((n, day, data, who, approver if n in (17, 24) else None))
        nxt = a.next_step
        facts = facts_of(a)
        a.next_earliest = earliest_explained(a, today)[0] if nxt else None
        a.next_due, a.next_due_rule = S.due(nxt, facts) if nxt else (None, "")
        return a, steps

    def member_for(self, a: Applicant) -> Member:
        full = a.step >= S.CONFIRM_STEP
        return Member(
            name=a.name,
            name_pinyin=initials(a.name),
            gender=a.gender,
            ethnicity=a.ethnicity,
            birth_date=a.birth_date,
            id_number=a.id_number,
            id_number_index=a.id_number_index,
            phone=a.phone,
            phone_index=a.phone_index,
            work_unit=a.work_unit,
            joined_on=a.admitted_on,
            confirmed_on=a.probation_end if full else None,
            status=Status.FULL if full else Status.PROBATIONARY,
            org=a.org,
            org_path=a.org_path,
            area_path="",
        )


def _branches(b, limit: int) -> list[PartyOrg]:
    """Branches with at least three full members, the demo community's first."""
    qs = (
        PartyOrg.objects.filter(kind=OrgKind.BRANCH)
        .annotate(full=Count("members", filter=Q(members__status=Status.FULL)))
        .filter(full__gte=3)
        .defer("contact_phone")
        .order_by("path")
    )
    home = b.demo.get("community_org")
    first, rest = [], []
    for o in qs[: limit * 20]:
        (first if home is not None and o.path.startswith(home.path) else rest).append(o)
    rng = b.rng
    rng.shuffle(rest)
    return (first + rest)[:limit]


def seed_with_progress(b, users: dict, progress: bool = True) -> dict:
    """The registry's entry: today's applicants (no progress bar: the writes are small)."""
    return seed(b, users, timezone.localdate())


def seed(b, users: dict, today: dt.date | None = None) -> dict:
    """Write the demo's applicants, steps, responsible people, members and targets."""
    today = today or dt.date.today()
    rng = random.Random(f"dangjian-development-{b.scale}")
    n_branches, per_branch = SIZES.get(b.scale, SIZES["small"])
    actor = users.get("demo-community")
    planner = Planner(rng, today, actor)
    branches = _branches(b, n_branches)
    people_of: dict[int, list[Member]] = defaultdict(list)
    for m in (
        Member.objects.filter(org__in=branches, status=Status.FULL, left_on__isnull=True)
        .only("pk", "name", "org_id", "user_id")
        .order_by("org_id", "pk")
    ):
        if len(people_of[m.org_id]) < 5:
            people_of[m.org_id].append(m)
    # The demo member, if a full member of a chosen branch, is the contact of one applicant.
    demo_member = users.get("demo-member")
    demo_file = (
        Member.objects.filter(user=demo_member, status=Status.FULL).first() if demo_member else None
    )
    plans = []
    cycle = list(range(0, 26))
    k = 0
    for org in branches:
        people = list(people_of[org.pk])
        if demo_file is not None and demo_file.org_id == org.pk:
            people = [demo_file] + [p for p in people if p.pk != demo_file.pk]
        for _ in range(per_branch):
            target = cycle[k % len(cycle)]
            k += 1
            plans.append(planner.applicant(org, target, people))
        for target, back in OVERDUE:
            plans.append(planner.applicant(org, target, people, back=back))
        # a cancelled one in each branch: an activist who withdrew
        a, steps = planner.applicant(org, rng.choice((3, 6, 9)), people)
        a.status, a.ended_on = ApplicantStatus.CANCELLED, a.last_step_on
        a.next_earliest = a.next_due = None
        a.next_due_rule = ""
        steps.append(("cancel", a.last_step_on, {}, [], None))
        plans.append((a, steps))
    # The demo resident follows an application of their own (in the demo community).
    resident = users.get("demo-resident")
    if resident is not None and branches:
        a, steps = planner.applicant(branches[0], 6, people_of[branches[0].pk])
        a.user = resident
        a.name = resident.real_name or a.name
        plans.append((a, steps))

    # members for those past the approval
    members = [planner.member_for(a) for a, _ in plans if a.step >= S.MEMBER_STEP]
    write_rows(Member, members, None)
    it = iter(members)
    for a, _ in plans:
        if a.step >= S.MEMBER_STEP:
            a.member = next(it)
    write_rows(Applicant, [a for a, _ in plans], None)

    rows, people_rows = [], []
    actor_name = str(actor) if actor is not None else ""  # the real name, as people read it
    for a, steps in plans:
        for n, day, data, who, approver in steps:
            if n == "cancel":
                row = ApplicantStep(
                    applicant=a,
                    action=StepAction.CANCEL,
                    number=None,
                    stage=a.stage,
                    date=day,
                    actor=actor,
                    actor_name=actor_name,
                    note="本人申请撤回",
                )
            else:
                row = ApplicantStep(
                    applicant=a,
                    action=StepAction.STEP,
                    number=n,
                    stage=S.stage_of(n),
                    date=day,
                    actor=actor,
                    actor_name=actor_name,
                    approving_org=approver,
                    data=data,
                )
            rows.append(row)
            people_rows.append((row, a, who))
    write_rows(ApplicantStep, rows, None)
    write_rows(
        ResponsiblePerson,
        [
            ResponsiblePerson(applicant=a, step=row, role=role, member=m, name=m.name)
            for row, a, who in people_rows
            for role, m in who
        ],
        None,
    )
    targets = [
        DevelopmentTarget(
            year=today.year,
            org=b.city_org,
            org_path=b.city_org.path,
            activists=500,
            candidates=300,
            new_members=100,
        )
    ]
    for org in PartyOrg.objects.filter(parent=b.city_org, kind=OrgKind.COMMITTEE).defer(
        "contact_phone"
    )[:20]:
        targets.append(
            DevelopmentTarget(
                year=today.year,
                org=org,
                org_path=org.path,
                activists=rng.randint(40, 90),
                candidates=rng.randint(20, 50),
                new_members=rng.randint(8, 20),
            )
        )
    write_rows(DevelopmentTarget, targets, None)
    by_stage = Counter(a.stage for a, _ in plans if a.status == ApplicantStatus.ACTIVE)
    return {
        "applicants": len(plans),
        "applicants_by_stage": {str(s): by_stage.get(s, 0) for s in range(1, 6)},
        "applicants_overdue": sum(1 for a, _ in plans if a.next_due and a.next_due < today),
        "applicant_steps": len(rows),
        "development_members": len(members),
        # the registry's total, with the members filed for applicants past step 17
        "members": Member.objects.count(),
        "development_targets": len(targets),
    }
