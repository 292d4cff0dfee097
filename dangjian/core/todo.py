"""One to-do inbox (我的待办): each app declares the items that wait on a person; the console
home, the menu counts and the phone read them here and nowhere else.

An app declares its sources once, in its ``AppConfig.ready``::

    todo.declare("cases.dispatch", label=_("待派遣的事件"), items=pending_dispatch, count=...)

``items(user)`` returns :class:`Todo` rows the user may act on now; it must read through the app's
selectors (scope applies). ``count(user)`` is optional: a cheap count for menus, else the items
are counted. The kernel imports no app: sources are plain callables.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Todo:
    source: str  # the declaring source's key, e.g. "cases.dispatch"
    title: str  # what to do, in Chinese ("派遣事件")
    subject: str  # what it is about ("楼道堆物 · 2026-0012"): never an ID or phone number
    url: str  # the page where it is done
    object_id: int | str = ""
    due: datetime.date | datetime.datetime | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def due_date(self) -> datetime.date | None:
        if isinstance(self.due, datetime.datetime):
            if self.due.tzinfo is not None:
                from django.utils import timezone

                return timezone.localtime(self.due).date()
            return self.due.date()
        return self.due

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        if isinstance(self.due, datetime.datetime) and self.due.tzinfo is not None and not today:
            from django.utils import timezone

            return self.due < timezone.now()
        due = self.due_date()
        return due is not None and due < (today or datetime.date.today())


@dataclass(frozen=True)
class TodoSource:
    key: str
    label: str
    items: Callable[[object], Iterable[Todo]]
    count: Callable[[object], int] | None = None
    module: str = ""  # menu group the source belongs to ("基层治理", "党员" …)


_SOURCES: dict[str, TodoSource] = {}


def declare(
    key: str,
    *,
    label: str,
    items: Callable[[object], Iterable[Todo]],
    count: Callable[[object], int] | None = None,
    module: str = "",
) -> TodoSource:
    """Declare a source of to-dos; declaring the same key twice with another callable is a bug."""
    existing = _SOURCES.get(key)
    if existing is not None and existing.items is not items:
        raise ValueError(f"to-do source {key!r} is declared twice")
    source = TodoSource(key=key, label=str(label), items=items, count=count, module=str(module))
    _SOURCES[key] = source
    return source


def sources() -> list[TodoSource]:
    return [_SOURCES[k] for k in sorted(_SOURCES)]


def _sort_key(item: Todo):
    due = item.due_date()
    return (due is None, due or datetime.date.max, item.source, str(item.object_id))


def inbox(user, *, limit: int | None = 200, only: Iterable[str] | None = None) -> list[Todo]:
    """Everything waiting on ``user``, the most urgent first (overdue, then by due date)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    wanted = set(only) if only is not None else None
    rows: list[Todo] = []
    for source in sources():
        if wanted is not None and source.key not in wanted:
            continue
        rows.extend(source.items(user))
    rows.sort(key=_sort_key)
    return rows if limit is None else rows[:limit]


def counts(user) -> dict[str, int]:
    """Per source, how many items wait on ``user`` (sources with none are left out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    out: dict[str, int] = {}
    for source in sources():
        n = source.count(user) if source.count is not None else sum(1 for _ in source.items(user))
        if n:
            out[source.key] = int(n)
    return out


def total(user) -> int:
    return sum(counts(user).values())
