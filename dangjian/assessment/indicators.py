"""The computations a computed indicator names (``Indicator.computation``).

Each is registered under a name with its Chinese label and computes, for every organization
being rated at once (a whole city in a few queries, never one query per organization), a
``Found``: the figure as a sentence, the share of the indicator's points earned (0 to 1) and the
link to the scoped list behind the figure (the reader's own scope applies when they follow it).
The points of a line are ``weight × share`` rounded half up to the fen (``points_of``).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from dangjian.core import tree


@dataclass(frozen=True)
class Target:
    """An organization being rated, as the computations need it."""

    id: int
    path: str
    area_id: int
    area_path: str
    domain: str


@dataclass(frozen=True)
class Found:
    figure: str
    share: float
    source: str = ""


@dataclass(frozen=True)
class Computation:
    code: str
    label: str
    fn: Callable[[list[Target], int, dt.date], dict[int, Found]]


REGISTRY: dict[str, Computation] = {}


def register(code: str, label: str):
    def wrap(fn):
        REGISTRY[code] = Computation(code, label, fn)
        return fn

    return wrap


def choices() -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in REGISTRY.values()]


def points_of(weight: Decimal, share: float) -> Decimal:
    share = min(max(share, 0.0), 1.0)
    return (Decimal(weight) * Decimal(str(round(share, 6)))).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


class RangeSums:
    """Sums of per-path counts over subtrees: sorted keys plus running totals, so each
    subtree is two bisections whatever its size."""

    def __init__(self, rows: dict[str, list[int]], width: int):
        self.keys = sorted(rows)
        self.width = width
        self.totals = [[0] * width]
        for key in self.keys:
            last = self.totals[-1]
            self.totals.append([a + b for a, b in zip(last, rows[key], strict=True)])

    def subtree(self, path: str) -> list[int]:
        lo = bisect.bisect_left(self.keys, path)
        hi = bisect.bisect_left(self.keys, tree.path_end(path))
        return [b - a for a, b in zip(self.totals[lo], self.totals[hi], strict=True)]


def year_end(year: int, today: dt.date) -> dt.date:
    return min(dt.date(year, 12, 31), today)


# --- organizational life: 三会一课 and the theme day --------------------------------------------


@register("orglife_compliance", "组织生活落实（三会一课、主题党日）")
def orglife_compliance(targets, year, today):
    from dangjian.orglife.models import Session, SessionState, SessionType

    required = {
        SessionType.MEMBERS_MEETING: ("quarter", "党员大会"),
        SessionType.COMMITTEE_MEETING: ("month", "支委会"),
        SessionType.PARTY_LESSON: ("quarter", "党课"),
        SessionType.THEME_DAY: ("month", "主题党日"),
    }
    last = year_end(year, today)
    months_due = last.month if last.year == year else 0
    quarters_due = (months_due + 2) // 3 if months_due else 0
    held: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    rows = Session.objects.filter(
        state=SessionState.HELD,
        month__gte=year * 100 + 1,
        month__lte=year * 100 + 12,
        session_type__in=list(required),
    ).exclude(quorum_ok=False)
    if len(targets) < 500:
        rows = rows.filter(org_id__in=[t.id for t in targets])
    rows = rows.values_list("org_id", "session_type", "month").distinct().order_by()
    for org_id, kind, month in rows:
        m = month % 100
        held[org_id][kind].add(m if required[kind][0] == "month" else (m + 2) // 3)
    out = {}
    for t in targets:
        parts, shares = [], []
        for kind, (period, label) in required.items():
            due = months_due if period == "month" else quarters_due
            got = len([p for p in held[t.id][kind] if p <= due]) if due else 0
            unit = "个月" if period == "month" else "个季度"
            parts.append(f"{label}{got}/{due}{unit}")
            shares.append(got / due if due else 1.0)
        out[t.id] = Found(
            "，".join(parts),
            sum(shares) / len(shares),
            f"/orglife/compliance/branch/{t.id}/?period={year}",
        )
    return out


# --- dues: members behind 3 months or more -------------------------------------------------------


@register("dues_arrears", "党费按时足额缴纳")
def dues_arrears(targets, year, today):
    from dangjian.assessment import inputs
    from dangjian.dues.selectors import Level
    from dangjian.members.models import Member, Status

    members = Member.objects.filter(status__in=(Status.PROBATIONARY, Status.FULL))
    paths = dict(members.values_list("pk", "org_path"))
    per_path: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    # The statuses of these same members (``inputs``: read once per recomputation).
    for pk, st in inputs.dues_statuses(year_end(year, today)).items():
        path = paths.get(pk)
        if path is None:
            continue
        row = per_path[path]
        row[0] += 1
        row[1] += 1 if st.level != Level.NONE else 0
    sums = RangeSums(dict(per_path), 2)
    out = {}
    for t in targets:
        total, behind = sums.subtree(t.path)
        share = 1.0 - behind / total if total else 1.0
        out[t.id] = Found(
            f"党员{total}名，连续3个月以上未交{behind}名（{_pct(behind, total)}）",
            share,
            f"/dues/?org={t.id}&level=warning",
        )
    return out


# --- committee: a serving secretary, a complete committee, the term not overdue ----------------


@register("committee", "班子健全、按期换届")
def committee(targets, year, today):
    from dangjian.members.models.committee import CommitteeSeat, OrgCommittee

    last = year_end(year, today)
    current = {
        c.org_id: c
        for c in OrgCommittee.objects.filter(
            status="current", org_id__in=[t.id for t in targets]
        ).only("id", "org_id", "term_end", "postponed_to")
    }
    seats = defaultdict(lambda: [0, 0])  # committee id → (serving seats, serving secretary)
    for committee_id, post in CommitteeSeat.objects.filter(
        committee_id__in=[c.pk for c in current.values()], ends_on__isnull=True
    ).values_list("committee_id", "post"):
        seats[committee_id][0] += 1
        seats[committee_id][1] += 1 if post == "secretary" else 0
    out = {}
    for t in targets:
        c = current.get(t.id)
        if c is None:
            out[t.id] = Found("未录入本届委员会", 0.0, f"/members/committees/{t.id}/")
            continue
        serving, secretary = seats[c.pk]
        on_time = c.due_on >= last
        share = (0.5 if secretary else 0.0) + (0.25 if serving >= 3 or secretary else 0.0)
        share += 0.25 if on_time else 0.0
        figure = "，".join(
            [
                "书记在岗" if secretary else "书记空缺",
                f"在任委员{serving}名",
                f"任期至{c.due_on:%Y-%m-%d}" + ("" if on_time else "（已逾期未换届）"),
            ]
        )
        out[t.id] = Found(figure, share, f"/members/committees/{t.id}/")
    return out


# --- grid events: the three rates in the organization's area ------------------------------------


@register("events_rates", "网格事件办结率、按期办结率、满意率")
def events_rates(targets, year, today):
    from dangjian.cases.models import RATED_SOURCES, SATISFIED_RATINGS, Event

    zone = timezone.get_default_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    end = dt.datetime(year + 1, 1, 1, tzinfo=zone)
    rows = (
        Event.objects.filter(reported_at__gte=start, reported_at__lt=end)
        .values("area_path")
        .annotate(
            n=Count("pk"),
            closed=Count("pk", filter=Q(closed_at__isnull=False)),
            on_time=Count("pk", filter=Q(closed_at__isnull=False, on_time=True)),
            rated=Count("pk", filter=Q(source__in=RATED_SOURCES) & ~Q(rating="")),
            satisfied=Count("pk", filter=Q(source__in=RATED_SOURCES, rating__in=SATISFIED_RATINGS)),
        )
        .order_by()
    )
    per = {
        r["area_path"]: [r["n"], r["closed"], r["on_time"], r["rated"], r["satisfied"]]
        for r in rows
    }
    sums = RangeSums(per, 5)
    out = {}
    for t in targets:
        n, closed, on_time, rated, satisfied = sums.subtree(t.area_path)
        if not n:
            out[t.id] = Found("本年度辖区无网格事件", 1.0, f"/cases/?area={t.area_id}")
            continue
        shares = [closed / n, on_time / closed if closed else 0.0]
        shares.append(satisfied / rated if rated else 1.0)
        out[t.id] = Found(
            f"事件{n}件，办结率{_pct(closed, n)}，按期办结率{_pct(on_time, closed)}，"
            f"满意率{_pct(satisfied, rated)}",
            sum(shares) / 3,
            f"/cases/?area={t.area_id}",
        )
    return out


# --- member development: a target set this year or last ------------------------------------


@register("development_target", "发展党员计划（近两年有发展目标）")
def development_target(targets, year, today):
    from dangjian.development.models import DevelopmentTarget

    planned = set(
        DevelopmentTarget.objects.filter(
            year__in=(year - 1, year), org_id__isnull=False, new_members__gt=0
        ).values_list("org_id", flat=True)
    )
    out = {}
    for t in targets:
        ok = t.id in planned
        out[t.id] = Found(
            f"{year - 1}—{year}年" + ("已下达发展党员目标" if ok else "无发展党员目标"),
            1.0 if ok else 0.0,
            "/development/board/",
        )
    return out


# --- the secretary project and its 督评考 results ---------------------------------------------


@register("secretary_project", "书记项目（督评考结果）")
def secretary_project(targets, year, today):
    from dangjian.assessment.models import Review, SecretaryProject

    projects = {
        p.org_id: p
        for p in SecretaryProject.objects.filter(year=year).only(
            "id", "org_id", "title", "evaluation_score"
        )
    }
    results: dict[int, list[Decimal]] = defaultdict(list)
    for project_id, score in Review.objects.filter(
        project__year=year, result_score__isnull=False
    ).values_list("project_id", "result_score"):
        results[project_id].append(score)
    out = {}
    for t in targets:
        p = projects.get(t.id)
        if p is None:
            out[t.id] = Found("本年度未立书记项目", 0.0, "/assessment/projects/")
            continue
        scores = list(results[p.pk])
        if p.evaluation_score is not None:
            scores.append(p.evaluation_score)
        avg = sum(scores) / len(scores) if scores else Decimal(0)
        out[t.id] = Found(
            f"“{p.title}”：督评考已出结果{len(scores)}项，平均{avg:.1f}分",
            float(avg) / 100,
            f"/assessment/projects/{p.pk}/",
        )
    return out


# --- points (党员先锋指数) and the time bank: per member of the organization's subtree --------


def _members_per_path() -> dict[str, int]:
    from dangjian.members.models import Member, Status

    return dict(
        Member.objects.filter(status__in=(Status.PROBATIONARY, Status.FULL))
        .values("org_path")
        .annotate(n=Count("pk"))
        .values_list("org_path", "n")
        .order_by()
    )


def _per_member(targets, rows, field: str, *, full_key: str, figure: tuple, url: str) -> dict:
    """Each target's total of ``field`` over ``rows`` (the year's rows, each with its
    ``org_path``; summed over the target's subtree) per member of its subtree; the share is that
    average against the threshold ``full_key`` (capped at 1). ``figure`` is (year, what, unit)
    of the sentence, ``url`` the list behind it."""
    from django.db.models import Sum

    from dangjian.assessment import thresholds

    full = thresholds.value(full_key)
    totals = (
        rows.exclude(org_path="")
        .values("org_path")
        .annotate(total=Sum(field))
        .values_list("org_path", "total")
        .order_by()
    )
    amounts = {path: Decimal(str(total or 0)) for path, total in totals}
    members = _members_per_path()
    keys = set(members) | set(amounts)
    # Hundredths as integers, so the subtree sums are exact.
    cells = {k: [members.get(k, 0), int(amounts.get(k, 0) * 100)] for k in keys}
    sums = RangeSums(cells, 2)
    year, what, unit = figure
    out = {}
    for t in targets:
        n, cents = sums.subtree(t.path)
        total = Decimal(cents) / 100
        avg = (total / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if n else Decimal(0)
        share = float(avg / full) if n and full > 0 else 0.0
        said = (
            f"党员{n}名，{year}年{what}{total:.2f}{unit}，人均{avg:.2f}{unit}（满分线{full:g}{unit}）"
            if n
            else "无党员"
        )
        out[t.id] = Found(said, min(share, 1.0), url)
    return out


@register("member_points", "党员先锋指数（党员年均积分）")
def member_points(targets, year, today):
    from dangjian.points.models import Audience, Award, AwardState

    rows = Award.objects.filter(
        state=AwardState.POSTED,
        scheme__audience=Audience.MEMBERS,
        occurred_on__gte=dt.date(year, 1, 1),
        occurred_on__lte=year_end(year, today),
    )
    return _per_member(
        targets,
        rows,
        "points",
        full_key="RATE_POINTS_FULL",
        figure=(year, "记分", "分"),
        url="/points/",
    )


@register("volunteer_hours", "志愿服务（党员人均服务时长）")
def volunteer_hours(targets, year, today):
    from dangjian.timebank.models import Participation, ParticipationState

    zone = timezone.get_default_timezone()
    last = year_end(year, today)
    rows = Participation.objects.filter(
        state=ParticipationState.CONFIRMED,
        member__isnull=False,
        confirmed_at__gte=dt.datetime(year, 1, 1, tzinfo=zone),
        confirmed_at__lt=dt.datetime.combine(last + dt.timedelta(1), dt.time.min, zone),
    )
    return _per_member(
        targets,
        rows,
        "hours",
        full_key="RATE_SERVICE_HOURS_FULL",
        figure=(year, "志愿服务", "小时"),
        url="/timebank/hours/?by=org&view=org",
    )
