"""Before and after an election (``cadres.elections``): one election at
/api/v1/orgs/{id}/elections/{committee_id}/comparison (``org_router``, mounted at /orgs) and
every election of a year in the caller's reach at /api/v1/elections/comparison
(``router``, mounted at /elections)."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from dangjian.cadres import elections
from dangjian.core.api import ERRORS, Schema
from dangjian.core.ids import pk_or_404

org_router = Router(tags=["换届"])
router = Router(tags=["换届"])


class ProfileOut(Schema):
    committees: int
    seats: int
    average_age: float | None
    aged_35_or_under: int
    aged_35_or_under_share: float | None
    aged_40_or_under: int
    aged_40_or_under_share: float | None
    college: int
    college_share: float | None
    women: int
    women_share: float | None
    full_time: int
    one_shoulder: int | None
    one_shoulder_rate: float | None
    cross_holding: int | None
    cross_holding_rate: float | None


class ChangeOut(Schema):
    seats: float | None
    average_age: float | None
    aged_35_or_under_share: float | None
    aged_40_or_under_share: float | None
    college_share: float | None
    women_share: float | None
    one_shoulder_rate: float | None
    cross_holding_rate: float | None


class ElectionCommitteeOut(Schema):
    id: int
    elected_on: dt.date
    term_start: dt.date
    term_end: dt.date
    ended_on: dt.date | None
    as_of: dt.date | None


class ElectionComparisonOut(Schema):
    org_id: int
    org_name: str
    village_or_community: bool
    old_committee: ElectionCommitteeOut | None
    new_committee: ElectionCommitteeOut
    old: ProfileOut | None
    new: ProfileOut
    change: ChangeOut | None


class ElectionsComparisonOut(Schema):
    year: int
    elections: int
    first_committees: int
    village_or_community_elections: int
    old: ProfileOut
    new: ProfileOut
    change: ChangeOut


@org_router.get(
    "/{int:org_id}/elections/{int:committee_id}/comparison",
    response={200: ElectionComparisonOut, **ERRORS},
)
def election_comparison(request, org_id: int, committee_id: int):
    """The committee elected (``committee_id``) against the one it replaced."""
    return elections.election_comparison(request.auth, pk_or_404(org_id), pk_or_404(committee_id))


@router.get("/comparison", response={200: ElectionsComparisonOut, **ERRORS})
def elections_comparison(request, year: int, org: int | None = None):
    """Every election whose term started in ``year``, old committees pooled against new."""
    return elections.elections_comparison(
        request.auth, year=year, org=None if org is None else pk_or_404(org)
    )
