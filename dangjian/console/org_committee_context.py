"""What the organization's page shows of its terms (issue 14): the due date of the serving
committee with the reminder and overdue flags, the secretary's vacancy and the before/after
comparison of the last election (``cadres.elections``)."""

from __future__ import annotations

from django.utils import timezone

from dangjian.cadres import elections
from dangjian.members import committee_selectors


def committee_context(user, org, committee) -> dict:
    today = timezone.localdate()
    cmp = elections.latest_comparison(user, org, committee)
    return {
        "committee_due": committee_selectors.due_of(committee, today) if committee else None,
        "secretary_vacancy": committee_selectors.secretary_vacancy(org, today, current=committee),
        "election_comparison": cmp,
        "election_comparison_rows": elections.comparison_rows(cmp) if cmp else [],
    }
