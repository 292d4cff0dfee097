"""Before and after an election (cadres.elections): age, the 35/40 shares, college degree,
women, 一肩挑 and 交叉任职 of the old committee against the new one, for one election and
pooled over a year, in scope."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from dangjian.cadres.models import Cadre
from dangjian.members.committee_services import committee_record
from dangjian.members.models import Member
from tests.orglife.helpers import people

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(timezone.make_aware(dt.datetime(2026, 7, 9, 10)), tick=False):
        yield


def set_people(members, births, genders, educations):
    for m, b, g, e in zip(members, births, genders, educations, strict=True):
        Member.objects.filter(pk=m.pk).update(birth_date=b, gender=g, education=e)


def cadre(world, m, *, one_shoulder=False, cross=False, start=dt.date(2021, 3, 1), end=None):
    v = world.nodes["village"]
    return Cadre.objects.create(
        name=m.name,
        member=m,
        area=v,
        area_path=v.path,
        committee="party",
        position="secretary" if one_shoulder else "member",
        one_shoulder=one_shoulder,
        cross_holding=cross,
        gender="male",
        birth_date=dt.date(1970, 1, 1),
        education="bachelor",
        term_start=start,
        term_end=dt.date(2026, 2, 28),
        ended_on=end,
    )


@pytest.fixture
def election(world):
    """园头村第一党支部: old committee 2021-03-01 (three men aged 56, 51, 46 on the eve, no
    college), new committee 2026-03-01 (ages 34, 39, 50 on the day; two with college, one
    woman); the new secretary is 一肩挑 and one new member cross-holds."""
    staff = world.users["county"]
    branch = world.orgs["village_branch"]
    ms = people(branch, 8)
    set_people(
        ms[:6],
        [dt.date(y, 1, 1) for y in (1970, 1975, 1980, 1992, 1987, 1976)],
        ["male", "male", "male", "female", "male", "male"],
        [
            "high_school",
            "secondary_vocational",
            "junior_high",
            "bachelor",
            "college",
            "high_school",
        ],
    )
    seat = lambda group: [  # noqa: E731
        {"member_id": m.pk, "post": "secretary" if i == 0 else "member"}
        for i, m in enumerate(group)
    ]
    old = committee_record(
        actor=staff, org=branch, term_start=dt.date(2021, 3, 1), seats=seat(ms[:3])
    )
    cadre(world, ms[0], one_shoulder=False, end=dt.date(2026, 2, 28))
    new = committee_record(
        actor=staff, org=branch, term_start=dt.date(2026, 3, 1), seats=seat(ms[3:6])
    )
    cadre(world, ms[3], one_shoulder=True, start=dt.date(2026, 4, 1))
    cadre(world, ms[4], cross=True, start=dt.date(2026, 4, 1))
    return branch, old, new


def test_one_election_before_and_after(api, world, election):
    branch, old, new = election
    url = f"/api/v1/orgs/{branch.pk}/elections/{new.pk}/comparison"
    r = api.get(world.users["county"], url)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["village_or_community"] is True
    assert body["old_committee"]["id"] == old.pk and body["old_committee"]["as_of"] == "2026-02-28"
    o, n, ch = body["old"], body["new"], body["change"]
    assert (o["average_age"], n["average_age"]) == (51.0, 41.0)
    assert ch["average_age"] == -10.0
    assert (o["aged_35_or_under"], n["aged_35_or_under"], n["aged_40_or_under"]) == (0, 1, 2)
    assert (o["college_share"], n["college_share"]) == (0.0, 0.6667)
    assert (o["women"], n["women"], n["women_share"]) == (0, 1, 0.3333)
    assert (o["one_shoulder"], n["one_shoulder"], n["one_shoulder_rate"]) == (0, 1, 1.0)
    assert (o["cross_holding"], n["cross_holding"], n["cross_holding_rate"]) == (0, 1, 0.3333)
    # The first committee has nothing to compare with.
    first = api.get(
        world.users["county"], f"/api/v1/orgs/{branch.pk}/elections/{old.pk}/comparison"
    )
    assert first.json()["old"] is None and first.json()["change"] is None
    # Another committee's id under this organization, and an outsider: 404.
    other = f"/api/v1/orgs/{world.orgs['grid_branch'].pk}/elections/{new.pk}/comparison"
    assert api.get(world.users["county"], other).status_code == 404
    assert api.get(world.users["street3"], url).status_code == 404


def test_a_year_pooled(api, world, election, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        r = api.get(world.users["county"], "/api/v1/elections/comparison", year=2026)
    body = r.json()
    assert r.status_code == 200, body
    assert (
        body["elections"],
        body["first_committees"],
        body["village_or_community_elections"],
    ) == (1, 0, 1)
    assert body["new"]["average_age"] == 41.0 and body["old"]["average_age"] == 51.0
    empty = api.get(world.users["county"], "/api/v1/elections/comparison", year=2021).json()
    assert (empty["elections"], empty["first_committees"]) == (0, 1)
    out = api.get(world.users["street3"], "/api/v1/elections/comparison", year=2026).json()
    assert out["elections"] == 0 and out["new"]["seats"] == 0
    assert (
        api.get(world.users["county"], "/api/v1/elections/comparison", year=1999).status_code == 422
    )


def test_console_org_page_shows_the_comparison(client, world, election):
    branch, _old, _new = election
    client.force_login(world.users["county"])
    page = client.get(f"/orgs/{branch.pk}/").content.decode()
    assert "换届前后对比" in page
    assert "51.0" in page and "41.0" in page and "-10.0岁" in page
    assert "66.7%" in page and "+66.7个百分点" in page
    assert "应换届日期 2031-02-28" in page
    client.force_login(world.users["street3"])
    assert client.get(f"/orgs/{branch.pk}/").status_code == 404
