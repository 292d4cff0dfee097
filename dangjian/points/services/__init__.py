"""Writes of the points module (see the submodules): settings, awards, redemptions."""

from dangjian.points.services.awards import (
    AWARD_FLOW,
    award_events,
    award_reverse,
    award_submit,
    award_transition,
    collect,
    is_subject,
    period_bounds,
    stars_award,
)
from dangjian.points.services.redemptions import receipt_lookup, receipt_use, redemption_create
from dangjian.points.services.settings import (
    item_create,
    item_update,
    rule_create,
    rule_update,
    scheme_create,
    scheme_update,
)

__all__ = [
    "AWARD_FLOW",
    "award_events",
    "award_reverse",
    "award_submit",
    "award_transition",
    "collect",
    "is_subject",
    "item_create",
    "item_update",
    "period_bounds",
    "receipt_lookup",
    "receipt_use",
    "redemption_create",
    "rule_create",
    "rule_update",
    "scheme_create",
    "scheme_update",
    "stars_award",
]
