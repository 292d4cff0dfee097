"""Household visits (驻点直联): teams, records, requests that become events, coverage per village
and week, scope, refusals that write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from dangjian.cases.models import Event, Source, State, VisitRecord, VisitTeam
from dangjian.cases.visits import services as visits
from dangjian.core import scope
from dangjian.territory.models import Area, Household
from tests.cases.helpers import at, visit_team

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 6, 9)


@pytest.fixture
def team(world):
    return visit_team(world, staff_ids=[world.users["street"].pk])


def record(world, team, label, day, **kw):
    return visits.visit_record(
        actor=kw.pop("actor", world.users["grid"]),
        team=team,
        area=kw.pop("area", world.unit),
        household_label=label,
        visited_on=day,
        **kw,
    )


def test_week_of_is_the_monday():
    assert visits.week_of(dt.date(2025, 6, 9)) == MONDAY
    assert visits.week_of(dt.date(2025, 6, 15)) == MONDAY  # Sunday: same week
    assert visits.week_of(dt.date(2025, 6, 16)) == dt.date(2025, 6, 16)


def test_team_created_by_the_secretary_with_members_and_staff(world, team):
    assert team.area_id == world.community.pk and team.area_path == world.community.path
    assert list(team.members.all()) == [world.users["grid"]]
    assert list(team.staff.all()) == [world.users["street"]]
    assert team.weekday == 3


def test_team_refusals_name_the_field(world, team):
    with pytest.raises(ValidationError) as exc:
        visits.team_create(
            actor=world.users["community"],
            area=world.community,
            name="龙桥社区第一走访组",
            weekday=8,
            member_ids=[world.users["street3"].pk],
        )
    errors = exc.value.message_dict
    assert set(errors) == {"name", "weekday", "member_ids"}
    assert "同名" in errors["name"][0] and "1（周一）到7（周日）" in errors["weekday"][0]
    with pytest.raises(ValidationError) as exc:
        visits.team_create(actor=world.users["community"], area=world.grid, name="网格组")
    assert "须建在村或社区" in exc.value.message_dict["area_id"][0]
    with pytest.raises(ValidationError) as exc:
        visits.team_create(actor=world.users["community"], area=world.community, name="空组")
    assert "至少要有一名成员" in exc.value.message_dict["member_ids"][0]
    assert VisitTeam.objects.count() == 1


def test_team_scope_grid_worker_and_other_county(world):
    # The grid worker does not reach the community; the other county does not see it at all.
    for key in ("grid", "street3"):
        with pytest.raises(Http404):
            visits.team_create(
                actor=world.users[key],
                area=world.community,
                name="越权组",
                member_ids=[world.users["grid"].pk],
            )
    # A resident sees nothing to dispatch over: 404 as well.
    with pytest.raises(Http404):
        visits.team_create(actor=world.users["resident"], area=world.community, name="组")
    assert not VisitTeam.objects.exists()


def test_requests_raised_on_a_visit_become_events(world, team):
    with time_machine.travel(at(2025, 6, 11, 10, 0), tick=False):
        r = record(
            world,
            team,
            "1号楼302室",
            dt.date(2025, 6, 11),
            notes="老人独居，身体尚可",
            requests=["楼道的路灯坏了好几天", "想咨询高龄津贴怎么申请"],
        )
    events = list(r.events.order_by("pk"))
    assert [e.description for e in events] == ["楼道的路灯坏了好几天", "想咨询高龄津贴怎么申请"]
    for e in events:
        assert e.source == Source.VISIT
        assert e.state == State.COLLECTED
        assert e.area_id == world.unit.pk and e.reporter_id == world.users["grid"].pk
        assert e.place == "1号楼302室"
        assert e.steps.get().action == "collect"
    assert r.week == MONDAY and r.village_id == world.community.pk
    assert r.household_key.startswith(f"a{world.unit.pk}:")


def test_a_bad_request_refuses_the_whole_visit(world, team):
    with pytest.raises(ValidationError) as exc:
        record(world, team, "1号楼302室", dt.date(2025, 6, 11), requests=["路灯坏了很久", "坏"])
    assert "第2条诉求不能少于5个字" in exc.value.message_dict["requests.1"][0]
    assert not VisitRecord.objects.exists() and not Event.objects.exists()


def test_visit_refusals(world, team):
    today = dt.date.today()
    with pytest.raises(ValidationError) as exc:
        record(
            world,
            team,
            "",
            today + dt.timedelta(days=1),
            actor=world.users["street"],
            area=world.community,
        )
    errors = exc.value.message_dict
    assert set(errors) == {"area_id", "household_label", "visited_on"}
    assert "须在网格或单元内" in errors["area_id"][0]
    assert "不能晚于今天" in errors["visited_on"][0]
    # A grid of another community of the same county: outside the team's village.
    other = Area.objects.create(
        parent=world.community2,
        name="凤山社区第一网格",
        kind="grid",
        level=5,
        path=world.community2.path + "0001",
        depth=world.community2.depth + 1,
    )
    with pytest.raises(ValidationError) as exc:
        record(world, team, "3号", today, actor=world.users["county"], area=other)
    assert "不在“龙桥社区”范围内" in exc.value.message_dict["area_id"][0]
    # The other county: 404, nothing written.
    with pytest.raises(Http404):
        record(world, team, "3号", today, actor=world.users["street3"])
    # A resident may not record visits: 403 (the team is visible to them? no: 404).
    with pytest.raises((Http404, scope.Forbidden)):
        record(world, team, "3号", today, actor=world.users["resident"])
    assert not VisitRecord.objects.exists()


def test_coverage_arithmetic(world, team, api):
    Area.objects.filter(pk=world.community.pk).update(households=4)
    hh = Household.objects.create(unit=world.unit, area_path=world.unit.path, door="1号楼101室")
    with time_machine.travel(at(2025, 6, 20, 10, 0), tick=False):
        # Week of 06-09: A twice (counts once), B as a listed household, C spaced differently.
        record(world, team, "1号楼302室", dt.date(2025, 6, 9))
        record(world, team, "1号楼 302室", dt.date(2025, 6, 12))
        visits.visit_record(
            actor=world.users["grid"], team=team, household=hh, visited_on=dt.date(2025, 6, 10)
        )
        # Week of 06-02: one household.
        record(world, team, "1号楼302室", dt.date(2025, 6, 5))
        # Week of 06-16: the grid level, another door.
        record(world, team, "2号", dt.date(2025, 6, 16), area=world.grid)
        api.get(world.users["county"], "/api/v1/cases/visits/coverage/")  # token issued
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(
                world.users["county"],
                "/api/v1/cases/visits/coverage/",
                week="2025-06-20",
                weeks=3,
            )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["weeks"] == ["2025-06-02", "2025-06-09", "2025-06-16"]
    row = next(i for i in body["items"] if i["id"] == world.community.pk)
    assert row["households"] == 4
    assert [(c["visited"], c["coverage"]) for c in row["weeks"]] == [
        (1, 0.25),
        (2, 0.5),
        (1, 0.25),
    ]
    assert len(ctx.captured_queries) <= 6  # token, user, grants, count, page, coverage
    # A village with no households on file: coverage null, not a division by zero.
    other = next(i for i in body["items"] if i["id"] != world.community.pk)
    assert other["households"] == 0 and other["weeks"][0]["coverage"] is None


def test_coverage_bounds(world, api):
    u = world.users["community"]
    assert api.get(u, "/api/v1/cases/visits/coverage/", weeks=13).status_code == 422
    assert api.get(u, "/api/v1/cases/visits/coverage/", weeks=0).status_code == 422
    assert api.get(u, "/api/v1/cases/visits/coverage/", weeks=12).status_code == 200
    r = api.get(u, "/api/v1/cases/visits/coverage/", week="1999-12-31")
    assert r.status_code == 422 and "week" in r.json()["errors"]


def test_api_teams_and_records_scope_and_queries(world, api, team):
    grid = world.users["grid"]
    r = api.post(
        grid,
        "/api/v1/cases/visits/records/",
        {
            "team_id": team.pk,
            "area_id": world.unit.pk,
            "household_label": "1号楼502室",
            "notes": "反映电梯噪音",
            "requests": ["电梯运行时噪音很大，晚上扰民"],
        },
    )
    assert r.status_code == 200, r.content
    rec = r.json()
    assert rec["team_name"] == "龙桥社区第一走访组" and len(rec["events"]) == 1
    for i in range(5):
        record(world, team, f"1号楼{i}01室", dt.date.today())
    for u in ("community", "street"):  # tokens issued before counting
        api.get(world.users[u], "/api/v1/cases/visits/teams/")
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(world.users["community"], "/api/v1/cases/visits/records/", page_size=50)
    assert r.status_code == 200 and r.json()["count"] == 6
    assert len(ctx.captured_queries) <= 7  # token, user, grants, count, page, events
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(world.users["street"], "/api/v1/cases/visits/teams/")
    assert r.json()["count"] == 1 and r.json()["items"][0]["members"][0]["id"] == grid.pk
    assert len(ctx.captured_queries) <= 7  # token, user, grants, count, page, members, staff
    # The other county sees none of it.
    outsider = world.users["street3"]
    assert api.get(outsider, "/api/v1/cases/visits/records/").json()["count"] == 0
    assert api.get(outsider, "/api/v1/cases/visits/teams/").json()["count"] == 0
    assert api.get(outsider, f"/api/v1/cases/visits/teams/{team.pk}").status_code == 404
    assert api.get(outsider, f"/api/v1/cases/visits/records/{rec['id']}").status_code == 404
    cov = api.get(outsider, "/api/v1/cases/visits/coverage/").json()
    assert world.community.pk not in [i["id"] for i in cov["items"]]
    # Anonymous: 401.
    assert api.get(None, "/api/v1/cases/visits/teams/").status_code == 401


def test_api_refusals_are_422_with_chinese_fields(world, api, team):
    r = api.post(
        world.users["grid"],
        "/api/v1/cases/visits/records/",
        {"team_id": team.pk, "area_id": world.unit.pk, "household_label": "", "requests": ["短"]},
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert "household_label" in errors and "requests.0" in errors
    r = api.post(
        world.users["community"],
        "/api/v1/cases/visits/teams/",
        {"area_id": world.community.pk, "name": "", "member_ids": [world.users["grid"].pk]},
    )
    assert r.status_code == 422 and "name" in r.json()["errors"]
    assert VisitRecord.objects.count() == 0 and VisitTeam.objects.count() == 1


def test_console_page_lists_visits_and_coverage(world, team, client):
    Area.objects.filter(pk=world.community.pk).update(households=10)
    today = dt.date.today()
    record(world, team, "1号楼302室", today, notes="反映楼道灯不亮")
    record(world, team, "1号楼402室", today)
    client.force_login(world.users["community"])
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/cases/visits/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "走访覆盖率" in page and "龙桥社区第一走访组" in page and "1号楼302室" in page
    assert "2户（20%）" in page  # this week: 2 of 10 households
    # No query per row: more records, teams and events cost nothing more.
    for i in range(4):
        record(world, team, f"2号楼{i}02室", today, requests=[f"第{i}单元门口路灯不亮了"])
    visits.team_create(
        actor=world.users["community"],
        area=world.community,
        name="第二走访组",
        member_ids=[world.users["grid"].pk],
    )
    with CaptureQueriesContext(connection) as ctx2:
        assert client.get("/cases/visits/").status_code == 200
    assert len(ctx2.captured_queries) <= len(ctx.captured_queries) <= 20
    # The other county: no rows of the first, and its community reads 404.
    client.force_login(world.users["street3"])
    page = client.get("/cases/visits/").content.decode()
    assert "1号楼302室" not in page and "龙桥社区第一走访组" not in page
    assert client.get(f"/cases/visits/?area={world.community.pk}").status_code == 404
    client.logout()
    assert client.get("/cases/visits/").status_code in (302, 401)
