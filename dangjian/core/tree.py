"""Materialized paths shared by the Area and PartyOrg trees.

A path is a string of fixed-width steps (4 characters of 0-9A-Z). A subtree is the half-open
range ``[path, path_end(path))``: a plain btree range on both SQLite and PostgreSQL, as long
as the column sorts bytewise (``PathField`` sets ``COLLATE "C"`` on PostgreSQL).
"""

from __future__ import annotations

from django.db import models

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEP_WIDTH = 4
BASE = len(ALPHABET)
# The last value is never allocated, so that path_end of any step stays within the width.
MAX_STEP = BASE**STEP_WIDTH - 2
MAX_DEPTH = 12
PATH_MAX_LENGTH = STEP_WIDTH * MAX_DEPTH

_INDEX = {c: i for i, c in enumerate(ALPHABET)}


class TreeError(ValueError):
    pass


def encode_step(n: int) -> str:
    if not 0 <= n <= MAX_STEP + 1:
        raise TreeError(f"step {n} out of range")
    chars = []
    for _ in range(STEP_WIDTH):
        n, r = divmod(n, BASE)
        chars.append(ALPHABET[r])
    return "".join(reversed(chars))


def decode_step(step: str) -> int:
    if len(step) != STEP_WIDTH:
        raise TreeError(f"bad step {step!r}")
    n = 0
    for c in step:
        try:
            n = n * BASE + _INDEX[c]
        except KeyError as exc:
            raise TreeError(f"bad step {step!r}") from exc
    return n


# Messages a user may read (services turn a TreeError into a field error on "parent").
TOO_MANY_CHILDREN = "同一上级下的下级数量已达上限"
TOO_DEEP = f"层级过深，最多{MAX_DEPTH}级"


def child_path(parent_path: str, index: int) -> str:
    if index > MAX_STEP:
        raise TreeError(TOO_MANY_CHILDREN)
    path = parent_path + encode_step(index)
    if len(path) > PATH_MAX_LENGTH:
        raise TreeError(TOO_DEEP)
    return path


def path_end(path: str) -> str:
    """The first path after the whole subtree rooted at ``path``."""
    if not path:
        raise TreeError("empty path")
    head, last = path[:-STEP_WIDTH], path[-STEP_WIDTH:]
    return head + encode_step(decode_step(last) + 1)


def depth_of(path: str) -> int:
    return len(path) // STEP_WIDTH


def ancestors_of(path: str) -> list[str]:
    """Paths of every proper ancestor, root first."""
    return [path[:i] for i in range(STEP_WIDTH, len(path), STEP_WIDTH)]


def is_within(path: str, root: str) -> bool:
    return path.startswith(root)


def merge_ranges(prefixes: list[str]) -> list[tuple[str, str]]:
    """Half-open ranges covering the given subtrees, nested ones dropped."""
    kept: list[str] = []
    for p in sorted(set(prefixes)):
        if kept and p.startswith(kept[-1]):
            continue
        kept.append(p)
    return [(p, path_end(p)) for p in kept]


def subtree_q(field: str, path: str) -> models.Q:
    return models.Q(**{f"{field}__gte": path, f"{field}__lt": path_end(path)})


def rebase(path: str, old_prefix: str, new_prefix: str) -> str:
    if not path.startswith(old_prefix):
        raise TreeError(f"{path} is not under {old_prefix}")
    return new_prefix + path[len(old_prefix) :]


class PathField(models.CharField):
    """A path column that sorts bytewise on every backend."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", PATH_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
