"""Which earlier months a refresh must recompute, read from the audit trail.

Every service write is audited (``core.audit``) and every audit row is sealed into the hash
chain after its transaction commits (``core.auditchain``): the seals' sequence is the order
the writes became visible in. The refresh keeps the last sequence it has read
(``RefreshMark``); the seals after it name the objects changed since, and each kind of object
(``WATCHES``) names the sources its change moves and the days it counts in: an event counts in
the month it was opened and the month it was reported, so an event of March closed in May
makes March's events figures stale, and only those. A change whose days are not known (a
sweep that names no object, an object deleted since, a change of the trees) makes every month
of the window stale for its sources.

Reads (exports, reveals, logins) are audited too and are not changes. A write made around the
services (the demo seeder, a shell, a migration) leaves no audit row: ``dashboard_recompute``
rebuilds after those.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from dangjian.cases.models import Event, VisitRecord
from dangjian.core import auditchain
from dangjian.core.models import AuditEntry, AuditSeal, LedgerTransaction
from dangjian.dashboard.models import RefreshMark
from dangjian.dues.models import DuesPayment
from dangjian.points.models import Award, Redemption

CHUNK = 2000  # ids per statement
WINDOW = 12  # months watched: the current year and the 12-month trends
EVERY = ("*",)  # all sources
READS = re.compile(r"(^|[._])(export|view|reveal|login|password)")

Days = Callable[[list[int]], "list[dt.date | dt.datetime | None] | None"]


def _days(model, *fields: str) -> Days:
    """The days the objects ``ids`` count in: their ``fields``; None (every month) when one
    of them is gone."""

    def days(ids: list[int]):
        rows = []
        for start in range(0, len(ids), CHUNK):
            rows += model.objects.filter(pk__in=ids[start : start + CHUNK]).values_list(*fields)
        if len(rows) < len(set(ids)):
            return None
        return [d for row in rows for d in row]

    return days


@dataclass(frozen=True)
class Watch:
    """Changes of the objects whose type is ``prefix`` (or starts with it, for an app's
    ``"orglife."``) move the figures of ``sources``, in the months of ``days`` (None: every
    month of the window)."""

    prefix: str
    sources: tuple[str, ...]
    days: Days | None = None

    def matches(self, object_type: str) -> bool:
        return object_type == self.prefix or (
            self.prefix.endswith(".") and object_type.startswith(self.prefix)
        )


# The first watch that matches an object type wins: exact types before their app's prefix. A
# type no watch matches moves no figure of an earlier month (an event class, a department, a
# hardship, a remittance, a dues profile: arrears are a snapshot of today). A module that
# registers a source adds the watch of its objects here.
WATCHES: list[Watch] = [
    Watch("cases.event", ("events",), _days(Event, "opened_at", "reported_at")),
    Watch("cases.visitrecord", ("visits",), _days(VisitRecord, "visited_on")),
    Watch("dues.duespayment", ("dues",), _days(DuesPayment, "paid_on")),
    Watch("points.award", ("points",), _days(Award, "occurred_on")),
    Watch("points.redemption", ("points",), _days(Redemption, "created_at")),
    Watch("points.sweepmark", ("points",)),  # the collector's run: awards of any day
    Watch("members.", ("members", "checkins")),
    Watch("development.", ("development",)),
    Watch("orglife.", ("orglife",)),
    Watch("timebank.", ("timebank",)),
    Watch("core.ledgertransaction", ("timebank",), _days(LedgerTransaction, "occurred_on")),
    Watch("assessment.memberwarning", ()),  # a snapshot of today: the current month only
    Watch("assessment.", ("rating", "weak")),
    Watch("organizations.", EVERY),  # an organization's anchor moves its members, dues …
    Watch("territory.", EVERY),
]


def watch_of(object_type: str) -> Watch | None:
    return next((w for w in WATCHES if w.matches(object_type)), None)


def _month(day) -> int:
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return day.year * 100 + day.month


@dataclass
class Pending:
    """What a refresh must recompute besides its own months: month -> the sources (None:
    all of them), and the last seal read (saved once the recomputation is stored)."""

    seq: int
    months: dict[int, set[str] | None]


def changes(after: int, upto: int) -> Iterable[tuple[str, str, str]]:
    """(object type, object id, action) of the audit rows sealed in ``(after, upto]``."""
    sealed = AuditSeal.objects.filter(seq__gt=after, seq__lte=upto).values("entry_id")
    return (
        AuditEntry.objects.filter(id__in=sealed)
        .exclude(object_type="")
        .values_list("object_type", "object_id", "action")
        .distinct()
    )


def last_seq() -> int:
    """The last seal, once what committed and was not sealed yet (a failed seal after a
    commit) is sealed."""
    auditchain.seal()
    return AuditSeal.objects.aggregate(n=Max("seq"))["n"] or 0


def pending(window: list[int]) -> Pending:
    """The months of ``window`` whose figures changed since the last refresh read the audit
    trail, each with the sources to recompute."""
    mark = RefreshMark.objects.filter(pk=1).first()
    seq = last_seq()
    if mark is None:
        return Pending(seq=seq, months={})  # the first run: it starts the mark
    ids: dict[Watch, set[int]] = defaultdict(set)
    every: dict[Watch, bool] = {}
    for object_type, object_id, action in changes(mark.seq, seq):
        w = watch_of(object_type)
        if w is None or not w.sources or READS.search(action):
            continue
        if w.days is None or not object_id.isdigit():
            every[w] = True
        else:
            ids[w].add(int(object_id))
    months: dict[int, set[str] | None] = {}
    inside = set(window)

    def add(month: int, sources: tuple[str, ...]) -> None:
        if month not in inside or months.get(month, set()) is None:
            return
        if sources == EVERY:
            months[month] = None
        else:
            months.setdefault(month, set()).update(sources)  # type: ignore[union-attr]

    for w in {*ids, *every}:
        days = None if every.get(w) else w.days(sorted(ids[w]))  # type: ignore[misc]
        for month in window if days is None else {_month(d) for d in days if d is not None}:
            add(month, w.sources)
    return Pending(seq=seq, months=months)


def advance(seq: int) -> None:
    """Everything sealed up to ``seq`` is in the stored roll-ups."""
    RefreshMark.objects.update_or_create(pk=1, defaults={"seq": seq, "at": timezone.now()})
