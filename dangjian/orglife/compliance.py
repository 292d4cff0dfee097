"""The compliance engine: for each branch of a subtree and a period (a month, a quarter or a
year), which required sessions are done, due (their period still open) or missed, per the
frequency table (``models.frequencies()``); attendance rates per branch and per member; the
six-element record quality check (Putian: 有党味、有内容、有形式、有记录、有督查、有成效) and the
participants' effect evaluation.

The board for a whole subtree is a handful of grouped queries whatever its size (branches,
groups, full-member counts, held sessions per organization, type and month, the same for the
participating organizations of joint sessions, attendance and ratings per organization); the
rest is arithmetic in Python over those rows. No query runs per branch.

Rules of the evaluation (docs/orglife.md):

- A requirement of frequency F is checked in each F-period that overlaps the requested period
  (a yearly one in the enclosing year when a month or a quarter is asked for).
- done: at least one held (归档) session of that type by the branch (a joint session counts
  for each participating organization) that could validly sit (``Session.quorum_ok`` not
  False: a session short of its quorum is kept, shown with its reason, and not counted, nor
  in the attendance rates); a group meeting counts when every group of the branch
  held one (a branch without groups has no group-meeting requirement); the committee meeting
  is required of branches with at least ``ORGLIFE_COMMITTEE_MIN_FULL_MEMBERS`` (7) full
  members (fewer elect only a secretary);
- due: not done and its period has not ended yet (today is inside or before it);
- missed: not done and its period has ended. Periods that ended before the branch was
  established are not required.
- colour: green with nothing missed; amber with at most ``ORGLIFE_AMBER_MAX_MISSED`` (1)
  missed; red beyond.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.cadres.models import Cadre, CadrePosition, Committee
from dangjian.core import scope, tree
from dangjian.core.choices import label
from dangjian.core.conf import setting
from dangjian.core.months import next_month, quarter_of
from dangjian.members.models import Member, Status
from dangjian.members.models.committee import CommitteePost, CommitteeSeat
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
from dangjian.orglife.models import (
    Attendance,
    AttendanceStatus,
    AttendeeRole,
    Period,
    Rating,
    Session,
    SessionOrg,
    SessionState,
    SessionType,
    frequencies,
)

BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
VIEW = "orglife.view"
DONE, DUE, MISSED = "done", "due", "missed"
STATUS_LABELS = {DONE: "已完成", DUE: "待完成", MISSED: "未完成"}
# The secretary's own party lesson when it cannot be checked (not counted in the colour).
NO_SECRETARY, UNLINKED = "none", "unlinked"
SECRETARY_LABELS = {
    **STATUS_LABELS,
    NO_SECRETARY: "未登记书记",
    UNLINKED: "书记未关联党员档案",
}
SECRETARY_LESSON_LABEL = "书记讲党课"
# Village and community organizations: their secretary is the serving party secretary of the
# village's or community's two committees (members.Cadre), matched by the anchoring area.
SECRETARY_DOMAINS = (OrgDomain.VILLAGE, OrgDomain.COMMUNITY)
COLOUR_LABELS = {"green": "绿", "amber": "黄", "red": "红"}


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    kind: str  # month | quarter | year
    year: int
    index: int  # month 1-12, quarter 1-4, year 1

    @property
    def first_month(self) -> int:
        return {"month": self.index, "quarter": 3 * self.index - 2, "year": 1}[self.kind]

    @property
    def last_month(self) -> int:
        return {"month": self.index, "quarter": 3 * self.index, "year": 12}[self.kind]

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the span."""
        return next_month(dt.date(self.year, self.last_month, 1))

    @property
    def keys(self) -> range:
        return range(self.year * 100 + self.first_month, self.year * 100 + self.last_month + 1)

    @property
    def code(self) -> str:
        if self.kind == "year":
            return str(self.year)
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        return f"{self.year}-{self.index:02d}"

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}年"
        if self.kind == "quarter":
            return f"{self.year}年第{self.index}季度"
        return f"{self.year}年{self.index}月"

    def parts(self, kind: str) -> list[Span]:
        """The ``kind`` spans that overlap this one (the enclosing one when ``kind`` is longer)."""
        if kind == "year":
            return [Span("year", self.year, 1)]
        if kind == "quarter":
            q1, q2 = quarter_of(self.first_month), quarter_of(self.last_month)
            return [Span("quarter", self.year, q) for q in range(q1, q2 + 1)]
        return [Span("month", self.year, m) for m in range(self.first_month, self.last_month + 1)]


_PERIOD_RE = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def parse_period(value: str | None, today: dt.date | None = None) -> Span:
    """``2026`` / ``2026-Q3`` / ``2026-11``; empty: the current quarter."""
    today = today or timezone.localdate()
    if not value:
        return Span("quarter", today.year, quarter_of(today.month))
    m = _PERIOD_RE.match(value.strip())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise ValidationError({"period": ["期间格式应为 2026、2026-Q3 或 2026-11"]})
    year = int(m.group(1))
    if m.group(2):
        return Span("quarter", year, int(m.group(2)))
    if m.group(3):
        return Span("month", year, int(m.group(3)))
    return Span("year", year, 1)


# --- the board ----------------------------------------------------------------------------------


def _ranges(path: str) -> Q:
    return tree.subtree_q("org_path", path)


def _rate(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return str((Decimal(100) * part / whole).quantize(Decimal("0.1")))


def colour_of(missed: int) -> str:
    if missed == 0:
        return "green"
    return "amber" if missed <= int(setting("ORGLIFE_AMBER_MAX_MISSED", 1)) else "red"


def _root(user, org_id: int | None) -> list[PartyOrg]:
    qs = PartyOrg.objects.defer("contact_phone")
    if org_id is not None:
        return [scope.get_visible(qs, user, VIEW, pk=org_id)]
    return list(qs.topmost_visible_to(user, VIEW))


def board(user, *, org: int | None = None, period: str | None = None, today=None) -> dict:
    """Red, amber and green per branch of the subtree of ``org`` (or every subtree the user
    sees) for ``period``."""
    today = today or timezone.localdate()
    span = parse_period(period, today)
    rows = []
    totals = {"green": 0, "amber": 0, "red": 0}
    for root in _root(user, org):
        for row in evaluate(root.path, span, today, user=user):
            rows.append(row)
            totals[row["colour"]] += 1
    return {
        "period": span.code,
        "period_label": span.label,
        "today": today.isoformat(),
        "totals": totals,
        "branches": rows,
    }


@dataclass
class Facts:
    """What the evaluation needs, fetched with one grouped query each."""

    orgs: list  # (id, path, name, kind, parent_id, established_on) of branches and groups
    full: list  # (org_id, full members)
    # (org_id, session_type, month, quorum_ok, sessions) of held sessions and joint ones;
    # a 3-tuple counts as one valid session
    held: list
    attendance: list  # (host org_id, present, counted)
    ratings: list  # (host org_id, sum of scores, ratings)
    # (branch id, cadre name, member id, held lessons, scheduled lessons) of the year, the
    # latest serving secretary last
    secretaries: list = field(default_factory=list)


def fetch(root_path: str, span: Span, *, user=None) -> Facts:
    """The grouped queries for the subtree at ``root_path`` (scoped to ``user`` when given)."""
    year = Span("year", span.year, 1)
    key_lo, key_hi = year.keys[0], year.keys[-1]
    span_lo, span_hi = span.keys[0], span.keys[-1]
    orgs = PartyOrg.objects.filter(tree.subtree_q("path", root_path))
    if user is not None:
        orgs = orgs.visible_to(user, VIEW)
    org_rows = list(
        orgs.filter(kind__in=(*BRANCH_KINDS, OrgKind.GROUP))
        .values_list("id", "path", "name", "kind", "parent_id", "established_on")
        .order_by()
    )
    full = list(
        Member.objects.filter(_ranges(root_path), status=Status.FULL, left_on__isnull=True)
        .values_list("org_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    held = list(
        Session.objects.filter(
            _ranges(root_path), state=SessionState.HELD, month__gte=key_lo, month__lte=key_hi
        )
        .values_list("org_id", "session_type", "month", "quorum_ok")
        .annotate(n=Count("id"))
        .order_by()
    )
    held += list(
        SessionOrg.objects.filter(
            _ranges(root_path),
            session__state=SessionState.HELD,
            session__month__gte=key_lo,
            session__month__lte=key_hi,
        )
        .values_list("org_id", "session__session_type", "session__month", "session__quorum_ok")
        .annotate(n=Count("id"))
        .order_by()
    )
    attendance = list(
        Attendance.objects.filter(
            _ranges(root_path),
            session__state=SessionState.HELD,
            session__month__gte=span_lo,
            session__month__lte=span_hi,
        )
        .exclude(session__quorum_ok=False)
        .exclude(role__in=(AttendeeRole.INVITEE, AttendeeRole.LEADER))
        .values_list("session__org_id")
        .annotate(
            present=Count("id", filter=Q(status=AttendanceStatus.PRESENT)),
            total=Count("id", filter=~Q(status=AttendanceStatus.LEAVE, leave_approved=True)),
        )
        .order_by()
    )
    ratings = list(
        Rating.objects.filter(
            tree.subtree_q("session__org_path", root_path),
            session__month__gte=span_lo,
            session__month__lte=span_hi,
        )
        .values_list("session__org_id")
        .annotate(total=Sum("score"), n=Count("id"))
        .order_by()
    )
    secretaries = secretary_lessons(orgs, span.year)
    return Facts(org_rows, full, held, attendance, ratings, secretaries)


def secretary_lessons(orgs, year: int) -> list[tuple]:
    """One query for every branch of ``orgs``: the party secretary serving in ``year`` — the
    secretary seat of the branch's own committee (members.CommitteeSeat: a branch of fewer than
    7 full members elects only a secretary), and for a branch of the village or community
    domain anchored to the village or community itself, the serving party secretary of its two
    committees (members.Cadre) — with the party lessons that member hosted (gave) in the year,
    held and scheduled.

    Rows are (branch id, secretary name, member id, held, scheduled), ordered so that the
    secretary that counts comes last for each branch: the two committees' secretary after the
    branch's own seat, and the one serving latest in the year last."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    lessons = Session.objects.filter(
        host_id=OuterRef("member_id"),
        session_type=SessionType.PARTY_LESSON,
        month__gte=year * 100 + 1,
        month__lte=year * 100 + 12,
    ).order_by()

    def count(state: str):
        return Coalesce(
            Subquery(
                lessons.filter(state=state)
                .values("host_id")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )

    columns = ("branch_id", "sec_name", "member_id", "held", "scheduled", "src", "since", "pk")
    seats = (
        CommitteeSeat.objects.filter(
            committee__org_id__in=orgs.filter(kind__in=BRANCH_KINDS).values("id"),
            post=CommitteePost.SECRETARY,
            starts_on__lte=end,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .annotate(
            branch_id=F("committee__org_id"),
            sec_name=F("member_name"),
            held=count(SessionState.HELD),
            scheduled=count(SessionState.SCHEDULED),
            src=Value(0, output_field=IntegerField()),
            since=F("starts_on"),
        )
        .values_list(*columns)
        .order_by()
    )
    branches = orgs.filter(kind__in=BRANCH_KINDS, domain__in=SECRETARY_DOMAINS)
    cadres = (
        Cadre.objects.filter(
            committee=Committee.PARTY,
            position=CadrePosition.SECRETARY,
            term_start__lte=end,
            area_id__in=branches.values("area_id"),
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .annotate(
            branch_id=Subquery(
                branches.filter(area_id=OuterRef("area_id")).order_by("path").values("id")[:1]
            ),
            sec_name=F("name"),
            held=count(SessionState.HELD),
            scheduled=count(SessionState.SCHEDULED),
            src=Value(1, output_field=IntegerField()),
            since=F("term_start"),
        )
        .values_list(*columns)
        .order_by()
    )
    rows = seats.union(cadres, all=True).order_by("src", "since", "pk")
    return [r[:5] for r in rows if r[0] is not None]


def evaluate(
    root_path: str,
    span: Span,
    today: dt.date,
    *,
    user=None,
    detail: bool = False,
    only_branch: int | None = None,
) -> list[dict]:
    """Evaluate every branch under ``root_path`` (visible to ``user`` when given)."""
    return assemble(fetch(root_path, span, user=user), span, today, detail, only_branch)


def assemble(
    facts: Facts,
    span: Span,
    today: dt.date,
    detail: bool = False,
    only_branch: int | None = None,
) -> list[dict]:
    """The arithmetic over the fetched rows: no query."""
    freq = frequencies()
    branches: dict[int, tuple] = {}
    group_parent: dict[int, int] = {}
    for pk, path, name, kind, parent_id, established in facts.orgs:
        if kind == OrgKind.GROUP:
            group_parent[pk] = parent_id
        elif only_branch is None or pk == only_branch:
            branches[pk] = (path, name, established)
    groups_of: dict[int, set[int]] = defaultdict(set)
    for g, parent in group_parent.items():
        if parent in branches:
            groups_of[parent].add(g)

    def branch_of(org_id: int) -> int | None:
        if org_id in branches:
            return org_id
        parent = group_parent.get(org_id)
        return parent if parent in branches else None

    full: dict[int, int] = defaultdict(int)
    for org_id, n in facts.full:
        b = branch_of(org_id)
        if b is not None:
            full[b] += n
    held: dict[tuple[int, str], set[int]] = defaultdict(set)  # (branch, type) -> months
    group_held: dict[tuple[int, int], set[int]] = defaultdict(set)  # (branch, group) -> months
    # (branch, type) -> month -> [held sessions, of which short of the quorum]
    sat: dict[tuple[int, str], dict[int, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for row in facts.held:
        org_id, st, month = row[:3]
        valid = row[3] is not False if len(row) > 3 else True
        n = row[4] if len(row) > 4 else 1
        b = branch_of(org_id)
        if b is None:
            continue
        if st != SessionType.GROUP_MEETING or org_id == b:
            tally = sat[(b, st)][month]
            tally[0] += n
            tally[1] += 0 if valid else n
        if not valid:
            continue
        if st == SessionType.GROUP_MEETING and org_id != b:
            group_held[(b, org_id)].add(month)
        else:
            held[(b, st)].add(month)
    att: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for org_id, present, total in facts.attendance:
        b = branch_of(org_id)
        if b is not None:
            att[b][0] += present or 0
            att[b][1] += total or 0
    ratings: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for org_id, total, n in facts.ratings:
        b = branch_of(org_id)
        if b is not None:
            ratings[b][0] += total or 0
            ratings[b][1] += n
    secretary: dict[int, tuple] = {}
    for branch_id, name, member_id, n_held, n_scheduled in facts.secretaries:
        if branch_id in branches:
            secretary[branch_id] = (name, member_id, n_held, n_scheduled)
    year_span = Span("year", span.year, 1)
    # 5. arithmetic
    committee_min = int(setting("ORGLIFE_COMMITTEE_MIN_FULL_MEMBERS", 7))
    parts = {kind: span.parts(kind) for kind in Period.values}
    out = []
    for pk, (_path, name, established) in sorted(branches.items(), key=lambda kv: kv[1][0]):
        done = due = missed = invalid_total = 0
        invalid_items = []
        items = []
        missing = []
        for st, kind in freq.items():
            if st == SessionType.COMMITTEE_MEETING and full[pk] < committee_min:
                continue
            groups = groups_of.get(pk, ())
            if st == SessionType.GROUP_MEETING and not groups:
                continue
            for part in parts[kind]:
                if established and part.end <= established:
                    continue
                keys = part.keys
                if st == SessionType.GROUP_MEETING:
                    lacking = [g for g in groups if not any(k in group_held[(pk, g)] for k in keys)]
                    ok = not lacking
                else:
                    months = held.get((pk, st), ())
                    ok = any(k in months for k in keys)
                tallies = sat.get((pk, st), {})
                n_held = sum(tallies[k][0] for k in keys if k in tallies)
                n_invalid = sum(tallies[k][1] for k in keys if k in tallies)
                note = held_note(n_held, n_invalid)
                if ok:
                    status = DONE
                    done += 1
                elif today < part.end:
                    status = DUE
                    due += 1
                else:
                    status = MISSED
                    missed += 1
                    missing.append(
                        {
                            "session_type": st,
                            "session_type_label": label(SessionType, st),
                            "period": part.code,
                            "period_label": part.label,
                            "held": n_held,
                            "invalid": n_invalid,
                            "note": note,
                        }
                    )
                if n_invalid:
                    invalid_total += n_invalid
                    invalid_items.append(
                        {
                            "session_type": st,
                            "session_type_label": label(SessionType, st),
                            "period": part.code,
                            "period_label": part.label,
                            "held": n_held,
                            "invalid": n_invalid,
                            "note": note,
                        }
                    )
                if detail:
                    items.append(
                        {
                            "session_type": st,
                            "session_type_label": label(SessionType, st),
                            "frequency": kind,
                            "frequency_label": label(Period, kind),
                            "period": part.code,
                            "period_label": part.label,
                            "status": status,
                            "status_label": STATUS_LABELS[status],
                            "held": n_held,
                            "invalid": n_invalid,
                            "note": note,
                        }
                    )
        lesson = _secretary_item(secretary.get(pk), year_span, today, established)
        if lesson["status"] in STATUS_LABELS:
            status = lesson["status"]
            done += status == DONE
            due += status == DUE
            if status == MISSED:
                missed += 1
                missing.append(
                    {
                        "session_type": "secretary_lesson",
                        "session_type_label": SECRETARY_LESSON_LABEL,
                        "period": year_span.code,
                        "period_label": year_span.label,
                    }
                )
        colour = colour_of(missed)
        present, total = att[pk]
        rsum, rn = ratings[pk]
        row = {
            "org_id": pk,
            "org_name": name,
            "colour": colour,
            "colour_label": COLOUR_LABELS[colour],
            "done": done,
            "due": due,
            "missed": missed,
            "missing": missing,
            "invalid": invalid_total,
            "invalid_items": invalid_items,
            "full_members": full[pk],
            "attendance_rate": _rate(present, total),
            "rating_avg": str((Decimal(rsum) / rn).quantize(Decimal("0.01"))) if rn else None,
            "ratings": rn,
            "secretary_lesson": lesson,
        }
        if detail:
            row["items"] = items
        out.append(row)
    return out


def held_note(held: int, invalid: int) -> str:
    """E.g. "已召开1次，其中1次未达法定人数，不计入"; empty when nothing was held."""
    if not held:
        return ""
    if not invalid:
        return f"已召开{held}次"
    return f"已召开{held}次，其中{invalid}次未达法定人数，不计入"


def _secretary_item(found: tuple | None, year: Span, today: dt.date, established) -> dict:
    """DOMAIN.md 党课: the secretary gives (hosts) one party lesson a year."""
    name, member_id, n_held, n_scheduled = found or ("", None, 0, 0)
    if found is None or (established and year.end <= established):
        status = NO_SECRETARY
    elif member_id is None:
        status = UNLINKED
    elif n_held:
        status = DONE
    elif today < year.end:
        status = DUE
    else:
        status = MISSED
    return {
        "label": SECRETARY_LESSON_LABEL,
        "secretary_name": name,
        "member_id": member_id,
        "period": year.code,
        "period_label": year.label,
        "held": n_held,
        "scheduled": n_scheduled,
        "status": status,
        "status_label": SECRETARY_LABELS[status],
    }


def branch_detail(user, *, org: int, period: str | None = None, today=None) -> dict:
    """The drill-down: one branch's requirements item by item, its members' attendance and
    its sessions' record quality."""
    today = today or timezone.localdate()
    span = parse_period(period, today)
    node = scope.get_visible(PartyOrg.objects.defer("contact_phone"), user, VIEW, pk=org)
    if node.kind not in BRANCH_KINDS:
        raise ValidationError({"org": ["请选择党支部或党总支"]})
    rows = evaluate(node.path, span, today, user=user, detail=True, only_branch=node.pk)
    row = rows[0]
    row["members"] = member_attendance(node.path, span)
    sessions = list(
        Session.objects.filter(
            _ranges(node.path), month__gte=span.keys[0], month__lte=span.keys[-1]
        )
        .select_related("org")
        .order_by("starts_at")
    )
    qualities = quality_many(sessions)
    row["sessions"] = [
        {
            "id": s.pk,
            "topic": s.topic,
            "org_name": s.org.name,
            "session_type": s.session_type,
            "session_type_label": label(SessionType, s.session_type),
            "state": s.state,
            "state_label": label(SessionState, s.state),
            "starts_at": timezone.localtime(s.starts_at).isoformat(),
            "quality": qualities[s.pk],
            "quorum_ok": s.quorum_ok,
            "quorum_note": s.quorum_note,
            "counted": s.state == SessionState.HELD and s.quorum_ok is not False,
        }
        for s in sessions
    ]
    held = [q for s, q in ((s, qualities[s.pk]) for s in sessions) if s.state == "held"]
    row["quality_rate"] = _rate(sum(1 for q in held if q["ok"]), len(held))
    return {"period": span.code, "period_label": span.label, "branch": row}


def member_attendance(path: str, span: Span) -> list[dict]:
    """Attendance rate per member over the held sessions of ``path``'s subtree in ``span``
    that could validly sit (approved leave is left out of the count), in one grouped query."""
    out = []
    for member_id, name, present, leave, absent, total in (
        Attendance.objects.filter(
            _ranges(path),
            session__state=SessionState.HELD,
            session__month__gte=span.keys[0],
            session__month__lte=span.keys[-1],
        )
        .exclude(session__quorum_ok=False)
        .values_list("member_id", "member_name")
        .annotate(
            present=Count("id", filter=Q(status=AttendanceStatus.PRESENT)),
            leave=Count("id", filter=Q(status=AttendanceStatus.LEAVE, leave_approved=True)),
            absent=Count("id", filter=Q(status=AttendanceStatus.ABSENT)),
            total=Count("id"),
        )
        .order_by("member_name", "member_id")
    ):
        out.append(
            {
                "member_id": member_id,
                "name": name,
                "sessions": total,
                "present": present,
                "approved_leave": leave,
                "absent": absent,
                "rate": _rate(present, total - leave),
            }
        )
    return out


# --- record quality (six elements) and effect -------------------------------------------------

PARTY_KEYWORDS = (
    "学习",
    "党章",
    "党史",
    "党纪",
    "党性",
    "党规",
    "初心",
    "使命",
    "誓词",
    "讲话",
    "精神",
    "理论",
    "主题教育",
    "二十大",
    "党课",
    "批评与自我批评",
)

ELEMENTS = (
    ("party_flavor", "有党味"),
    ("content", "有内容"),
    ("form", "有形式"),
    ("record", "有记录"),
    ("supervision", "有督查"),
    ("effect", "有成效"),
)


def quality_many(sessions: list[Session]) -> dict[int, dict]:
    """The six-element check for each session, with three grouped queries for all of them."""
    ids = [s.pk for s in sessions]
    att = {
        sid: (pending, unexplained)
        for sid, pending, unexplained in Attendance.objects.filter(session_id__in=ids)
        .values_list("session_id")
        .annotate(
            pending=Count("id", filter=Q(status=AttendanceStatus.PENDING)),
            unexplained=Count(
                "id",
                filter=Q(status__in=(AttendanceStatus.ABSENT, AttendanceStatus.LEAVE), reason=""),
            ),
        )
        .order_by()
    }
    photos = dict(
        Session.photos.through.objects.filter(session_id__in=ids)
        .values_list("session_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    rated = {
        sid: (n, avg)
        for sid, n, avg in Rating.objects.filter(session_id__in=ids)
        .values_list("session_id")
        .annotate(n=Count("id"), avg=Avg("score"))
        .order_by()
    }
    return {
        s.pk: quality(s, att.get(s.pk, (0, 0)), photos.get(s.pk, 0), rated.get(s.pk, (0, None)))
        for s in sessions
    }


def quality(session: Session, att: tuple[int, int], photos: int, rated: tuple) -> dict:
    min_chars = int(setting("ORGLIFE_MIN_MINUTES_CHARS", 100))
    min_minutes = int(setting("ORGLIFE_MIN_DURATION_MINUTES", 30))
    min_ratings = int(setting("ORGLIFE_MIN_RATINGS", 3))
    good = Decimal(str(setting("ORGLIFE_GOOD_RATING", "3.5")))
    text = f"{session.topic}\n{session.minutes}"
    pending, unexplained = att
    n, avg = rated
    duration = (session.ends_at - session.starts_at).total_seconds() / 60
    checks = {
        "party_flavor": (
            session.session_type == SessionType.PARTY_LESSON
            or any(k in text for k in PARTY_KEYWORDS),
            "主题或记录中有政治学习内容（党章党史、讲话精神、理论学习等）",
        ),
        "content": (
            len(session.minutes.strip()) >= min_chars,
            f"会议记录不少于{min_chars}字",
        ),
        "form": (
            bool(session.place or session.base_id)
            and bool(session.host_id)
            and duration >= min_minutes,
            f"有地点、有主持人，时长不少于{min_minutes}分钟",
        ),
        "record": (
            bool(session.recorder_id) and pending == 0 and unexplained == 0 and photos > 0,
            "有记录人，出席情况全部登记（缺席请假注明原因），有现场照片",
        ),
        "supervision": (bool(session.reviewed_at), "上级党组织已督查签阅"),
        "effect": (
            n >= min_ratings and avg is not None and Decimal(str(avg)) >= good,
            f"至少{min_ratings}名参加党员评价，平均不低于{good}分",
        ),
    }
    elements = [
        {"code": code, "label": lab, "ok": checks[code][0], "rule": checks[code][1]}
        for code, lab in ELEMENTS
    ]
    return {
        "ok": all(e["ok"] for e in elements),
        "score": sum(1 for e in elements if e["ok"]),
        "elements": elements,
        "ratings": n,
        "rating_avg": str(Decimal(str(avg)).quantize(Decimal("0.01"))) if avg is not None else None,
    }


def session_quality(session: Session) -> dict:
    return quality_many([session])[session.pk]
