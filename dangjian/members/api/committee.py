"""The committee as elected, under /api/v1/orgs/{id}/committee (mounted on the orgs prefix
beside the organizations router): GET the current committee and the past ones, POST a newly
elected one (``committee_services.committee_record``)."""

from __future__ import annotations

from ninja import Router, Schema, Status

from dangjian.core import scope
from dangjian.core.api import ERRORS
from dangjian.core.apidates import PlannedDate, RecordedDate
from dangjian.core.choices import label
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.members import committee_selectors, committee_services
from dangjian.members.models.committee import CommitteePost, CommitteeStatus, OrgCommittee
from dangjian.organizations.models import PartyOrg

router = Router(tags=["党组织委员会"])


class SeatIn(Schema):
    member_id: int
    post: str
    full_time: bool = False


class CommitteeIn(Schema):
    term_start: PlannedDate
    elected_on: RecordedDate | None = None
    seats: list[SeatIn]


def committee_out(c: OrgCommittee) -> dict:
    return {
        "id": c.pk,
        "org_id": c.org_id,
        "status": c.status,
        "status_label": label(CommitteeStatus, c.status),
        "elected_on": c.elected_on.isoformat(),
        "term_start": c.term_start.isoformat(),
        "term_end": c.term_end.isoformat(),
        "ended_on": c.ended_on.isoformat() if c.ended_on else None,
        "seats": [
            {
                "id": s.pk,
                "member_id": s.member_id,
                "name": s.member_name,
                "post": s.post,
                "post_label": label(CommitteePost, s.post),
                "full_time": s.full_time,
                "starts_on": s.starts_on.isoformat(),
                "ends_on": s.ends_on.isoformat() if s.ends_on else None,
            }
            for s in c.seats.all()
        ],
    }


def _org(user, org_id: int, action: str = committee_services.VIEW) -> PartyOrg:
    return scope.get_visible(
        PartyOrg.objects.defer("contact_phone"),
        user,
        action,
        view_action=committee_services.VIEW,
        pk=_pk(org_id),
    )


def _answer(user, org: PartyOrg) -> dict:
    rows = committee_selectors.committees_of(user, org)
    current = next((c for c in rows if c.status == CommitteeStatus.CURRENT), None)
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "term_years": committee_services.term_years(org),
        "full_members": committee_services.full_member_count(org),
        "current": committee_out(current) if current else None,
        "past": [committee_out(c) for c in rows if c.status != CommitteeStatus.CURRENT],
    }


@router.get("/{int:org_id}/committee", response={200: dict, **ERRORS})
def committee_get(request, org_id: int):
    """The organization's committee as elected (current and past terms)."""
    return _answer(request.auth, _org(request.auth, org_id))


@router.post("/{int:org_id}/committee", response={201: dict, **ERRORS})
def committee_post(request, org_id: int, data: CommitteeIn):
    """Record a newly elected committee; the current one ends the day before its term."""
    org = _org(request.auth, org_id)
    committee_services.committee_record(
        actor=request.auth,
        org=org,
        term_start=data.term_start,
        elected_on=data.elected_on,
        seats=[s.dict() for s in data.seats],
    )
    return Status(201, _answer(request.auth, org))
