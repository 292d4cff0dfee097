"""The built-in figures: one source per module, each a few grouped statements over the raw
rows (never one per node), grouped by the rows' area path cut at the deepest stored level.

Where a row has no area path of its own (members, organizations, dues) it is counted at the
area its organization is anchored to (``PartyOrg.area_path``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr

from dangjian.cases.models import OPEN_STATES, Event, VisitRecord
from dangjian.cases.selectors import COUNT_KEYS, _counts
from dangjian.core.months import quarter_of
from dangjian.dashboard.rollups.registry import (
    EXACT,
    FLOW,
    SNAPSHOT,
    Figure,
    MonthCtx,
    Ratio,
    register,
    section,
)
from dangjian.development.models import Applicant, DevelopmentTarget
from dangjian.dues.models import DuesPaymentMonth
from dangjian.dues.selectors import ACTIVE, Level, statuses
from dangjian.members.models import CheckinService, CommunityCheckin, Member
from dangjian.members.models.registry import Category, MemberCategory, Status
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.orglife import compliance
from dangjian.territory.models import Area, AreaKind

BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
COMMITTEE_KINDS = (OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE)

section("orgs", "组织覆盖")
section("members", "党员队伍")
section("development", "发展党员")
section("orglife", "组织生活")
section("dues", "党费")
section("events", "网格事件")
section("visits", "入户走访")
section("checkins", "双报到")


def url(path: str, **params) -> str:
    return f"/api/v1/{path}?" + urlencode({k: v for k, v in params.items() if v is not None})


def leaf(ctx: MonthCtx, field: str):
    return Substr(field, 1, ctx.leaf)


def grouped(qs, ctx: MonthCtx, field: str, **aggregates) -> dict[str, dict]:
    rows = qs.annotate(leaf=leaf(ctx, field)).values("leaf").annotate(**aggregates).order_by()
    return {r.pop("leaf"): r for r in rows}


def open_at(ctx: MonthCtx, start: str, end: str) -> Q:
    """Established (or undated) by ``as_of`` and not ended by it."""
    return (Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lte": ctx.as_of})) & (
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": ctx.as_of})
    )


# --- organizations and coverage --------------------------------------------------------------


def orgs_source(ctx: MonthCtx) -> dict[str, dict]:
    live = PartyOrg.objects.filter(open_at(ctx, "established_on", "dissolved_on"))
    out = grouped(
        live,
        ctx,
        "area_path",
        orgs=Count("id"),
        committees=Count("id", filter=Q(kind__in=COMMITTEE_KINDS)),
        branches=Count("id", filter=Q(kind__in=BRANCH_KINDS)),
        groups=Count("id", filter=Q(kind=OrgKind.GROUP)),
    )

    def covered(kind: str, org_kinds) -> dict[str, dict]:
        areas = Area.objects.filter(kind=kind).filter(
            Q(closed_on__isnull=True) | Q(closed_on__gt=ctx.as_of)
        )
        has = Exists(live.filter(area_id=OuterRef("pk"), kind__in=org_kinds))
        return grouped(
            areas.annotate(has=has),
            ctx,
            "path",
            total=Count("id"),
            with_org=Count("id", filter=Q(has=True)),
        )

    for kind, org_kinds, total, with_org in (
        (AreaKind.GRID, BRANCH_KINDS, "grids", "grids_with_branch"),
        (AreaKind.UNIT, (OrgKind.GROUP,), "units", "units_with_group"),
    ):
        for path, row in covered(kind, org_kinds).items():
            into = out.setdefault(path, {})
            into[total] = row["total"]
            into[with_org] = row["with_org"]
    return out


register(
    "orgs",
    orgs_source,
    [
        Figure("orgs", "党组织", "orgs"),
        Figure("committees", "党委(党工委)", "orgs"),
        Figure("branches", "党支部(总支)", "orgs"),
        Figure("groups", "党小组", "orgs"),
        Figure("grids", "网格", "orgs"),
        Figure("grids_with_branch", "建有支部的网格", "orgs"),
        Figure("units", "网格单元", "orgs"),
        Figure("units_with_group", "建有党小组的单元", "orgs"),
    ],
    [
        Ratio("grid_coverage", "网格支部覆盖率", "orgs", "grids_with_branch", "grids"),
        Ratio("unit_coverage", "单元党小组覆盖率", "orgs", "units_with_group", "units"),
    ],
)


# --- members -----------------------------------------------------------------------------------


def _members_live(ctx: MonthCtx, prefix: str = ""):
    return Q(
        **{
            f"{prefix}status__in": (Status.PROBATIONARY, Status.FULL),
            f"{prefix}joined_on__lte": ctx.as_of,
        }
    ) & (Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": ctx.as_of}))


def members_source(ctx: MonthCtx) -> dict[str, dict]:
    """Members counted with their present status (the registry keeps no history of it)."""
    out = grouped(
        Member.objects.filter(_members_live(ctx)),
        ctx,
        "org__area_path",
        members=Count("id"),
        members_full=Count("id", filter=Q(status=Status.FULL)),
        members_probationary=Count("id", filter=Q(status=Status.PROBATIONARY)),
    )
    rows = (
        MemberCategory.objects.filter(_members_live(ctx, "member__"))
        .annotate(leaf=leaf(ctx, "member__org__area_path"))
        .values_list("leaf", "code")
        .annotate(n=Count("id"))
        .order_by()
    )
    for path, code, n in rows:
        out.setdefault(path, {})[f"category_{code}"] = n
    return out


def _members(pk, ctx, **kw):
    return url("members/", org_area=pk, **kw)


register(
    "members",
    members_source,
    [
        Figure("members", "党员", "members", list_url=lambda pk, ctx: _members(pk, ctx)),
        Figure(
            "members_full",
            "正式党员",
            "members",
            list_url=lambda pk, ctx: _members(pk, ctx, status=Status.FULL),
        ),
        Figure(
            "members_probationary",
            "预备党员",
            "members",
            list_url=lambda pk, ctx: _members(pk, ctx, status=Status.PROBATIONARY),
        ),
        *(
            Figure(
                f"category_{code}",
                str(lab),
                "members",
                list_url=lambda pk, ctx, code=code: _members(pk, ctx, category=code),
            )
            for code, lab in Category.choices
        ),
    ],
)


# --- development -------------------------------------------------------------------------------


def development_source(ctx: MonthCtx) -> dict[str, dict]:
    """The year's steps so far (to the end of the month) against the year's targets; the
    targets are each node's own (not added up)."""
    span = {"gte": ctx.year_start, "lte": ctx.as_of}

    def within(field: str) -> Q:
        return Q(**{f"{field}__{k}": v for k, v in span.items()})

    out = grouped(
        Applicant.objects.filter(
            within("applied_on")
            | within("activist_on")
            | within("candidate_on")
            | within("admitted_on")
        ),
        ctx,
        "area_path",
        dev_applied=Count("id", filter=within("applied_on")),
        dev_activists=Count("id", filter=within("activist_on")),
        dev_candidates=Count("id", filter=within("candidate_on")),
        dev_admitted=Count("id", filter=within("admitted_on")),
    )
    exact: dict[str, dict] = {}
    for path, activists, candidates, new_members in DevelopmentTarget.objects.filter(
        year=ctx.start.year, area__isnull=False
    ).values_list("area_path", "activists", "candidates", "new_members"):
        exact[path] = {
            "dev_target_activists": activists,
            "dev_target_candidates": candidates,
            "dev_target_new_members": new_members,
        }
    out[EXACT] = exact
    return out


def _applicants(pk, ctx, **kw):
    return url("development/applicants/", area=pk, **kw)


register(
    "development",
    development_source,
    [
        Figure(
            "dev_applied",
            "本年递交申请",
            "development",
            FLOW,
            list_url=lambda pk, ctx: _applicants(pk, ctx, stage=1),
        ),
        Figure(
            "dev_activists",
            "本年确定积极分子",
            "development",
            FLOW,
            list_url=lambda pk, ctx: _applicants(pk, ctx, stage=2),
        ),
        Figure(
            "dev_candidates",
            "本年确定发展对象",
            "development",
            FLOW,
            list_url=lambda pk, ctx: _applicants(pk, ctx, stage=3),
        ),
        Figure(
            "dev_admitted",
            "本年发展党员",
            "development",
            FLOW,
            list_url=lambda pk, ctx: _applicants(pk, ctx, stage=4),
        ),
        Figure("dev_target_activists", "积极分子目标", "development", additive=False),
        Figure("dev_target_candidates", "发展对象目标", "development", additive=False),
        Figure("dev_target_new_members", "发展党员目标", "development", additive=False),
    ],
    [
        Ratio(
            "dev_progress",
            "发展党员完成率",
            "development",
            "dev_admitted",
            "dev_target_new_members",
        )
    ],
)


# --- organizational life ---------------------------------------------------------------------


def orglife_source(ctx: MonthCtx) -> dict[str, dict]:
    """Each branch's colour for the quarter of the month as at its end (today in the current
    month), evaluated by the orglife compliance engine; the quarter's grouped queries are
    fetched once for its three months."""
    quarter = compliance.Span("quarter", ctx.start.year, quarter_of(ctx.start.month))
    key = ("orglife", quarter.code)
    if key not in ctx.cache:
        roots = list(PartyOrg.objects.filter(parent__isnull=True).values_list("path", flat=True))
        ctx.cache[key] = [compliance.fetch(p, quarter) for p in roots]
        ctx.cache[(*key, "areas")] = dict(
            PartyOrg.objects.filter(kind__in=BRANCH_KINDS).values_list("id", "area_path")
        )
    areas = ctx.cache[(*key, "areas")]
    out: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    branches = ctx.cache.setdefault(("orglife_rows", ctx.month), [])
    for facts in ctx.cache[key]:
        for row in compliance.assemble(facts, quarter, ctx.as_of):
            branches.append(row)
            path = areas.get(row["org_id"], "")[: ctx.leaf]
            cell = out[path]
            cell["branches_evaluated"] += 1
            cell[f"branches_{row['colour']}"] += 1
            cell["orglife_missed"] += row["missed"]
    return out


def _board(pk, ctx, **kw):
    return url("dashboard/compliance/", node=pk, period=f"{ctx.start:%Y-%m}", **kw)


register(
    "orglife",
    orglife_source,
    [
        Figure("branches_evaluated", "参评支部", "orglife", list_url=_board),
        Figure(
            "branches_green",
            "绿色支部",
            "orglife",
            list_url=lambda pk, ctx: _board(pk, ctx, colour="green"),
        ),
        Figure(
            "branches_amber",
            "黄色支部",
            "orglife",
            list_url=lambda pk, ctx: _board(pk, ctx, colour="amber"),
        ),
        Figure(
            "branches_red",
            "红色支部",
            "orglife",
            list_url=lambda pk, ctx: _board(pk, ctx, colour="red"),
        ),
        Figure("orglife_missed", "未完成组织生活项", "orglife"),
    ],
    [
        Ratio(
            "orglife_compliance",
            "组织生活达标率",
            "orglife",
            "branches_green",
            "branches_evaluated",
        )
    ],
)


# --- dues --------------------------------------------------------------------------------------


def dues_source(ctx: MonthCtx) -> dict[str, dict]:
    """The dues paid in the month (months not reversed, by the payment's date); members in
    arrears (3 or more unpaid months in a row, 6 or more) as the dues engine sees them today:
    only the current month's value is computed, a past month keeps its last one."""
    out = grouped(
        DuesPaymentMonth.objects.filter(
            reversed=False, payment__paid_on__gte=ctx.start, payment__paid_on__lt=ctx.end
        ),
        ctx,
        "payment__org__area_path",
        dues_collected=Sum("amount"),
        dues_payers=Count("member_id", distinct=True),
    )
    if ctx.current:
        active = Member.objects.filter(
            status__in=ACTIVE, left_on__isnull=True, dues_profile__isnull=False
        )
        where = dict(active.values_list("pk", "org__area_path"))
        behind = ctx.cache.setdefault("arrears_rows", {})
        for pk, st in statuses(active, ctx.today).items():
            if len(st.streak) < 3:
                continue
            behind[pk] = st
            cell = out.setdefault(where[pk][: ctx.leaf], {})
            cell["arrears_members"] = cell.get("arrears_members", 0) + 1
            if st.level == Level.LEAVE:
                cell["arrears_leave"] = cell.get("arrears_leave", 0) + 1
    return out


register(
    "dues",
    dues_source,
    [
        Figure(
            "dues_collected",
            "当月收缴党费",
            "dues",
            FLOW,
            places=2,
            unit="元",
            list_url=lambda pk, ctx: url("dues/payments/"),
        ),
        Figure("dues_payers", "当月缴费党员", "dues", FLOW),
        Figure(
            "arrears_members",
            "连续欠缴3个月以上",
            "dues",
            SNAPSHOT,
            list_url=lambda pk, ctx: url("dashboard/arrears/", node=pk),
        ),
        Figure(
            "arrears_leave",
            "连续欠缴6个月以上",
            "dues",
            SNAPSHOT,
            list_url=lambda pk, ctx: url("dashboard/arrears/", node=pk, level="leave"),
        ),
    ],
)


# --- the closed loop ---------------------------------------------------------------------------


def events_source(ctx: MonthCtx) -> dict[str, dict]:
    """The cohort opened (立案) in the month with the closed loop's own counts
    (``cases.selectors``), the reports collected in it, and (today only) the events open
    (立案 and not yet closed) and those of them past their deadline."""
    month = Q(opened_at__gte=ctx.start_at, opened_at__lt=ctx.end_at)
    counts = {
        f"events_{k}": v
        for k, v in _counts(Q(opened_at__isnull=False)).items()
        if not k.startswith("handling_")
    }
    out = grouped(Event.objects.filter(month), ctx, "area_path", **counts)
    for path, row in grouped(
        Event.objects.filter(reported_at__gte=ctx.start_at, reported_at__lt=ctx.end_at),
        ctx,
        "area_path",
        events_reported=Count("id"),
    ).items():
        out.setdefault(path, {}).update(row)
    if ctx.current:
        for path, row in grouped(
            Event.objects.filter(state__in=OPEN_STATES),
            ctx,
            "area_path",
            events_open=Count("id", filter=Q(opened_at__isnull=False)),
            events_overdue_open=Count("id", filter=Q(overdue_at__isnull=False)),
        ).items():
            out.setdefault(path, {}).update(row)
    return out


EVENT_LABELS = {
    "opened": "立案",
    "dispatched": "派遣",
    "responded": "签收",
    "closed": "办结",
    "closed_on_time": "按期办结",
    "solved": "解决",
    "evaluated": "评价",
    "satisfied": "满意",
    "overdue": "超期",
}


def _events(pk, ctx, stage: str):
    """The events behind a figure: the month's cohort at the stage (``cases.selectors``'s
    ``STAGES``, the same definitions as the counts), or those open (past the deadline) now."""
    period = None if stage in ("open", "overdue_open") else f"{ctx.start:%Y-%m}"
    return url("cases/", area=pk, period=period, stage=stage)


register(
    "events",
    events_source,
    [
        Figure(
            "events_reported",
            "上报事件",
            "events",
            FLOW,
            list_url=lambda pk, ctx: _events(pk, ctx, "reported"),
        ),
        *(
            Figure(
                f"events_{k}",
                f"{EVENT_LABELS[k]}事件",
                "events",
                FLOW,
                list_url=lambda pk, ctx, k=k: _events(pk, ctx, k),
            )
            for k in COUNT_KEYS
            if not k.startswith("handling_")
        ),
        Figure(
            "events_open",
            "未办结事件",
            "events",
            SNAPSHOT,
            list_url=lambda pk, ctx: _events(pk, ctx, "open"),
        ),
        Figure(
            "events_overdue_open",
            "超期未办结",
            "events",
            SNAPSHOT,
            list_url=lambda pk, ctx: _events(pk, ctx, "overdue_open"),
        ),
    ],
    [
        Ratio("closure_rate", "办结率", "events", "events_closed", "events_opened"),
        Ratio("on_time_rate", "按期办结率", "events", "events_closed_on_time", "events_closed"),
        Ratio("response_rate", "响应率", "events", "events_responded", "events_dispatched"),
        Ratio("resolution_rate", "解决率", "events", "events_solved", "events_closed"),
        Ratio("satisfaction_rate", "满意率", "events", "events_satisfied", "events_evaluated"),
    ],
)


# --- household visits --------------------------------------------------------------------------


def visits_source(ctx: MonthCtx) -> dict[str, dict]:
    """Visits of the month and the distinct households they reached, against the households
    of the villages and communities (the visits' coverage denominator)."""
    out = grouped(
        VisitRecord.objects.filter(visited_on__gte=ctx.start, visited_on__lt=ctx.end),
        ctx,
        "area_path",
        visits=Count("id"),
        households_visited=Count("household_key", distinct=True),
    )
    for path, row in grouped(
        Area.objects.filter(kind__in=(AreaKind.VILLAGE, AreaKind.COMMUNITY)).filter(
            Q(closed_on__isnull=True) | Q(closed_on__gt=ctx.as_of)
        ),
        ctx,
        "path",
        households=Sum("households"),
    ).items():
        out.setdefault(path, {}).update(row)
    return out


register(
    "visits",
    visits_source,
    [
        Figure(
            "visits",
            "走访次数",
            "visits",
            FLOW,
            list_url=lambda pk, ctx: url(
                "cases/visits/records/",
                area=pk,
                date_from=ctx.start.isoformat(),
                date_to=(ctx.end - dt.timedelta(days=1)).isoformat(),
            ),
        ),
        Figure("households_visited", "走访户数", "visits", FLOW),
        Figure("households", "户数", "visits"),
    ],
    [Ratio("visit_coverage", "走访覆盖率", "visits", "households_visited", "households")],
)


# --- community check-in ------------------------------------------------------------------------


def checkins_source(ctx: MonthCtx) -> dict[str, dict]:
    out = grouped(
        CommunityCheckin.objects.filter(reported_on__lte=ctx.as_of),
        ctx,
        "area_path",
        checkins=Count("id"),
        checkins_new=Count("id", filter=Q(reported_on__gte=ctx.start)),
    )
    for path, row in grouped(
        CheckinService.objects.filter(served_on__gte=ctx.start, served_on__lt=ctx.end),
        ctx,
        "checkin__area_path",
        checkin_services=Count("id"),
        checkin_hours=Sum("hours"),
    ).items():
        out.setdefault(path, {}).update(row)
    return out


def _checkins(pk, ctx, **kw):
    return url("members/checkins/", community=pk, **kw)


register(
    "checkins",
    checkins_source,
    [
        Figure("checkins", "报到党员(组织)", "checkins", list_url=_checkins),
        Figure("checkins_new", "当月新报到", "checkins", FLOW, list_url=_checkins),
        Figure("checkin_services", "服务次数", "checkins", FLOW),
        Figure("checkin_hours", "服务时长", "checkins", FLOW, places=1, unit="小时"),
    ],
)
