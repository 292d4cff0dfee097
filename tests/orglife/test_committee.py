"""The committee as elected (members.committee_*): recording a term with its checks, the API,
and the committee meeting's quorum counted against it (not against the session's roster)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.members.committee_services import committee_record
from dangjian.members.models.committee import CommitteeSeat, OrgCommittee
from dangjian.organizations.models import OrgDomain, OrgKind
from dangjian.orglife import services
from tests.orglife.helpers import at, hold, people, schedule, seat_committee
from tests.world import org

pytestmark = pytest.mark.django_db
START = dt.date(2026, 1, 10)


def seats(members, *, secretary=0, full_time=False):
    return [
        {
            "member_id": m.pk,
            "post": "secretary" if i == secretary else "member",
            "full_time": full_time and i == secretary,
        }
        for i, m in enumerate(members)
    ]


@pytest.fixture
def staff(world):
    return world.users["street"]


def record(staff, branch, members, **kw):
    kw.setdefault("term_start", START)
    return committee_record(actor=staff, org=branch, seats=seats(members), **kw)


def test_a_committee_of_three_to_seven_is_recorded_with_its_term(staff, branch, ten):
    c = record(staff, branch, ten[:3])
    # A community branch: 5 years, ending the day before the anniversary.
    assert (c.term_start, c.term_end, c.status) == (START, dt.date(2031, 1, 9), "current")
    assert [(s.member_id, s.post) for s in c.seats.order_by("id")] == [
        (ten[0].pk, "secretary"),
        (ten[1].pk, "member"),
        (ten[2].pk, "member"),
    ]
    log = AuditEntry.objects.filter(action="members.committee.record").get()
    assert log.after["term_end"] == "2031-01-09" and len(log.after["seats"]) == 3
    c7 = record(staff, branch, ten[:7], term_start=dt.date(2026, 6, 1))
    assert c7.seats.count() == 7
    c.refresh_from_db()
    assert (c.status, c.ended_on) == ("past", dt.date(2026, 5, 31))
    assert set(c.seats.values_list("ends_on", flat=True)) == {dt.date(2026, 5, 31)}


@pytest.mark.parametrize("n", [2, 8])
def test_a_committee_outside_three_to_seven_is_refused(staff, branch, ten, n):
    more = ten + people(branch, 1)
    with pytest.raises(ValidationError) as exc:
        record(staff, branch, more[:n])
    assert f"现为{n}人" in exc.value.message_dict["seats"][0]
    assert not OrgCommittee.objects.exists() and not CommitteeSeat.objects.exists()


def test_one_secretary_required(staff, branch, ten):
    with pytest.raises(ValidationError) as exc:
        committee_record(
            actor=staff,
            org=branch,
            term_start=START,
            seats=[{"member_id": m.pk, "post": "member"} for m in ten[:3]],
        )
    assert exc.value.message_dict["seats"] == ["须有一名书记"]
    with pytest.raises(ValidationError) as exc:
        committee_record(
            actor=staff,
            org=branch,
            term_start=START,
            seats=[{"member_id": m.pk, "post": "secretary"} for m in ten[:3]],
        )
    assert exc.value.message_dict["seats"] == ["书记只能有一名"]
    assert not OrgCommittee.objects.exists()


def test_seats_are_full_members_of_the_organization(world, staff, branch, ten):
    probationary = people(branch, 1, status="probationary")[0]
    elsewhere = people(world.orgs["unit_group"], 1)[0]  # a group of the branch: inside
    outsider = people(world.orgs["community_committee"], 1)[0]
    with pytest.raises(ValidationError) as exc:
        record(staff, branch, [*ten[:2], probationary, outsider])
    errors = exc.value.message_dict
    assert errors["seats[2].member_id"] == [f"{probationary.name}不是正式党员，不能当选委员"]
    assert errors["seats[3].member_id"] == [f"党员{outsider.pk}不是本组织的党员"]
    assert record(staff, branch, [*ten[:2], elsewhere]).seats.count() == 3


def test_fewer_than_seven_full_members_elect_a_secretary_and_deputy(world, staff):
    small = org(world.orgs["street_wc"], "小支部", OrgKind.BRANCH, world.nodes["grid"])
    six = people(small, 6)
    with pytest.raises(ValidationError) as exc:
        record(staff, small, six[:3])
    assert "不足7人" in exc.value.message_dict["seats"][0]
    c = committee_record(
        actor=staff,
        org=small,
        term_start=START,
        seats=[
            {"member_id": six[0].pk, "post": "secretary"},
            {"member_id": six[1].pk, "post": "deputy_secretary"},
        ],
    )
    assert c.seats.count() == 2


def test_term_by_kind_and_domain(world, staff):
    agency = org(
        world.orgs["street_wc"],
        "机关支部",
        OrgKind.BRANCH,
        world.nodes["street"],
        domain=OrgDomain.AGENCY,
    )
    c = record(staff, agency, people(agency, 7)[:3])
    assert c.term_end == dt.date(2029, 1, 9)  # other branches: 3 years


def test_a_new_term_must_start_after_the_current_one(staff, branch, ten):
    record(staff, branch, ten[:3])
    with pytest.raises(Conflict):
        record(staff, branch, ten[3:6], term_start=START)
    assert OrgCommittee.objects.count() == 1


def test_api_get_and_post(api, staff, branch, ten):
    url = f"/api/v1/orgs/{branch.pk}/committee"
    assert api.get(staff, url).json()["current"] is None
    r = api.post(
        staff,
        url,
        {"term_start": "2026-01-10", "seats": seats(ten[:3], full_time=True)},
    )
    assert r.status_code == 201, r.json()
    body = api.get(staff, url).json()
    assert body["term_years"] == 5 and body["full_members"] == 10
    cur = body["current"]
    assert (cur["term_start"], cur["term_end"]) == ("2026-01-10", "2031-01-09")
    assert [(s["name"], s["post_label"], s["full_time"]) for s in cur["seats"]] == [
        (ten[0].name, "书记", True),
        (ten[1].name, "委员", False),
        (ten[2].name, "委员", False),
    ]
    r = api.post(staff, url, {"term_start": "2026-02-01", "seats": seats(ten[:2])})
    assert r.status_code == 422 and "现为2人" in r.json()["detail"]


def test_api_denials_change_nothing(api, world, branch, ten):
    url = f"/api/v1/orgs/{branch.pk}/committee"
    body = {"term_start": "2026-01-10", "seats": seats(ten[:3])}
    # The community secretary sees the branch but does not manage organizations.
    assert api.post(world.users["community"], url, body).status_code == 403
    assert api.get(world.users["community"], url).status_code == 200
    # Another county's staff do not see it at all.
    assert api.post(world.users["street3"], url, body).status_code == 404
    assert api.get(world.users["street3"], url).status_code == 404
    assert not OrgCommittee.objects.exists()


# --- the committee meeting's quorum ----------------------------------------------------------


def test_committee_meeting_roster_is_the_committee_as_elected(secretary, branch, ten):
    seat_committee(branch, ten[:4])
    s = schedule(secretary, branch, "committee_meeting", committee_ids=[ten[5].pk])
    roles = dict(s.attendances.values_list("member_id", "role"))
    assert roles == {
        ten[0].pk: "committee",
        ten[1].pk: "committee",
        ten[2].pk: "committee",
        ten[3].pk: "committee",
        ten[5].pk: "invitee",
    }


def _committee_meeting(secretary, branch, present):
    s = schedule(secretary, branch, "committee_meeting", start=at(2026, 3, 3))
    for m in present:
        services.attendance_mark(actor=secretary, session=s, member_id=m.pk, status="present")
    services.session_update(actor=secretary, session=s, minutes="会议记录：" + "讨论。" * 40)
    return services.session_close(actor=secretary, session=s, now=at(2026, 3, 3, 12))


def test_committee_quorum_exactly_half_is_not_enough(secretary, branch, ten):
    seat_committee(branch, ten[:4])
    s = _committee_meeting(secretary, branch, ten[:2])
    assert s.quorum_ok is False
    assert s.quorum_note == "委员4人，到会2人，未超过半数（至少需3人），支委会不能召开"


def test_committee_quorum_half_plus_one_sits(secretary, branch, ten):
    seat_committee(branch, ten[:4])
    s = _committee_meeting(secretary, branch, ten[:3])
    assert (s.quorum_ok, s.quorum_note) == (True, "")


def test_committee_quorum_counts_the_committee_not_the_roster(secretary, branch, ten):
    """Members listed beyond the committee do not make up the quorum."""
    seat_committee(branch, ten[:4])
    s = schedule(
        secretary, branch, "committee_meeting", start=at(2026, 3, 3), committee_ids=[ten[6].pk]
    )
    for m in (ten[0], ten[1], ten[6]):
        services.attendance_mark(actor=secretary, session=s, member_id=m.pk, status="present")
    c = services.counts(s)
    assert (c["seats"], c["seats_present"]) == (4, 2)
    assert not services.validity(s).valid


def test_committee_meeting_without_a_recorded_committee_cannot_be_validated(secretary, branch, ten):
    s = hold(
        secretary,
        branch,
        "committee_meeting",
        at(2026, 3, 3),
        committee_ids=[m.pk for m in ten[:3]],
        present_all=True,
    )
    assert s.quorum_ok is False
    assert "本组织未登记会议当日在任的委员会" in s.quorum_note


def test_the_committee_serving_on_the_session_date_counts(secretary, branch, ten):
    """A committee whose term starts after the session does not count for it."""
    seat_committee(branch, ten[:4], term_start=dt.date(2026, 4, 1))
    s = schedule(
        secretary,
        branch,
        "committee_meeting",
        start=at(2026, 3, 3),
        committee_ids=[m.pk for m in ten[:3]],
    )
    assert services.counts(s)["committee_recorded"] == 0


# --- console ---------------------------------------------------------------------------------


def test_console_org_page_and_committee_page(client, world, staff, branch, ten):
    client.force_login(staff)
    page = client.get(f"/orgs/{branch.pk}/").content.decode()
    assert "尚未登记委员会" in page and f"/members/committees/{branch.pk}/" in page
    form = {"term_start": "2026-01-10", "elected_on": "2026-01-08"}
    for i, (m, post) in enumerate([(ten[0], "secretary"), (ten[1], "organization")]):
        form |= {f"member_{i}": str(m.pk), f"post_{i}": post}
    r = client.post(f"/members/committees/{branch.pk}/", form)
    assert r.status_code == 422 and "现为2人" in r.content.decode()
    assert not OrgCommittee.objects.exists()
    form |= {"member_2": str(ten[2].pk), "post_2": "member", "full_time_0": "1"}
    r = client.post(f"/members/committees/{branch.pk}/", form)
    assert r.status_code == 302
    page = client.get(f"/orgs/{branch.pk}/").content.decode()
    assert f"{ten[0].name}（书记，专职）" in page and f"{ten[1].name}（组织委员）" in page
    # The community secretary sees the committee but may not record one.
    client.force_login(world.users["community"])
    page = client.get(f"/members/committees/{branch.pk}/").content.decode()
    assert "2026-01-10 至 2031-01-09" in page and "登记新一届委员会" not in page
    assert client.post(f"/members/committees/{branch.pk}/", form).status_code == 403
    assert OrgCommittee.objects.count() == 1
