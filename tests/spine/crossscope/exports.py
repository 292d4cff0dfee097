"""The console lists' exports (issue 18), a POST of each list's export form, and the
batches that name several objects at once."""

from __future__ import annotations

from tests.spine.crossscope.assessment import (
    _AY,
    assess_ranking_probes,
    assess_rectification_probes,
)
from tests.spine.crossscope.registry import FACTORIES, ROUTES, Probe, Route

# Issue 18 (l18): the console lists' exports, a POST of each list's export form (web.listing),
# the filters in the query string; and the events' batch dispatch (an event out of scope among
# the ticked ones: 404, nothing dispatched).
EXPORT = {"export": "xlsx"}


def assess_ranking_row_probes(world) -> list[Probe]:
    """The rankings as their export names them: by county (the outsider's county is the other
    one)."""
    from dangjian.assessment.models import Ranking

    assess_ranking_probes(world)
    return [Probe(r.pk, r.county.name) for r in Ranking.objects.select_related("county")]


def assess_rectification_row_probes(world) -> list[Probe]:
    """The rectifications as their export names them: by organization."""
    from dangjian.assessment.models import Rectification

    assess_rectification_probes(world)
    return [Probe(r.pk, r.org_name) for r in Rectification.objects.all()]


FACTORIES["assess_ranking_row"] = assess_ranking_row_probes
FACTORIES["assess_rectification_row"] = assess_rectification_row_probes
ROUTES += [
    Route("console", path, factory, "export", method="POST", data=EXPORT)
    for path, factory in (
        ("/development/", "applicant"),
        ("/development/?stage=1&sort=-name", "applicant"),
        ("/members/transfers/", "transfer"),
        ("/members/checkins/", "checkin"),
        ("/cases/", "event"),
        ("/cases/?sort=-reported", "event"),
        ("/audit/", "audit"),
        ("/orglife/", "orglife_session"),
        ("/orglife/plans/", "orglife_plan"),
        ("/points/review/", "points_claim"),
        ("/points/awards/", "points_award"),
        ("/points/awards/?q=越界&sort=-points", "points_award"),
        ("/points/redemptions/", "points_redemption"),
        ("/points/redemptions/?sort=-created", "points_redemption"),
        ("/timebank/", "tb_order"),
        ("/dues/", "dues_member"),
        ("/dues/remittances/", "dues_remittance"),
        ("/members/cadres/", "cadre"),
        ("/users/", "people_user"),
        ("/members/cadres/reserves/?sort=-name", "reserve"),
        ("/members/cadres/mentorships/?sort=mentee", "mentorship"),
        ("/timebank/teams/?sort=-name", "tb_team"),
        ("/timebank/stations/?sort=-name", "tb_station"),
        ("/timebank/talents/?sort=-bookings", "tb_talent"),
        ("/timebank/riders/", "tb_rider"),
        ("/timebank/riders/?sort=-name", "tb_rider"),
        ("/timebank/hours/?by=member", "tb_participation"),
        ("/timebank/hours/?by=member&sort=-hours", "tb_participation"),
        ("/orglife/compliance/", "orglife_branch"),
        ("/orglife/compliance/?period=2026&sort=-missed", "orglife_branch"),
        ("/points/", "points_scheme"),
        ("/users/departments/", "people_department"),
        ("/users/registrations/", "people_registration"),
        ("/cases/visits/", "visit_record"),
        ("/orgs/", "org"),
        ("/orgs/?q=龙桥&sort=-name", "org"),
        ("/areas/", "area"),
        ("/areas/?q=龙桥&sort=-name", "area"),
        ("/assessment/flags/", "assess_flag"),
        (f"/assessment/?{_AY}&sort=-score", "assess_rating"),
        (f"/assessment/projects/?{_AY}&sort=title", "assess_project"),
        ("/assessment/warnings/?history=1&sort=-member", "assess_warning"),
        ("/members/elections/", "election_org"),
        ("/members/elections/?status=all&sort=-secretary", "election_org"),
        # (a bare POST to the list issues a code: that route is registered as a write in accounts.py)
        ("/users/invitations/?sort=created", "people_invitation"),
        ("/users/invitations/?sort=-code", "people_invitation"),
        (f"/assessment/scores/?{_AY}", "assess_score"),
        (f"/assessment/scores/?{_AY}&sort=-points", "assess_score"),
        ("/assessment/rankings/", "assess_ranking_row"),
        ("/assessment/rankings/?sort=-share", "assess_ranking_row"),
        ("/assessment/rectifications/", "assess_rectification_row"),
        ("/assessment/rectifications/?sort=-deadline", "assess_rectification_row"),
        ("/dashboard/compliance/", "dashboard_compliance"),
        ("/dashboard/compliance/?sort=-missed", "dashboard_compliance"),
        ("/dashboard/arrears/", "dashboard_arrears"),
        ("/dashboard/arrears/?sort=-streak", "dashboard_arrears"),
    )
] + [
    # A department's inbox (the outsider and the admin have no department: nothing to see).
    Route("console", "/cases/inbox/", "event", "export", "POST", EXPORT, control=False),
    Route(
        "console",
        "/cases/inbox/?box=done&sort=-id",
        "event",
        "export",
        "POST",
        EXPORT,
        control=False,
    ),
    Route(
        "console", "/dues/?level=warning", "dues_member", "export", "POST", EXPORT, control=False
    ),
    # A user's own background jobs: the export names a job by its kind, state and progress,
    # never the probe's name; tests/web/test_list_sort_export.py exports the insider's jobs.
    Route("console", "/members/jobs/", "export_job", "export", "POST", EXPORT, control=False),
    Route(
        "console",
        "/members/jobs/?sort=-created",
        "import_job",
        "export",
        "POST",
        EXPORT,
        control=False,
    ),
    Route(
        "console",
        "/dues/pay-batch/",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {"member_ids": [p.pk]},
        control_status=frozenset({302}),
        note="the insider's batch records the probe's month, or names why not: 302",
    ),
    Route(
        "console",
        "/cases/batch/dispatch/",
        "event",
        "write",
        method="POST",
        data=lambda p: {"event_ids": [p.pk], "department_id": 1},
        control_status=frozenset({302}),
        note="the insider's batch is refused by name (the probe's state, the department): 302",
    ),
    # The same two batches through the API (the same services): an id out of reach among
    # them is 404 and nothing is written; the insider's is done (200) or refused by name (422).
    Route(
        "api",
        "/api/v1/cases/batch/dispatch",
        "event",
        "write",
        method="POST",
        data=lambda p: {"event_ids": [p.pk], "department_id": 1},
        control_status=frozenset({200, 422}),
        note="the insider's batch is refused by name (the probe's state, the department): 422",
    ),
    Route(
        "api",
        "/api/v1/dues/payments/batch",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {"member_ids": [p.pk]},
        control_status=frozenset({200, 422}),
        note="the insider's batch records the probe's month (200), or names why not (422)",
    ),
]
