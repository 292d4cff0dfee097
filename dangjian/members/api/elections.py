"""Elections due (换届提醒), under /api/v1/elections/: the serving committees the caller sees by
their due date, with the 6-month reminder, the overdue flag, the approved postponement and
how long the secretary's post has been vacant (``committee_selectors.elections_due``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Router

from dangjian.core.api import ERRORS, Schema, paginate
from dangjian.core.choices import label
from dangjian.core.ids import pk_or_404
from dangjian.members import committee_selectors
from dangjian.members.models.committee import OrgCommittee
from dangjian.organizations.models import OrgKind

router = Router(tags=["换届"])


class ElectionDueOut(Schema):
    committee_id: int
    org_id: int
    org_name: str
    org_kind: str
    org_kind_label: str
    elected_on: dt.date
    term_start: dt.date
    term_end: dt.date
    postponed_to: dt.date | None
    postpone_document_no: str
    due_on: dt.date
    days_left: int
    reminder: bool
    overdue: bool
    due_status: str
    due_status_label: str
    secretary_name: str | None
    secretary_vacant: bool
    secretary_vacant_since: dt.date | None
    secretary_vacant_days: int | None


class ElectionDuePage(Schema):
    items: list[ElectionDueOut]
    count: int
    as_of: dt.date
    reminder_months: int


def due_row(c: OrgCommittee, today: dt.date) -> dict:
    d = committee_selectors.due_of(c, today)
    v = committee_selectors.vacancy_of_row(c, today)
    return {
        "committee_id": c.pk,
        "org_id": c.org_id,
        "org_name": c.org.name,
        "org_kind": c.org.kind,
        "org_kind_label": label(OrgKind, c.org.kind),
        "elected_on": c.elected_on,
        "term_start": c.term_start,
        "term_end": c.term_end,
        "postponed_to": c.postponed_to,
        "postpone_document_no": c.postpone_document_no,
        "due_on": d.due_on,
        "days_left": d.days_left,
        "reminder": d.reminder,
        "overdue": d.overdue,
        "due_status": d.code,
        "due_status_label": d.label,
        "secretary_name": c.secretary_name,
        "secretary_vacant": v.vacant,
        "secretary_vacant_since": v.since,
        "secretary_vacant_days": v.days,
    }


@router.get("/due/", response={200: ElectionDuePage, **ERRORS})
def elections_due(request, status: str = "due", org: int | None = None):
    """Serving committees by due date: ``status`` ``due`` (reminded within 6 months, or
    overdue; the default), ``reminder``, ``overdue`` or ``all``; ``org`` limits to a subtree."""
    today = timezone.localdate()
    qs = committee_selectors.elections_due(
        request.auth, status=status, org=None if org is None else pk_or_404(org), today=today
    )
    page = paginate(request, qs, lambda c: due_row(c, today))
    return page | {"as_of": today, "reminder_months": committee_selectors.reminder_months()}
