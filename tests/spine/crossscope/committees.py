"""Committees as elected and their elections (换届): terms, postponements and seats."""

from __future__ import annotations

from django.utils import timezone

from tests.spine.crossscope.members import _probe_member
from tests.spine.crossscope.registry import (
    FACTORIES,
    ROUTES,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    Probe,
    Route,
    fingerprint,
)

# --- committees as elected (members.committee_*) ----------------------------------------------------
# Appended by the committee record: the organization probes (organizations.py). The outsider
# reads 404 for the committee of any of them and writes none; the insider's identical write
# names no seats (422: a secretary is required).

ROUTES += [
    Route("api", "/api/v1/orgs/{id}/committee", "org", "detail"),
    Route(
        "api",
        "/api/v1/orgs/{id}/committee",
        "org",
        "write",
        method="POST",
        data={"term_start": "2026-01-10", "seats": []},
        control_status=frozenset({422}),
    ),
    Route("console", "/members/committees/{id}/", "org", "detail"),
    Route(
        "console",
        "/members/committees/{id}/",
        "org",
        "write",
        method="POST",
        data={"term_start": "2026-01-10"},
        control_status=frozenset({422}),
    ),
]


@fingerprint
def _committees_rows(out: dict) -> None:
    """Adds the committees and their seats to the fingerprint."""
    from dangjian.members.models.committee import CommitteeSeat, OrgCommittee

    out["members:committees"] = list(
        OrgCommittee.objects.order_by("pk").values_list("pk", "status", "ended_on")
    )
    out["members:committee_seats"] = list(
        CommitteeSeat.objects.order_by("pk").values_list("pk", "ends_on")
    )


# --- committees ---------------------------------------------------------------------------------
# Terms and elections (members.committee_terms, committee_selectors.elections_due): the probes
# are organizations of the first county with a committee due within the reminder window and
# full members to seat. The insider's identical writes are refused on their values (422: a
# postponement of five years) or find no such seat (404); the outsider's answer 404.


def election_org_probes(world) -> list[Probe]:
    import datetime as _dt

    from dangjian.members.models import Member
    from dangjian.members.models.committee import CommitteeSeat, OrgCommittee

    today = timezone.localdate()
    out = []
    for i, key in enumerate(("grid_branch", "street2_wc", "community_committee")):
        o = world.orgs[key]
        members = [
            _probe_member(world, key, f"越界探针委员{i}{j}", 300 + i * 5 + j) for j in range(3)
        ]
        Member.objects.filter(pk__in=[m.pk for m in members]).update(status="full")
        start = today.replace(year=today.year - 5) + _dt.timedelta(days=30)
        c = OrgCommittee.objects.create(
            org=o,
            org_path=o.path,
            elected_on=start,
            term_start=start,
            term_end=today + _dt.timedelta(days=29),
        )
        CommitteeSeat.objects.bulk_create(
            CommitteeSeat(
                committee=c,
                member=m,
                member_name=m.name,
                org_path=o.path,
                post="secretary" if j == 0 else "member",
                starts_on=start,
            )
            for j, m in enumerate(members)
        )
        out.append(Probe(o.pk, o.name, markers=(f"/orgs/{o.pk}/",)))
    return out


def _five_years_on(_probe) -> dict:
    today = timezone.localdate()
    return {
        "postponed_to": today.replace(year=today.year + 5).isoformat(),
        "document_no": "越界批准",
        "document_date": today.isoformat(),
    }


FACTORIES["election_org"] = election_org_probes
ROUTES += [
    Route("api", "/api/v1/elections/due/", "election_org", "list"),
    Route("api", "/api/v1/elections/due/?status=all&page_size=200", "election_org", "list"),
    Route("api", "/api/v1/elections/due/?org={id}", "election_org", "detail"),
    Route(
        "api",
        "/api/v1/orgs/{id}/committee/postpone",
        "election_org",
        "write",
        method="POST",
        data=_five_years_on,
        control_status=frozenset({422}),
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}/committee/seats",
        "election_org",
        "write",
        method="POST",
        data=lambda p: {
            "member_id": p.pk,
            "post": "member",
            "starts_on": timezone.localdate().isoformat(),
        },
        control_status=frozenset({422}),
        note="the probe's pk as the member: not a member of the organization (422)",
    ),
    Route(
        "api",
        "/api/v1/orgs/{id}/committee/seats/{id}/end",
        "election_org",
        "write",
        method="POST",
        data=lambda p: {"ends_on": timezone.localdate().isoformat(), "reason": "越界离任"},
        control_status=frozenset({404, 200}),
        note="the probe's pk as the seat: almost always no such seat of the committee (404)",
    ),
]

ROUTES += [
    Route("console", "/members/elections/", "election_org", "list"),
    Route("console", "/members/elections/?status=all", "election_org", "list"),
    Route(
        "console",
        "/members/committees/{id}/postpone/",
        "election_org",
        "write",
        method="POST",
        data=_five_years_on,
        control_status=frozenset({302}),
        note="the insider's refusal is shown as a message after the redirect",
    ),
    Route(
        "console",
        "/members/committees/{id}/seats/",
        "election_org",
        "write",
        method="POST",
        data=lambda p: {"member_id": p.pk, "post": "member"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/members/committees/{id}/seats/{id}/end/",
        "election_org",
        "write",
        method="POST",
        data={"reason": "越界离任"},
        control_status=frozenset({302, 404}),
    ),
]

ROUTES += [
    Route(
        "api",
        "/api/v1/orgs/{id}/elections/{id}/comparison",
        "election_org",
        "detail",
        control=False,
        note="the probe's pk as the committee: the insider's 200 is checked in "
        "tests/members/test_election_comparison.py",
    ),
    Route(
        "api",
        "/api/v1/elections/comparison?year=2026",
        "election_org",
        "list",
        control=False,
        note="figures pooled, no names: the outsider's zero is checked in "
        "tests/members/test_election_comparison.py",
    ),
]

# File uploads and the blank template, as the member import: the organizations of the file are
# looked up among those the caller manages (an outsider's rows are reported as not found and
# nothing is written: tests/members/test_committee_import.py).
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/orgs/committees/import/template"),
    ("POST", "/api/v1/orgs/committees/import"),
}
UNSCOPED_CONSOLE_ROUTES |= {"/members/committees/import/", "/members/committees/import/template/"}


@fingerprint
def _elections_rows(out: dict) -> None:
    """Adds the postponements and the seats' reasons to the fingerprint."""
    from dangjian.members.models.committee import CommitteeSeat, OrgCommittee

    out["members:committee_terms"] = list(
        OrgCommittee.objects.order_by("pk").values_list(
            "pk", "postponed_to", "postpone_document_no"
        )
    )
    out["members:committee_seat_rows"] = list(
        CommitteeSeat.objects.order_by("pk").values_list("pk", "post", "end_reason")
    )
