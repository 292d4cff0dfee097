"""Statistics for a node of either tree: exact counts on a hand-built set."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.members.models import Member
from tests.members.helpers import id_no, member

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def counts(section) -> dict:
    return {i["code"]: i["count"] for i in section if i["count"]}


@pytest.fixture
def people(world):
    u, o = world.users["street"], world.orgs
    with time_machine.travel(TODAY, tick=False):
        member(
            u,
            o["grid_branch"],
            name="一",
            id_number=id_no("19900101", 1),
            education="bachelor",
            occupation="worker",
            joined_on=dt.date(2015, 7, 1),
            confirmed_on=dt.date(2016, 7, 1),
            categories=["in_service"],
            unit=world.unit,
        )
        member(
            u,
            o["unit_group"],
            name="二",
            id_number=id_no("19500505", 2, female=True),
            ethnicity="03",
            education="high_school",
            occupation="retired",
            joined_on=dt.date(1975, 1, 1),
            confirmed_on=dt.date(1976, 1, 1),
            categories=["retired", "in_difficulty"],
            unit=world.grid2,
        )
        member(
            u,
            o["community_committee"],
            name="三",
            id_number=id_no("20000301", 3, female=True),
            education="master",
            occupation="student",
            joined_on=dt.date(2025, 1, 1),
            confirmed_on=None,
            status="probationary",
            categories=["student"],
        )
        member(
            u,
            o["street_wc"],
            name="四",
            id_number=id_no("19600602", 4),
            joined_on=dt.date(1985, 3, 3),
            confirmed_on=dt.date(1986, 3, 3),
            status="suspended",
        )
        member(
            u,
            o["grid_branch"],
            name="七",
            id_number=id_no("19250101", 7),
            joined_on=dt.date(1948, 1, 1),
            confirmed_on=dt.date(1949, 1, 1),
            status="deceased",
        )
        member(world.users["admin"], o["street2_wc"], name="五", id_number=id_no("19700101", 5))
        gone = member(u, o["grid_branch"], name="六", id_number=id_no("19700101", 6))
        Member.objects.filter(pk=gone.pk).update(left_on=dt.date(2026, 1, 1))


def test_counts_for_an_org_subtree_are_exact(world, api, people):
    with time_machine.travel(TODAY, tick=False):
        r = api.get(world.users["street"], "/api/v1/stats/members", org=world.orgs["street_wc"].pk)
    assert r.status_code == 200, r.content
    s = r.json()
    assert s["node"] == {
        "type": "org",
        "id": world.orgs["street_wc"].pk,
        "name": "中共龙桥街道工作委员会",
    }
    assert s["total"] == 5
    assert counts(s["by_status"]) == {"probationary": 1, "full": 2, "suspended": 1, "deceased": 1}
    assert counts(s["by_gender"]) == {"male": 3, "female": 2}
    assert counts(s["by_ethnicity"]) == {"01": 4, "03": 1}
    assert counts(s["by_age_band"]) == {"le30": 1, "31_40": 1, "61_70": 1, "ge71": 2}
    assert counts(s["by_education"]) == {"bachelor": 1, "master": 1, "high_school": 1, "": 2}
    assert counts(s["by_occupation"]) == {"worker": 1, "retired": 1, "student": 1, "": 2}
    assert counts(s["by_category"]) == {
        "in_service": 1,
        "retired": 1,
        "in_difficulty": 1,
        "student": 1,
    }
    assert counts(s["by_join_period"]) == {
        "before_1949_10": 1,
        "1966_05_1976_10": 1,
        "1979_01_2002_10": 1,
        "2012_11_now": 2,
    }
    assert s["by_age_band"][0]["label"] == "30岁及以下"
    with time_machine.travel(TODAY, tick=False):
        s = api.get(
            world.users["street"], "/api/v1/stats/members", org=world.orgs["grid_branch"].pk
        ).json()
    assert s["total"] == 3  # 一, 二 (in the unit group below) and 七; 六 left the system


def test_area_counts_residence_within_the_users_member_scope(world, api, people):
    with time_machine.travel(TODAY, tick=False):
        s = api.get(world.users["street"], "/api/v1/stats/members", area=world.grid.pk).json()
        assert (s["node"]["type"], s["total"]) == ("area", 1)
        s = api.get(world.users["street"], "/api/v1/stats/members", area=world.community.pk).json()
        assert s["total"] == 2 and counts(s["by_gender"]) == {"male": 1, "female": 1}
        # The community secretary sees the residents' counts only for members of its own tree.
        s = api.get(
            world.users["community"], "/api/v1/stats/members", area=world.community.pk
        ).json()
        assert s["total"] == 2
        s = api.get(
            world.users["admin"], "/api/v1/stats/members", org=world.orgs["city_committee"].pk
        ).json()
        assert s["total"] == 6
        assert api.get(world.users["street"], "/api/v1/stats/members").json()["total"] == 5


def test_out_of_scope_nodes_read_as_absent(world, api, people):
    u = world.users["street3"]
    r = api.get(u, "/api/v1/stats/members", org=world.orgs["street_wc"].pk)
    assert r.status_code == 404 and r.json() == {"detail": "未找到"}
    assert api.get(u, "/api/v1/stats/members", area=world.community.pk).status_code == 404
    assert api.get(u, "/api/v1/stats/members").json()["total"] == 0
    assert (
        api.get(
            world.users["street"], "/api/v1/stats/members", org=world.orgs["street2_wc"].pk
        ).status_code
        == 404
    )


def test_stats_queries_do_not_grow_with_members(world, api, people):
    u = world.users["admin"]
    path = "/api/v1/stats/members"
    api.get(u, path)

    def run():
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(u, path, org=world.orgs["city_committee"].pk)
        assert r.status_code == 200
        return len(ctx.captured_queries), r.json()["total"]

    few, n1 = run()
    for i in range(10):
        member(
            u,
            world.orgs["grid_branch"],
            name=f"加{i}",
            id_number=id_no("19800101", 100 + i),
            categories=["farmer"],
        )
    many, n2 = run()
    assert (n1, n2) == (6, 16)
    assert few == many
    assert few <= 14  # auth, the node, total and one GROUP BY per dimension
