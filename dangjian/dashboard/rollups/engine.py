"""Compute the roll-ups of a month from raw data, store them, and compare them with what is
stored (``manage.py dashboard_recompute [--check]``, the background task, the tests).

Each source runs once per month for the whole tree; its rows (per area path cut at the deepest
stored level) are added to every ancestor in Python, so a month costs a fixed number of
grouped statements whatever the number of nodes. Rows are stored for every area above the
unit level (city, county, township or street, village or community, grid).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Length
from django.utils import timezone

from dangjian.core import tree
from dangjian.core.months import add_months_key, key_start, month_key
from dangjian.dashboard.models import Rollup
from dangjian.dashboard.rollups import details, stale
from dangjian.dashboard.rollups import figures as _builtin  # noqa: F401  (registers)
from dangjian.dashboard.rollups import figures_more as _more  # noqa: F401  (registers)
from dangjian.dashboard.rollups.registry import EXACT, FIGURES, SNAPSHOT, SOURCES, MonthCtx
from dangjian.territory.models import Area, AreaKind

STORED_KINDS = [k for k in AreaKind.values if k != AreaKind.UNIT]


def window(months: int, today: dt.date | None = None) -> list[int]:
    """The last ``months`` months to the current one, oldest first."""
    now = month_key(today or timezone.localdate())
    return [add_months_key(now, -i) for i in range(months - 1, -1, -1)]


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def leaf_length() -> int:
    found = Area.objects.filter(kind__in=STORED_KINDS).aggregate(n=Max(Length("path")))["n"]
    return found or tree.STEP_WIDTH


def context(month: int, *, today: dt.date | None = None, cache=None, leaf=None) -> MonthCtx:
    today = today or timezone.localdate()
    start = key_start(month)
    end = key_start(add_months_key(month, 1))
    as_of = min(end - dt.timedelta(days=1), today)
    return MonthCtx(
        month=month,
        start=start,
        end=end,
        as_of=as_of,
        today=today,
        leaf=leaf or leaf_length(),
        start_at=_aware(start),
        end_at=_aware(end),
        cache=cache if cache is not None else {},
    )


def nodes(ctx: MonthCtx) -> dict[str, tuple[int, int]]:
    """path -> (area id, level) of the areas stored for the month (open in some of it)."""
    return {
        path: (pk, level)
        for pk, path, level in Area.objects.filter(kind__in=STORED_KINDS)
        .exclude(closed_on__lt=ctx.start)
        .values_list("pk", "path", "level")
    }


def compute(
    ctx: MonthCtx, *, stored: dict[int, dict] | None = None, only: set[str] | None = None
) -> dict[int, dict]:
    """area id -> {figure code: stored value} for the month. Snapshot figures of a past
    month are taken from ``stored`` (what was computed during that month). ``only``: run
    those sources alone and take every other figure from ``stored`` (a month already stored
    for every node: the refresh of a month whose other sources did not change)."""
    acc: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    exact: dict[str, dict] = {}
    step = tree.STEP_WIDTH
    run = [s for s in SOURCES if only is None or s[0] in only]
    for _name, source, _codes in run:
        rows = source(ctx)
        exact.update(rows.pop(EXACT, {}) if isinstance(rows, dict) else {})
        for path, row in rows.items():
            if not path:
                continue
            prefixes = [path[:k] for k in range(step, len(path) + 1, step)]
            for code, value in row.items():
                if value is None:
                    continue
                for p in prefixes:
                    acc[p][code] += value
    codes = FIGURES if only is None else {c: FIGURES[c] for s in run for c in s[2]}
    out: dict[int, dict] = {}
    snapshots = [f for f in FIGURES.values() if f.kind == SNAPSHOT]
    for path, (pk, _level) in nodes(ctx).items():
        got = acc.get(path, {})
        own = exact.get(path, {})
        values = {} if only is None else dict((stored or {}).get(pk, {}))
        for code, f in codes.items():
            if f.kind == SNAPSHOT and not ctx.current:
                continue
            values[code] = f.store(own.get(code, 0) if not f.additive else got.get(code, 0))
        if not ctx.current and stored is not None:
            old = stored.get(pk, {})
            for f in snapshots:
                if f.code in old:
                    values[f.code] = old[f.code]
        out[pk] = values
    return out


def partial_ok(ctx: MonthCtx, stored: dict[int, dict]) -> bool:
    """Whether the month is stored for exactly its nodes with every figure there is (so
    recomputing some sources and keeping the rest is the whole recomputation)."""
    if set(stored) != {pk for pk, _level in nodes(ctx).values()}:
        return False
    wanted = {c for c, f in FIGURES.items() if f.kind != SNAPSHOT}
    return all(wanted <= set(v) for v in stored.values())


def stored_values(month: int) -> dict[int, dict]:
    return dict(Rollup.objects.filter(month=month).values_list("area_id", "values"))


@dataclass
class Difference:
    month: int
    area_id: int
    code: str
    stored: object
    computed: object


def compare(month: int, stored: dict[int, dict], computed: dict[int, dict]) -> list[Difference]:
    out = []
    for pk in sorted(set(stored) | set(computed)):
        a, b = stored.get(pk), computed.get(pk)
        if a is None or b is None:
            out.append(Difference(month, pk, "*", a is not None, b is not None))
            continue
        for code in sorted(set(a) | set(b)):
            if a.get(code) != b.get(code):
                out.append(Difference(month, pk, code, a.get(code), b.get(code)))
    return out


@transaction.atomic
def store(ctx: MonthCtx, computed: dict[int, dict]) -> int:
    """Write the month's rows (one per node), replacing what was there."""
    now = timezone.now()
    info = {pk: (path, level) for path, (pk, level) in nodes(ctx).items()}
    rows = [
        Rollup(
            area_id=pk,
            area_path=info[pk][0],
            level=info[pk][1],
            month=ctx.month,
            values=values,
            computed_at=now,
        )
        for pk, values in computed.items()
    ]
    Rollup.objects.filter(month=ctx.month).exclude(area_id__in=list(info)).delete()
    Rollup.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["area", "month"],
        update_fields=["area_path", "level", "values", "computed_at"],
    )
    return len(rows)


def recompute(
    months: list[int],
    *,
    check: bool = False,
    today: dt.date | None = None,
    only: set[str] | None = None,
) -> list[Difference]:
    """Rebuild ``months`` from raw data (``check``: only compare) and return how what was
    stored differed from the recomputation. ``only``: rebuild those sources' figures alone
    where the month is stored whole (``partial_ok``), else the whole month."""
    cache: dict = {}
    leaf = leaf_length()
    diffs: list[Difference] = []
    for month in months:
        ctx = context(month, today=today, cache=cache, leaf=leaf)
        stored = stored_values(month)
        part = only if only is not None and partial_ok(ctx, stored) else None
        computed = compute(ctx, stored=stored, only=part)
        diffs += compare(month, stored, computed)
        if not check:
            with transaction.atomic():
                store(ctx, computed)
                details.store(ctx)
    return diffs


def refresh(months: int = 1, today: dt.date | None = None) -> int:
    """The background task's work: recompute the last ``months`` months, and the earlier
    months of the last ``stale.WINDOW`` whose raw data changed since the last refresh (the
    changed sources only, ``stale.pending``). Answers how many months were recomputed."""
    ms = window(months, today)
    todo = stale.pending(window(stale.WINDOW, today))
    recompute(ms, today=today)
    extra = sorted(m for m in todo.months if m not in ms)
    by_sources: dict[frozenset | None, list[int]] = defaultdict(list)
    for m in extra:
        srcs = todo.months[m]
        by_sources[frozenset(srcs) if srcs is not None else None].append(m)
    for srcs, group in by_sources.items():
        recompute(group, today=today, only=set(srcs) if srcs is not None else None)
    stale.advance(todo.seq)
    return len(ms) + len(extra)
