"""The figures of the modules that landed after the first roll-ups: volunteer hours (the time
bank's ledger), points awarded and redeemed, star ratings by stars, weak and lax
organizations (flagged, confirmed) and the two-colour member warnings. Like the built-in ones
(``figures``): a few grouped statements per month over the raw rows, grouped by the rows'
area path cut at the deepest stored level.

Where a row has no area path of its own (a member's warning, a points subject known only by
their organization) it is counted at the area its organization is anchored to
(``PartyOrg.area_path``), as members and dues are.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum

from dangjian.assessment.models import (
    Flag,
    MemberWarning,
    RankingEntry,
    RankingState,
    Rating,
    WarningColour,
)
from dangjian.core.models import LedgerEntry
from dangjian.dashboard.rollups.figures import grouped, url
from dangjian.dashboard.rollups.registry import (
    FLOW,
    SNAPSHOT,
    Figure,
    MonthCtx,
    Ratio,
    register,
    section,
)
from dangjian.organizations.models import PartyOrg
from dangjian.points.models import Award, AwardState, Redemption

section("timebank", "志愿服务")
section("points", "积分管理")
section("rating", "评星定级")
section("weak", "软弱涣散")
section("warnings", "党员预警")

COMMUNITY_ACCOUNT = "timebank:community:"


def _add(out: dict[str, dict], rows: dict[str, dict]) -> None:
    for path, row in rows.items():
        cell = out.setdefault(path, {})
        for code, value in row.items():
            cell[code] = cell.get(code, 0) + (value or 0)


def _month_days(ctx: MonthCtx) -> dict:
    return {"gte": ctx.start, "lt": ctx.end}


# --- volunteer hours (the time bank's ledger) --------------------------------------------------


def timebank_source(ctx: MonthCtx) -> dict[str, dict]:
    """Hours credited to volunteers in the month, read from the ledger: what the communities'
    issuing accounts (``timebank:community:<id>``, at the community's path) posted, by the
    transaction's date. A correction reverses the credit and posts the new hours, so a month
    holds the net of what moved in it; services counts the credits net of their reversals."""
    entries = LedgerEntry.objects.filter(
        account__ledger="timebank",
        account__code__startswith=COMMUNITY_ACCOUNT,
        transaction__occurred_on__gte=ctx.start,
        transaction__occurred_on__lt=ctx.end,
    )
    out = grouped(
        entries,
        ctx,
        "account__area_path",
        volunteer_hours_out=Sum("amount"),
        volunteer_credits=Count("id", filter=Q(amount__lt=0)),
        volunteer_reversals=Count("id", filter=Q(amount__gt=0)),
    )
    for row in out.values():
        row["volunteer_hours"] = 0 - (row.pop("volunteer_hours_out") or 0)
        row["volunteer_services"] = row.pop("volunteer_credits") - row.pop("volunteer_reversals")
    return out


def _hours(pk, ctx):
    return url(
        "timebank/hours/",
        by="community",
        area=pk,
        since=ctx.start.isoformat(),
        until=(ctx.end - dt.timedelta(days=1)).isoformat(),
    )


register(
    "timebank",
    timebank_source,
    [
        Figure(
            "volunteer_hours",
            "志愿服务时长",
            "timebank",
            FLOW,
            places=2,
            unit="小时",
            list_url=_hours,
        ),
        Figure("volunteer_services", "志愿服务人次", "timebank", FLOW, list_url=_hours),
    ],
)


# --- points ------------------------------------------------------------------------------------


def _org_areas(ctx: MonthCtx) -> dict[str, str]:
    """Organization path -> the path of the area it is anchored to (one read per run)."""
    key = "org_area_paths"
    if key not in ctx.cache:
        ctx.cache[key] = dict(PartyOrg.objects.values_list("path", "area_path"))
    return ctx.cache[key]


def _by_subject(qs, ctx: MonthCtx, **aggregates) -> dict[str, dict]:
    """Rows grouped by their own area path, and those without one by their organization's
    anchor (the organization's path grouped in the database, mapped to its area here)."""
    out = grouped(qs.exclude(area_path=""), ctx, "area_path", **aggregates)
    areas = _org_areas(ctx)
    by_org = (
        qs.filter(area_path="")
        .exclude(org_path="")
        .values("org_path")
        .annotate(**aggregates)
        .order_by()
    )
    for row in by_org:
        path = (areas.get(row.pop("org_path")) or "")[: ctx.leaf]
        if path:
            _add(out, {path: row})
    return out


def points_source(ctx: MonthCtx) -> dict[str, dict]:
    """Points posted in the month (awards recorded, by the date they happened; an award
    reversed since is not counted) and points redeemed in it (by the redemption's time)."""
    out = _by_subject(
        Award.objects.filter(state=AwardState.POSTED, occurred_on__gte=ctx.start).filter(
            occurred_on__lt=ctx.end
        ),
        ctx,
        points_awarded=Sum("points"),
        points_awards=Count("id"),
    )
    _add(
        out,
        _by_subject(
            Redemption.objects.filter(created_at__gte=ctx.start_at, created_at__lt=ctx.end_at),
            ctx,
            points_redeemed=Sum("points"),
            points_redemptions=Count("id"),
        ),
    )
    return out


register(
    "points",
    points_source,
    [
        Figure(
            "points_awarded",
            "当月记分",
            "points",
            FLOW,
            places=2,
            unit="分",
            list_url=lambda pk, ctx: url(
                "points/awards/", area=pk, period=f"{ctx.start:%Y-%m}", state=AwardState.POSTED
            ),
        ),
        Figure("points_awards", "当月记分笔数", "points", FLOW),
        Figure(
            "points_redeemed",
            "当月兑换积分",
            "points",
            FLOW,
            places=2,
            unit="分",
            list_url=lambda pk, ctx: url(
                "points/redemptions/", area=pk, period=f"{ctx.start:%Y-%m}"
            ),
        ),
        Figure("points_redemptions", "当月兑换笔数", "points", FLOW),
    ],
)


# --- star ratings ------------------------------------------------------------------------------

STARS = (5, 4, 3, 2, 1)


def rating_source(ctx: MonthCtx) -> dict[str, dict]:
    """The organizations rated for the month's year, by their stars (as last computed)."""
    return grouped(
        Rating.objects.filter(year=ctx.start.year),
        ctx,
        "area_path",
        rated=Count("id"),
        **{f"stars_{n}": Count("id", filter=Q(stars=n)) for n in STARS},
    )


def _ratings(pk, ctx, **kw):
    return url("assessment/ratings/", area=pk, year=ctx.start.year, **kw)


register(
    "rating",
    rating_source,
    [
        Figure("rated", "参评党组织", "rating", list_url=_ratings),
        *(
            Figure(
                f"stars_{n}",
                f"{'五四三二一'[5 - n]}星级党组织",
                "rating",
                list_url=lambda pk, ctx, n=n: _ratings(pk, ctx, stars=n),
            )
            for n in STARS
        ),
    ],
    [Ratio("five_star_share", "五星级占比", "rating", "stars_5", "rated")],
)


# --- weak and lax organizations ----------------------------------------------------------------


def weak_source(ctx: MonthCtx) -> dict[str, dict]:
    """Organizations with at least one situation found for the month's year, and those on a
    county's confirmed bottom list of that year."""
    out = grouped(
        Flag.objects.filter(year=ctx.start.year),
        ctx,
        "area_path",
        weak_flagged=Count("org_id", distinct=True),
    )
    _add(
        out,
        grouped(
            RankingEntry.objects.filter(
                ranking__year=ctx.start.year, ranking__state=RankingState.CONFIRMED
            ),
            ctx,
            "area_path",
            weak_confirmed=Count("org_id", distinct=True),
        ),
    )
    return out


register(
    "weak",
    weak_source,
    [
        Figure(
            "weak_flagged",
            "存在软弱涣散情形的党组织",
            "weak",
            list_url=lambda pk, ctx: url("assessment/flags/", area=pk, year=ctx.start.year),
        ),
        Figure(
            "weak_confirmed",
            "确定为软弱涣散的党组织",
            "weak",
            # each organization on a confirmed bottom list has its one rectification of the
            # year: the list of those, under the node
            list_url=lambda pk, ctx: url(
                "assessment/rectifications/", area=pk, year=ctx.start.year
            ),
        ),
    ],
)


# --- member warnings ---------------------------------------------------------------------------


def warnings_source(ctx: MonthCtx) -> dict[str, dict]:
    """Active warnings by colour as they stand today (a warning keeps no colour history: only
    the current month is computed, a past month keeps its last value)."""
    if not ctx.current:
        return {}
    return grouped(
        MemberWarning.objects.filter(active=True),
        ctx,
        "org__area_path",
        warnings_yellow=Count("id", filter=Q(colour=WarningColour.YELLOW)),
        warnings_red=Count("id", filter=Q(colour=WarningColour.RED)),
    )


register(
    "warnings",
    warnings_source,
    [
        Figure(
            "warnings_yellow",
            "黄色预警",
            "warnings",
            SNAPSHOT,
            list_url=lambda pk, ctx: url(
                "assessment/warnings/", area=pk, colour=WarningColour.YELLOW
            ),
        ),
        Figure(
            "warnings_red",
            "红色预警",
            "warnings",
            SNAPSHOT,
            list_url=lambda pk, ctx: url("assessment/warnings/", area=pk, colour=WarningColour.RED),
        ),
    ],
)
