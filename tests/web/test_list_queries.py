"""The lists made sortable and exportable since the first ones (l18c: elections due, grid
invitations; h18d: hand scores, rankings, rectifications, a department's inbox) read a fixed
number of queries however many rows they show or export (issue 18): no query per row creeps in
with the sort or the export."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.spine import crossscope
from tests.spine.crossscope.assessment import _ASSESS_YEAR
from tests.spine.crossscope.timebank import _tb_helper

pytestmark = pytest.mark.django_db


def _queries(client, url: str, data: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.post(url, data) if data is not None else client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return len(ctx.captured_queries)


def _counts(client, url: str) -> tuple[int, int]:
    client.get(url)  # warm what is read once per process (grants, settings)
    return _queries(client, url), _queries(client, url, {"export": "xlsx"})


def test_elections_due_sorted_and_exported_in_fixed_queries(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.users["admin"])
    url = "/members/elections/?status=all&sort=-secretary"
    crossscope.FACTORIES["election_org"](world)
    few = _counts(client, url)
    with django_assert_max_num_queries(12):
        client.get(url)
    assert _more_committees(world) >= 7
    assert _counts(client, url) == few


def _more_committees(world) -> int:
    """A copy of the first committee (no seats: the secretary vacant) at four more orgs."""
    from dangjian.members.models.committee import OrgCommittee

    first = OrgCommittee.objects.order_by("id").first()
    for key in ("village_branch", "village_committee", "township_committee", "county_committee"):
        org = world.orgs[key]
        first.pk, first.org, first.org_path = None, org, org.path
        first.save()
    return OrgCommittee.objects.count()


def test_invitations_sorted_and_exported_in_fixed_queries(
    world, client, django_assert_max_num_queries
):
    from dangjian.accounts.models import GridInvitation
    from dangjian.territory.models import Area, AreaKind

    client.force_login(world.users["admin"])
    url = "/users/invitations/?sort=-code"
    crossscope.FACTORIES["people_invitation"](world)
    few = _counts(client, url)
    with django_assert_max_num_queries(10):
        client.get(url)
    taken = GridInvitation.objects.values("area_id")
    grids = Area.objects.filter(kind=AreaKind.GRID).exclude(pk__in=taken)
    for i, area in enumerate(grids):
        GridInvitation.objects.create(area=area, area_path=area.path, code=f"QCOUNT{i + 2}")
    assert GridInvitation.objects.filter(active=True).count() >= 2
    assert _counts(client, url) == few


def test_hand_scores_sorted_and_exported_in_fixed_queries(world, client):
    from dangjian.assessment.models import Indicator
    from dangjian.assessment.services import rating as rating_services

    client.force_login(world.users["admin"])
    url = f"/assessment/scores/?year={_ASSESS_YEAR}&sort=-points"
    crossscope.FACTORIES["assess_score"](world)
    few = _counts(client, url)
    for ind in Indicator.objects.filter(kind="manual")[1:4]:
        for key in ("grid_branch", "village_branch"):
            rating_services.manual_score_set(
                actor=world.users["admin"],
                indicator=ind,
                org=world.orgs[key],
                year=_ASSESS_YEAR,
                points=5,
                evidence="查询计数佐证",
            )
    assert _counts(client, url) == few


def test_rankings_and_rectifications_sorted_and_exported_in_fixed_queries(world, client):
    from tests.web.test_list_sort_export import _second_ranking, _second_rectification

    client.force_login(world.users["admin"])
    crossscope.FACTORIES["assess_rectification"](world)
    rankings, rectifications = "/assessment/rankings/?sort=-share", "/assessment/rectifications/"
    few = _counts(client, rankings), _counts(client, rectifications + "?sort=-deadline")
    _second_ranking(world)
    _second_rectification(world)
    assert (_counts(client, rankings), _counts(client, rectifications + "?sort=-deadline")) == few


def test_department_inbox_sorted_and_exported_in_fixed_queries(world, client):
    from tests.cases import helpers
    from tests.web.test_list_sort_export import _inbox_events

    _inbox_events(world)
    dept_user = world.users["t-sort-dept"]
    client.force_login(dept_user)
    url = "/cases/inbox/?sort=-reported"
    few = _counts(client, url)
    for i in range(4):
        e = helpers.report(
            world.users["grid"], area=world.grid, description=f"{i}号楼下垃圾桶满溢发臭"
        )
        helpers.move(world.users["street"], e, "open")
        helpers.move(world.users["street"], e, "dispatch", department=dept_user.department)
    assert _counts(client, url) == few


def test_dashboard_boards_sorted_and_exported_in_fixed_queries(world, client):
    from tests.web.test_list_sort_export import _second_arrears

    client.force_login(world.users["admin"])
    crossscope.FACTORIES["dashboard_arrears"](world)  # refreshes the board too
    board, arrears = "/dashboard/compliance/?sort=-missed", "/dashboard/arrears/?sort=-streak"
    few = _counts(client, board), _counts(client, arrears)
    _second_arrears(world)  # one more member in arrears, the board refreshed
    from dangjian.dashboard.models import ArrearsRow

    assert ArrearsRow.objects.count() >= 2
    assert (_counts(client, board), _counts(client, arrears)) == few


def test_background_jobs_sorted_and_exported_in_fixed_queries(world, client):
    from dangjian.members.models.jobs import MemberJob

    client.force_login(world.users["admin"])
    crossscope.FACTORIES["export_job"](world)
    url = "/members/jobs/?sort=-created"
    few = _counts(client, url)
    for i in range(4):
        MemberJob.objects.create(
            kind="import", state="failed", actor=world.users["admin"], detail=f"查询计数{i}"
        )
    assert MemberJob.objects.filter(actor=world.users["admin"]).count() >= 5
    assert _counts(client, url) == few


def test_rating_schemes_sorted_and_exported_in_fixed_queries(world, client):
    from dangjian.assessment.models import IndicatorKind, Scheme, Sector
    from dangjian.assessment.services import rating as rating_services

    admin = world.users["admin"]
    client.force_login(admin)
    crossscope.FACTORIES["assess_rating"](world)
    url = f"/assessment/schemes/?year={_ASSESS_YEAR}&sort=-five"
    few = _counts(client, url)
    taken = set(Scheme.objects.filter(year=_ASSESS_YEAR).values_list("sector", flat=True))
    for sector in [s for s in Sector.values if s not in taken]:
        s = rating_services.scheme_create(actor=admin, sector=sector, year=_ASSESS_YEAR)
        rating_services.indicator_set(
            actor=admin, scheme=s, code="q", name="查询计数", weight=10, kind=IndicatorKind.MANUAL
        )
    assert Scheme.objects.filter(year=_ASSESS_YEAR).count() >= 3
    assert _counts(client, url) == few


def test_riders_sorted_and_exported_in_fixed_queries_phones_masked(world, client):
    from dangjian.core import excel
    from dangjian.timebank import riders
    from dangjian.timebank.models import Rider, Station
    from tests.world import user as make_user

    client.force_login(world.users["admin"])
    crossscope.FACTORIES["tb_rider"](world)
    url = "/timebank/riders/?sort=-station"
    few = _counts(client, url)
    station = Station.objects.get(name="越界探针骑手驿站")
    for i in range(4):
        u = make_user(f"计数骑手{i}", role="resident", kind="resident", home=world.nodes["grid"])
        u.phone = f"1381234567{i}"
        u.save()
        riders.rider_register(actor=u, station=station, kind="rider", platform=f"计数平台{i}")
    assert Rider.objects.count() >= 5
    assert _counts(client, url) == few
    r = client.post(f"/timebank/riders/?station={station.pk}", {"export": "xlsx"})
    text = " ".join(str(v) for row in excel.read_rows(r.content) for v in row.values)
    assert "138****5670" in text and "13812345670" not in text


def test_hours_sorted_and_exported_in_fixed_queries(world, client):
    from tests.timebank.helpers import dispatched, move

    client.force_login(world.users["admin"])
    crossscope.FACTORIES["tb_participation"](world)
    url = "/timebank/hours/?by=member&sort=-hours"
    few = _counts(client, url)
    for i in range(3):
        a = _tb_helper(world, f"计数志愿者{i}")
        o = dispatched(world, description=f"计数服务{i}")
        for step in ("accept", "check_in", "check_out"):
            move(a, o, step)
        move(world.users["resident"], o, "confirm", rating=5)
    assert _counts(client, url) == few


def test_compliance_board_sorted_and_exported_in_fixed_queries(world, client):
    from tests.orglife.helpers import at, hold, people
    from tests.world import org

    client.force_login(world.users["admin"])
    committee = world.orgs["community_committee"]
    url = f"/orglife/compliance/?org={committee.pk}&period=2026&sort=-missed"
    few = _counts(client, url)
    for i in range(4):
        b = org(committee, f"计数党支部{i}", "branch", world.nodes["grid2"])
        people(b, 3)
        hold(world.users["community"], b, "theme_day", at(2026, 3, 1))
    assert _counts(client, url) == few
    from dangjian.core import excel

    r = client.post(url, {"export": "xlsx"})
    rows = [list(row.values) for row in excel.read_rows(r.content)]
    rate = rows[0].index("出席率（%）")
    body = [row for row in rows[1:] if str(row[0] or "").startswith("计数党支部")]
    assert len(body) == 4
    assert all(isinstance(row[rate], (int, float)) for row in body), body
