"""The data-checkable situations of a weak and lax organization (软弱涣散, DOMAIN.md
Assessment) as rules: each reads the other modules' stored data for a whole city in a
handful of grouped queries, compares a figure with its threshold (``thresholds``) and
answers ``Finding`` rows naming the rule, the figure, the threshold and the evidence.

Who is assessed: every standing branch, general branch and party committee that is not
dissolved, not temporary, and not a township/street committee or above (those are the
levels that assess). The county of an organization is the level-2 area above its anchor
(the root itself in a deployment rooted at a county-level city).

Interpretations written down in docs/decisions.md ("Assessment: weak organizations").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dangjian.assessment import inputs, thresholds
from dangjian.assessment.models import WeakRule
from dangjian.cases.models import RATED_SOURCES, SATISFIED_RATINGS, Event
from dangjian.core import tree
from dangjian.core.months import add_months, quarter_of
from dangjian.members.models import Member, Status
from dangjian.members.models.committee import (
    CommitteePost,
    CommitteeSeat,
    CommitteeStatus,
    OrgCommittee,
)
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg
from dangjian.orglife.models import Session, SessionOrg, SessionState, SessionType
from dangjian.territory.models import Area

ACTIVE = (Status.FULL, Status.PROBATIONARY)
ASSESSED_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE)
VILLAGE_LEVEL = 4


@dataclass
class Org:
    id: int
    name: str
    kind: str
    domain: str
    path: str
    area_path: str
    area_level: int
    county_path: str
    established_on: dt.date | None


@dataclass
class Finding:
    org_id: int
    rule: str
    figure: str
    threshold: str
    summary: str
    evidence: dict = field(default_factory=dict)
    url: str = ""


@dataclass
class Context:
    year: int
    as_of: dt.date
    values: dict[str, Decimal]
    orgs: dict[int, Org]
    # Each named console route reversed once per computation (``url``), not once per finding.
    urls: dict[tuple[str, int], str] = field(default_factory=dict, repr=False)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    def n(self, key: str) -> int:
        return int(self.values[key])

    def d(self, key: str) -> Decimal:
        return self.values[key]

    def url(self, name: str, *args: int, query: str = "") -> str:
        """``reverse(name, args=args)`` (plus ``?query``), the route reversed once per
        computation with a stand-in id that each call replaces by its own (ids are
        integers: the stand-in cannot meet another part of the address)."""
        pattern = self.urls.get((name, len(args)))
        if pattern is None:
            pattern = self.urls[(name, len(args))] = _url(name, *(_STAND_IN,) * len(args))
        url = pattern
        for arg in args:
            url = url.replace(str(_STAND_IN), str(int(arg)), 1)
        return url + (f"?{query}" if query and url else "")


_STAND_IN = 9_876_543_210_123


def _url(name: str, *args, query: str = "") -> str:
    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:  # pragma: no cover - the console is always installed
        return ""


def day_range(field_name: str, first: dt.date, last: dt.date) -> Q:
    """``field__date`` from ``first`` to ``last`` (inclusive, in the current time zone) as a
    range of instants: the same rows, compared as stored (SQLite answers ``__date`` through a
    Python function per row, and neither backend can use an index on it)."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, zone)
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def as_of_for(year: int, today: dt.date) -> dt.date:
    """The day a year is judged on: its last day, or today while it runs."""
    return min(today, dt.date(year, 12, 31))


def county_paths() -> list[str]:
    """The area paths that count as counties, deepest first for prefix matching."""
    rows = list(Area.objects.filter(level__lte=2).values_list("path", "level"))
    counties = [p for p, level in rows if level == 2]
    roots = [p for p, level in rows if level < 2]
    return sorted(counties or roots, key=len, reverse=True) + sorted(roots, key=len, reverse=True)


def county_of(area_path: str, counties: list[str]) -> str:
    for p in counties:
        if area_path.startswith(p):
            return p
    return area_path[: tree.STEP_WIDTH]


def assessed_orgs(*, within: str | None = None) -> dict[int, Org]:
    """The organizations that are assessed (see the module docstring), by id."""
    counties = county_paths()
    qs = PartyOrg.objects.filter(dissolved_on__isnull=True, kind__in=ASSESSED_KINDS).exclude(
        form=OrgForm.TEMPORARY
    )
    if within:
        qs = qs.filter(tree.subtree_q("area_path", within))
    out = {}
    for pk, name, kind, domain, path, area_path, level, est in qs.values_list(
        "pk", "name", "kind", "domain", "path", "area_path", "area__level", "established_on"
    ):
        if kind == OrgKind.COMMITTEE and (level or 0) < VILLAGE_LEVEL:
            continue
        out[pk] = Org(
            pk, name, kind, domain, path, area_path, level or 0, county_of(area_path, counties), est
        )
    return out


def _rollup(direct: dict[str, int], paths) -> dict[str, int]:
    """Sum of ``direct`` (per org path) over each subtree in ``paths``."""
    up: dict[str, int] = defaultdict(int)
    for path, n in direct.items():
        for p in (*tree.ancestors_of(path), path):
            up[p] += n
    return {p: up.get(p, 0) for p in paths}


def full_members(ctx: Context) -> dict[int, int]:
    """Full members in each assessed organization's subtree."""
    direct: dict[str, int] = defaultdict(int)
    for path, n in (
        Member.objects.filter(status=Status.FULL, left_on__isnull=True)
        .values("org_path")
        .annotate(n=Count("pk"))
        .values_list("org_path", "n")
    ):
        direct[path] += n
    by_path = _rollup(direct, [o.path for o in ctx.orgs.values()])
    return {o.id: by_path[o.path] for o in ctx.orgs.values()}


# --- the committee: secretary, seats, election ------------------------------------------------


def _committees(ctx: Context) -> dict[int, OrgCommittee]:
    day = ctx.as_of
    serving = CommitteeSeat.objects.filter(committee=OuterRef("pk"), starts_on__lte=day).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=day)
    )
    last_end = (
        CommitteeSeat.objects.filter(
            committee__org_id=OuterRef("org_id"),
            post=CommitteePost.SECRETARY,
            ends_on__isnull=False,
            ends_on__lte=day,
        )
        .order_by("-ends_on")
        .values("ends_on")[:1]
    )
    qs = (
        OrgCommittee.objects.filter(status=CommitteeStatus.CURRENT, org_id__in=list(ctx.orgs))
        .annotate(
            has_secretary=Exists(serving.filter(post=CommitteePost.SECRETARY)),
            seats_serving=Subquery(
                serving.order_by().values("committee").annotate(n=Count("pk")).values("n")[:1]
            ),
            last_secretary_end=Subquery(last_end),
        )
        .only("id", "org_id", "term_start", "term_end", "postponed_to")
    )
    return {c.org_id: c for c in qs}


def rule_committee(ctx: Context) -> list[Finding]:
    """书记空缺 (more than N months), 班子不健全 (no committee recorded, or fewer serving
    members than the minimum where the full members call for a committee), 逾期未换届."""
    out: list[Finding] = []
    committees = _committees(ctx)
    full = full_members(ctx)
    months = ctx.n("ASSESS_SECRETARY_VACANT_MONTHS")
    min_seats = ctx.n("ASSESS_COMMITTEE_MIN_SEATS")
    min_full = ctx.n("ASSESS_COMMITTEE_MIN_FULL")
    grace = ctx.n("ASSESS_ELECTION_GRACE_DAYS")
    for org in ctx.orgs.values():
        c = committees.get(org.id)
        url = ctx.url("console:members:committee", org.id)
        if c is None:
            out.append(
                Finding(
                    org.id,
                    WeakRule.COMMITTEE_INCOMPLETE,
                    "未登记",
                    "应登记本届委员会",
                    "未登记本届委员会（书记、委员）",
                    {"full_members": full[org.id], "committee": None},
                    url,
                )
            )
            continue
        if not c.has_secretary:
            since = (
                c.last_secretary_end + dt.timedelta(days=1)
                if c.last_secretary_end
                else c.term_start
            )
            limit = add_months(since, months)
            if ctx.as_of > limit:
                days = (ctx.as_of - since).days
                out.append(
                    Finding(
                        org.id,
                        WeakRule.SECRETARY_VACANT,
                        f"{days}天",
                        f"超过{months}个月",
                        f"书记职务自{since.isoformat()}起空缺{days}天",
                        {"since": since.isoformat(), "days": days, "months": months},
                        url,
                    )
                )
        seats = c.seats_serving or 0
        if full[org.id] >= min_full and seats < min_seats:
            out.append(
                Finding(
                    org.id,
                    WeakRule.COMMITTEE_INCOMPLETE,
                    f"{seats}人",
                    f"不少于{min_seats}人",
                    f"正式党员{full[org.id]}名，委员会在任{seats}人（应不少于{min_seats}人）",
                    {"full_members": full[org.id], "seats": seats, "min_seats": min_seats},
                    url,
                )
            )
        due = c.postponed_to or c.term_end
        overdue = (ctx.as_of - due).days
        if overdue > grace:
            out.append(
                Finding(
                    org.id,
                    WeakRule.ELECTION_OVERDUE,
                    f"逾期{overdue}天",
                    f"超过{grace}天",
                    f"任期于{due.isoformat()}届满，逾期{overdue}天未换届",
                    {"due_on": due.isoformat(), "days": overdue},
                    ctx.url("console:members:elections_due", query="status=overdue"),
                )
            )
    return out


# --- meetings ---------------------------------------------------------------------------------


def quarters_ended(ctx: Context, established: dt.date | None) -> list[int]:
    """The quarters of the year that have ended by ``as_of`` and began after the org was
    established."""
    out = []
    for q in range(1, 5):
        start = dt.date(ctx.year, 3 * q - 2, 1)
        end = add_months(start, 3) - dt.timedelta(days=1)
        if end >= ctx.as_of:
            break
        if established and established > start:
            continue
        out.append(q)
    return out


def rule_meetings(ctx: Context) -> list[Finding]:
    """No members' meeting, or no committee meeting (where a committee is required), in a
    quarter that has ended. Sessions that could not validly sit (``quorum_ok`` False) do not
    count; a joint session counts for each participating organization."""
    branches = {
        o.id: o for o in ctx.orgs.values() if o.kind in (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
    }
    if not branches:
        return []
    types = (SessionType.MEMBERS_MEETING, SessionType.COMMITTEE_MEETING)
    held = (
        Session.objects.filter(state=SessionState.HELD, session_type__in=types)
        .filter(day_range("starts_at", ctx.start, ctx.as_of))
        .exclude(quorum_ok=False)
    )
    # ``month``: the session's local month as yyyymm (stored with the session).
    done: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for org_id, kind, month in held.values_list("org_id", "session_type", "month").distinct():
        done[org_id].add((kind, quarter_of(month % 100)))
    for org_id, kind, month in (
        SessionOrg.objects.filter(session__in=held)
        .values_list("org_id", "session__session_type", "session__month")
        .distinct()
    ):
        done[org_id].add((kind, quarter_of(month % 100)))
    full = full_members(Context(ctx.year, ctx.as_of, ctx.values, branches))
    need = ctx.n("ASSESS_MISSED_QUARTERS")
    min_full = ctx.n("ASSESS_COMMITTEE_MIN_FULL")
    out = []
    for org in branches.values():
        quarters = quarters_ended(ctx, org.established_on)
        missing: dict[str, list[int]] = {}
        for kind in types:
            if kind == SessionType.COMMITTEE_MEETING and full[org.id] < min_full:
                continue
            gaps = [q for q in quarters if (kind, q) not in done[org.id]]
            if gaps:
                missing[str(kind)] = gaps
        worst = max((len(v) for v in missing.values()), default=0)
        if worst >= need:
            parts = [
                f"{SessionType(k).label}：第{'、'.join(map(str, qs))}季度未召开"
                for k, qs in missing.items()
            ]
            out.append(
                Finding(
                    org.id,
                    WeakRule.NO_MEETINGS,
                    f"{worst}个季度",
                    f"达到{need}个季度",
                    "；".join(parts),
                    {"missing": missing, "quarters_checked": quarters},
                    ctx.url("console:orglife:branch", org.id, query=f"period={ctx.year}"),
                )
            )
    return out


# --- member development -----------------------------------------------------------------------


def rule_development(ctx: Context) -> list[Finding]:
    """村党组织 with no member admitted (``joined_on``) in the last N years."""
    villages = {
        o.id: o
        for o in ctx.orgs.values()
        if o.domain == OrgDomain.VILLAGE and o.area_level >= VILLAGE_LEVEL
    }
    if not villages:
        return []
    years = ctx.n("ASSESS_NO_DEVELOPMENT_YEARS")
    since = dt.date(ctx.as_of.year - years, ctx.as_of.month, min(ctx.as_of.day, 28))
    latest: dict[str, dt.date] = {}
    for path, day in (
        Member.objects.filter(joined_on__lte=ctx.as_of)
        .values("org_path")
        .annotate(last=Max("joined_on"))
        .values_list("org_path", "last")
    ):
        for p in (*tree.ancestors_of(path), path):
            if p not in latest or latest[p] < day:
                latest[p] = day
    out = []
    for org in villages.values():
        if org.established_on and org.established_on > since:
            continue
        last = latest.get(org.path)
        if last is None or last < since:
            out.append(
                Finding(
                    org.id,
                    WeakRule.NO_DEVELOPMENT,
                    last.isoformat() if last else "从未",
                    f"{years}年内应发展党员",
                    f"最近一次发展党员：{last.isoformat() if last else '无记录'}",
                    {"last_joined_on": last.isoformat() if last else None, "years": years},
                    ctx.url("console:development:list"),
                )
            )
    return out


# --- dues -------------------------------------------------------------------------------------


def rule_dues(ctx: Context) -> list[Finding]:
    """The share of the members who pay dues with N or more unpaid months in a row."""
    months = ctx.n("ASSESS_DUES_ARREARS_MONTHS")
    share = ctx.d("ASSESS_DUES_ARREARS_SHARE")
    members = Member.objects.filter(
        status__in=ACTIVE, left_on__isnull=True, dues_profile__isnull=False
    )
    statuses = inputs.dues_statuses(ctx.as_of)  # every member's: the payers narrow it
    paths = dict(members.values_list("pk", "org_path"))
    payers: dict[str, int] = defaultdict(int)
    behind: dict[str, int] = defaultdict(int)
    for pk, st in statuses.items():
        path = paths.get(pk)
        if path is None or not st.has_profile:
            continue
        payers[path] += 1
        if len(st.streak) >= months:
            behind[path] += 1
    org_paths = [o.path for o in ctx.orgs.values()]
    all_payers = _rollup(payers, org_paths)
    all_behind = _rollup(behind, org_paths)
    out = []
    for org in ctx.orgs.values():
        n, k = all_payers[org.path], all_behind[org.path]
        if n and Decimal(k) / Decimal(n) > share:
            out.append(
                Finding(
                    org.id,
                    WeakRule.DUES_ARREARS,
                    thresholds.percent(Decimal(k) / Decimal(n)),
                    f"超过{thresholds.percent(share)}",
                    f"{n}名缴费党员中{k}名连续{months}个月以上未交党费",
                    {"payers": n, "behind": k, "months": months},
                    ctx.url("console:dues:overview", query=f"org={org.id}"),
                )
            )
    return out


# --- grid events ------------------------------------------------------------------------------


def _topmost_per_area(ctx: Context) -> dict[str, Org]:
    """The organization serving each area (the shallowest one anchored there)."""
    out: dict[str, Org] = {}
    for org in ctx.orgs.values():
        kept = out.get(org.area_path)
        if kept is None or len(org.path) < len(kept.path):
            out[org.area_path] = org
    return out


def rule_events(ctx: Context) -> list[Finding]:
    """满意率 below the threshold (only events rated by their reporter, at least N of them),
    and events concentrated: an area's share of its county's events above the threshold."""
    serving = _topmost_per_area(ctx)
    if not serving:
        return []
    year = day_range("reported_at", ctx.start, ctx.as_of)
    total: dict[str, int] = defaultdict(int)
    rated: dict[str, int] = defaultdict(int)
    satisfied: dict[str, int] = defaultdict(int)
    for path, rating, source, n in (
        Event.objects.filter(year)
        .values("area_path", "rating", "source")
        .annotate(n=Count("pk"))
        .values_list("area_path", "rating", "source", "n")
    ):
        for p in (*tree.ancestors_of(path), path):
            total[p] += n
            if rating and source in RATED_SOURCES:
                rated[p] += n
                if rating in SATISFIED_RATINGS:
                    satisfied[p] += n
    low = ctx.d("ASSESS_SATISFACTION_MIN")
    min_rated = ctx.n("ASSESS_SATISFACTION_MIN_RATED")
    share = ctx.d("ASSESS_EVENTS_SHARE")
    min_events = ctx.n("ASSESS_EVENTS_MIN")
    out = []
    for area_path, org in serving.items():
        r, s = rated.get(area_path, 0), satisfied.get(area_path, 0)
        if r >= min_rated and Decimal(s) / Decimal(r) < low:
            out.append(
                Finding(
                    org.id,
                    WeakRule.LOW_SATISFACTION,
                    thresholds.percent(Decimal(s) / Decimal(r)),
                    f"低于{thresholds.percent(low)}",
                    f"{ctx.year}年已评价事件{r}件，满意（含基本满意）{s}件",
                    {"rated": r, "satisfied": s},
                    ctx.url("console:cases:metrics"),
                )
            )
        if org.area_path == org.county_path:
            continue
        county = total.get(org.county_path, 0)
        mine = total.get(area_path, 0)
        if county >= min_events and Decimal(mine) / Decimal(county) > share:
            out.append(
                Finding(
                    org.id,
                    WeakRule.EVENTS_CONCENTRATED,
                    thresholds.percent(Decimal(mine) / Decimal(county)),
                    f"超过{thresholds.percent(share)}",
                    f"{ctx.year}年辖区事件{mine}件，占全县(区){county}件的"
                    f"{thresholds.percent(Decimal(mine) / Decimal(county))}",
                    {"events": mine, "county_events": county},
                    ctx.url("console:cases:list"),
                )
            )
    return out


RULES = (rule_committee, rule_meetings, rule_development, rule_dues, rule_events)


def findings(*, year: int, today: dt.date, within: str | None = None) -> tuple[Context, list]:
    """Every finding of the year for the assessed organizations (of an area's subtree)."""
    ctx = Context(year, as_of_for(year, today), thresholds.snapshot(), assessed_orgs(within=within))
    out: list[Finding] = []
    if ctx.orgs:
        for rule in RULES:
            out.extend(rule(ctx))
    return ctx, out
