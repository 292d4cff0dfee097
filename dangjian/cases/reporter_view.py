"""What the reporter of an event reads of it, wherever they read it (the phone, the API, the
console): the moves, with only the public notes (the report, a cancellation's reason, the
result, the closure, the rating, a reopening's reason), without the staff's names, the
internal chase and overdue notices or a staff rating's follow-up record.

The reporter's view applies to a reader who sees the event only as its reporter (their own
record); staff who see it through their area or department read the whole history, their
own reports included.
"""

from __future__ import annotations

from dangjian.cases.models import Event, EventStep
from dangjian.core import scope, tree

# The moves whose notes the reporter reads; the others' notes are the staff's internal ones.
PUBLIC_NOTES = frozenset({"collect", "cancel", "finish", "verify_pass", "evaluate", "reopen"})
# How the reporter sees whoever else moved their report.
STAFF_NAME = "工作人员"


def reporter_only(user, event: Event) -> bool:
    """Whether ``user`` sees ``event`` only as its reporter (not through an area or a
    department they reach)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if event.reporter_id is None or event.reporter_id != user.pk:
        return False
    reach = scope.reach_of(user, "cases.view")
    if any(tree.is_within(event.area_path, p) for p in reach.area_paths):
        return False
    return not (event.department_id and event.department_id in reach.department_ids)


def public_note(step: EventStep) -> str:
    return step.note if step.action in PUBLIC_NOTES else ""


def public_steps(user, steps: list[EventStep]) -> list[EventStep]:
    """``steps`` as the reporter reads them (the instances are changed in memory only: never
    saved): internal notes blanked, other people's names replaced, follow-up records left
    out."""
    for s in steps:
        s.note = public_note(s)
        own = s.actor_id == user.pk or (s.actor_id is None and s.action in ("collect", "evaluate"))
        if not own:
            s.actor_name = STAFF_NAME
        if s.data and "follow_up" in s.data:
            s.data = {k: v for k, v in s.data.items() if k != "follow_up"}
    return steps
