"""The figure registry: each figure is a definition (code, label, section, how it adds up, the
list behind it) and each source is the hand-written aggregation that computes some figures
from raw data, grouped by area path. Other modules' figures (volunteer hours, points, star
ratings, weak organizations, warnings) are added with ``register`` when those modules land:
the computation, the storage, the API and the pages need nothing more.

A source is ``fn(ctx) -> {area path: {figure code: value}}``: the paths are the raw rows'
area paths cut at the deepest stored level (``ctx.leaf``), or exact node paths for figures
that do not add up (``additive=False``: a node's own target). The engine adds each value to
every ancestor of its path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

STOCK, FLOW, SNAPSHOT = "stock", "flow", "snapshot"
EXACT = "__exact__"  # the key of a source's rows that belong to a node only (not added up)


@dataclass(frozen=True)
class Section:
    code: str
    label: str


@dataclass(frozen=True)
class Figure:
    """One figure. ``kind``: ``stock`` (as at the end of the month, today for the current
    one), ``flow`` (the month's own; year-to-date is the sum of the year's months) or
    ``snapshot`` (only computable for today: kept as last computed in its month). ``places``:
    0 for counts, 2 for money, 1 for hours. ``list_url(area_id, ctx)``: the scoped list behind
    the figure with the same filter, or None."""

    code: str
    label: str
    section: str
    kind: str = STOCK
    places: int = 0
    unit: str = ""
    additive: bool = True
    list_url: Callable[[int, MonthCtx], str | None] | None = None

    def zero(self):
        return Decimal(0).quantize(Decimal(1).scaleb(-self.places)) if self.places else 0

    def store(self, value):
        """The JSON form: an int for counts, a decimal string otherwise."""
        if not self.places:
            return int(value or 0)
        return str(Decimal(value or 0).quantize(Decimal(1).scaleb(-self.places)))

    def load(self, value):
        if not self.places:
            return int(value or 0)
        return Decimal(value or 0)


@dataclass(frozen=True)
class Ratio:
    """A figure derived from two others at display (coverage, the three rates): a percentage
    with one decimal, None when the denominator is 0."""

    code: str
    label: str
    section: str
    part: str
    whole: str


@dataclass
class MonthCtx:
    """What a source needs to know about the month it computes."""

    month: int  # YYYYMM
    start: dt.date  # first day
    end: dt.date  # first day of the next month
    as_of: dt.date  # last day, or today in the current month
    today: dt.date
    leaf: int  # path length of the deepest stored level
    start_at: dt.datetime
    end_at: dt.datetime
    cache: dict = field(default_factory=dict)  # shared by the months of one run

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.start.year, 1, 1)

    @property
    def current(self) -> bool:
        return self.start <= self.today < self.end


Source = Callable[[MonthCtx], dict[str, dict]]

SECTIONS: dict[str, Section] = {}
FIGURES: dict[str, Figure] = {}
RATIOS: dict[str, Ratio] = {}
SOURCES: list[tuple[str, Source, tuple[str, ...]]] = []


def section(code: str, label: str) -> None:
    SECTIONS.setdefault(code, Section(code, label))


def register(name: str, source: Source, figures: list[Figure], ratios: list[Ratio] = ()) -> None:
    """Add a source and the figures it computes (a second registration of ``name`` replaces
    the first, so reloading a module does not count twice)."""
    for f in figures:
        if f.section not in SECTIONS:
            raise ValueError(f"unknown section {f.section}")
        FIGURES[f.code] = f
    for r in ratios:
        RATIOS[r.code] = r
    SOURCES[:] = [s for s in SOURCES if s[0] != name]
    SOURCES.append((name, source, tuple(f.code for f in figures)))
