"""DOMAIN.md 党课: "secretaries give one party lesson a year", checked per branch: the serving
party secretary of the village or community the branch is anchored to (members.Cadre) must
host a held party lesson in the year; done / due / missed, counted in the colour, shown on the
board, the drill-down and the compliance API, with one query for a whole board."""

import datetime as dt

import pytest
import time_machine

from dangjian.cadres.models import Cadre
from dangjian.orglife import compliance
from dangjian.territory.models import AreaKind
from tests.orglife.helpers import at, hold, people
from tests.world import area, org

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def travel(y, m, d, hh=10):
    return time_machine.travel(dt.datetime(y, m, d, hh, tzinfo=TZ), tick=False)


def village_branch(world, name="中共凤山社区支部委员会", *, area=None, secretary=True, linked=True):
    """A community branch anchored to 凤山社区 (or ``area``) with its serving party secretary."""
    area = area or world.community2
    b = org(world.orgs["street2_wc"], name, "branch", area)
    members = people(b, 3)
    if secretary:
        Cadre.objects.filter(area=area, position="secretary", ended_on__isnull=True).update(
            ended_on=dt.date(2025, 12, 31)
        )
        Cadre.objects.create(
            name=members[0].name,
            member=members[0] if linked else None,
            area=area,
            area_path=area.path,
            committee="party",
            position="secretary",
            gender="male",
            birth_date=dt.date(1975, 5, 1),
            education="bachelor",
            term_start=dt.date(2021, 6, 1),
            term_end=dt.date(2026, 6, 1),
        )
    return b, members


@pytest.fixture
def county(world):
    return world.users["county"]


def lesson_of(user, b, period="2026", today=None):
    d = compliance.branch_detail(user, org=b.pk, period=period, today=today)
    return d["branch"]["secretary_lesson"], d["branch"]


def test_due_during_the_year_missed_after_it_done_when_the_secretary_hosts(world, county):
    b, members = village_branch(world)
    lesson, row = lesson_of(county, b, today=dt.date(2026, 12, 31))
    assert lesson["status"] == "due" and lesson["secretary_name"] == members[0].name
    # a lesson hosted by another member does not count
    hold(county, b, "party_lesson", at(2026, 6, 1), host=members[1])
    lesson, row = lesson_of(county, b, today=dt.date(2027, 1, 1))
    assert lesson["status"] == "missed" and lesson["status_label"] == "未完成"
    assert {"session_type": "secretary_lesson", "period": "2026"} in [
        {k: m[k] for k in ("session_type", "period")} for m in row["missing"]
    ]
    missed_before = row["missed"]
    # the secretary hosts one: done, and no longer missed
    hold(county, b, "party_lesson", at(2026, 9, 1), host=members[0])
    lesson, row = lesson_of(county, b, period="2026-Q4", today=dt.date(2027, 1, 1))
    assert lesson["status"] == "done" and lesson["held"] == 1 and lesson["period"] == "2026"
    assert not any(m["session_type"] == "secretary_lesson" for m in row["missing"])
    # a lesson in another year does not count for this one
    lesson, _ = lesson_of(county, b, period="2025", today=dt.date(2027, 1, 1))
    assert lesson["status"] == "missed"
    _, row = lesson_of(county, b, today=dt.date(2027, 1, 1))
    assert row["missed"] == missed_before - 2  # the third quarter's lesson and the secretary's


def test_without_a_secretary_or_a_member_file_it_is_shown_and_not_counted(world, county, branch):
    people(branch, 3)
    lesson, row = lesson_of(county, branch, today=dt.date(2027, 1, 1))
    assert lesson["status"] == "none" and lesson["status_label"] == "未登记书记"
    b, _ = village_branch(world, linked=False)
    lesson, row = lesson_of(county, b, today=dt.date(2027, 1, 1))
    assert lesson["status"] == "unlinked"
    assert not any(m["session_type"] == "secretary_lesson" for m in row["missing"])


def test_api_and_console_show_it(client, api, world, county):
    b, members = village_branch(world)
    hold(county, b, "party_lesson", at(2026, 3, 1), host=members[0])
    with travel(2026, 4, 1):
        r = api.get(county, "/api/v1/orglife/compliance/branch", org=b.pk, period="2026-Q1")
        assert r.status_code == 200
        lesson = r.json()["branch"]["secretary_lesson"]
        assert lesson["status"] == "done" and lesson["secretary_name"] == members[0].name
        board = api.get(county, "/api/v1/orglife/compliance/", org=b.pk, period="2026").json()
        assert board["branches"][0]["secretary_lesson"]["status_label"] == "已完成"
        client.force_login(county)
        html = client.get(f"/orglife/compliance/branch/{b.pk}/", {"period": "2026"}).content
        html = html.decode()
        assert "书记讲党课（2026年）" in html and members[0].name in html
        assert "已召开 1 次" in html
        html = client.get(
            "/orglife/compliance/", {"org": world.orgs["street2_wc"].pk, "period": "2026"}
        ).content.decode()
        assert "书记讲党课" in html and f"已完成（{members[0].name}）" in html


def test_board_page_is_a_fixed_number_of_queries(client, world, county, django_assert_num_queries):
    """One query for the secretaries of every branch on the board, whatever their number."""
    b, members = village_branch(world)
    hold(county, b, "party_lesson", at(2026, 3, 1), host=members[0])
    client.force_login(county)
    url = "/orglife/compliance/"
    params = {"org": world.orgs["street2_wc"].pk, "period": "2026"}
    client.get(url, params)  # warm the grant cache
    with django_assert_num_queries(14):
        assert client.get(url, params).status_code == 200
    for i in range(3):
        community = area(world.street2, f"凤凰第{i}社区", AreaKind.COMMUNITY)
        vb, ms = village_branch(world, f"凤凰第{i}社区党支部", area=community)
        hold(county, vb, "party_lesson", at(2026, 4, 1 + i), host=ms[0])
    with django_assert_num_queries(14):
        html = client.get(url, params).content.decode()
    assert html.count("已完成（") == 4
