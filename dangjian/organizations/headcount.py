"""How many members an organization has, asked of the member registry through a hook.

``members`` sits above ``organizations`` in the import order, yet the size rules of the party
tree (DOMAIN.md: 3+ full members form a branch, more than 50 → 党总支, more than 100 → 基层党委)
and the refusal to dissolve an organization that still has members need its counts. The
registry registers its counters here in ``AppConfig.ready()`` (like ``core.treemodel``'s move
hooks): an explicit call on a declared hook, not a signal, and the organizations app imports
nothing above it. Without a registered counter (the app used alone) every count is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Headcount:
    """Members on the roll in an organization's subtree (its groups' members count for their
    branch): ``members`` probationary and full, ``full`` the full ones."""

    members: int = 0
    full: int = 0


ZERO = Headcount()

# subtree(paths) -> {path: Headcount}; attached(org_id) -> member files that still belong to
# the organization itself (suspended included: their files must go somewhere first).
_SUBTREE: list[Callable[[list[str]], dict[str, Headcount]]] = []
_ATTACHED: list[Callable[[int], int]] = []


def register_counter(
    *, subtree: Callable[[list[str]], dict[str, Headcount]], attached: Callable[[int], int]
) -> None:
    if subtree not in _SUBTREE:
        _SUBTREE.append(subtree)
    if attached not in _ATTACHED:
        _ATTACHED.append(attached)


def subtree_counts(paths: Iterable[str]) -> dict[str, Headcount]:
    """The headcount of each organization's subtree, by its path (one query per depth)."""
    wanted = sorted(set(paths))
    out = dict.fromkeys(wanted, ZERO)
    if not wanted:
        return out
    for counter in _SUBTREE:
        for path, count in counter(wanted).items():
            old = out.get(path, ZERO)
            out[path] = Headcount(old.members + count.members, old.full + count.full)
    return out


def headcount(path: str) -> Headcount:
    return subtree_counts([path])[path]


def attached(org_id: int) -> int:
    return sum(counter(org_id) for counter in _ATTACHED)
