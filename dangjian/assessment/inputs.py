"""Inputs that several steps of the recomputation read: read once per recomputation.

The dues status of every member (``dues.selectors.statuses``: three grouped queries and the
month arithmetic of 100,000 members at city scale) is read by the rating's ``dues_arrears``
indicator, the weak-organization rule on dues arrears and the members' dues warning, each as
of the same day. Inside ``shared()`` (``recompute.assessment_recompute`` runs its steps in
it) the first reader computes it and the others take the same answer; outside it, every call
computes afresh. Nothing is kept after the recomputation: it shares its inputs, it does not
cache results across runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from dangjian.dues import selectors as dues_selectors
from dangjian.members.models import Member, Status

ACTIVE = (Status.FULL, Status.PROBATIONARY)

_shared: ContextVar[dict | None] = ContextVar("assessment_inputs", default=None)


@contextmanager
def shared() -> Iterator[None]:
    """Within the block, each input is read once (per day it is read for)."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def dues_statuses(day: dt.date) -> dict[int, dues_selectors.DuesStatus]:
    """The dues status on ``day`` of every full and probationary member, whether or not they
    have left (each reader narrows it to its own members: a member's status depends on their
    own rows only)."""
    memo = _shared.get()
    key = ("dues_statuses", day)
    if memo is not None and key in memo:
        return memo[key]
    out = dues_selectors.statuses(Member.objects.filter(status__in=ACTIVE), day)
    if memo is not None:
        memo[key] = out
    return out
