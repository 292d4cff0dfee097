"""What keeps an area from being closed (撤销), asked by ``territory.services.area_close``.

Territory sits below the apps that keep rows in an area (cases, members, organizations), so it
cannot ask them itself: each registers a blocker once, from its ``AppConfig.ready()``, the
same way accounts registers its move hook (``core.treemodel.register_move_hook``)::

    register_close_blocker(open_events)

A blocker is ``fn(*, path: str) -> str | None``: given the path of the area to close, it
answers what still lives in its subtree, in Chinese and with the count ("未办结事件3件"), or
None when nothing of its kind does. The close is refused (409) naming every answer.
"""

from __future__ import annotations

from collections.abc import Callable

Blocker = Callable[..., "str | None"]

_BLOCKERS: list[Blocker] = []


def register_close_blocker(fn: Blocker) -> None:
    if fn not in _BLOCKERS:
        _BLOCKERS.append(fn)


def close_blockers() -> list[Blocker]:
    return list(_BLOCKERS)


def blocking_reasons(path: str) -> list[str]:
    """Every registered blocker's answer for the subtree at ``path``, in registration order."""
    return [r for r in (fn(path=path) for fn in _BLOCKERS) if r]
