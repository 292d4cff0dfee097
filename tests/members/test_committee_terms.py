"""Committees between elections and their terms: the composition boundaries (3, 5/6, 7/8
seats; 6/7 full members), term lengths as settings, the approved postponement (one year to
the day), seats ended and filled, the secretary's vacancy, and the elections-due list (the
6-month reminder to the day, overdue the day after the due date), in scope."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.members import committee_selectors as sel
from dangjian.members.committee_services import committee_record, term_years
from dangjian.members.committee_terms import (
    committee_postpone,
    committee_seat_add,
    committee_seat_end,
)
from dangjian.members.models.committee import CommitteeSeat, OrgCommittee
from dangjian.organizations.models import OrgDomain, OrgKind
from tests.orglife.helpers import people
from tests.world import org

pytestmark = pytest.mark.django_db
START = dt.date(2022, 1, 10)  # a community branch: 5 years, the term ends 2027-01-09
TODAY = dt.date(2026, 7, 9)


@pytest.fixture(autouse=True)
def today():
    moment = timezone.make_aware(dt.datetime(2026, 7, 9, 10, 0))
    with time_machine.travel(moment, tick=False):
        yield TODAY


@pytest.fixture
def branch(world):
    return world.orgs["grid_branch"]


@pytest.fixture
def ten(branch):
    return people(branch, 10)


@pytest.fixture
def staff(world):
    return world.users["street"]


def seats(members, posts=None):
    posts = posts or ["secretary"] + ["member"] * (len(members) - 1)
    return [{"member_id": m.pk, "post": p} for m, p in zip(members, posts, strict=True)]


def record(staff, o, members, start=START, posts=None):
    return committee_record(actor=staff, org=o, term_start=start, seats=seats(members, posts))


# --- composition -----------------------------------------------------------------------------


def test_five_seats_no_warning_six_and_seven_warn_eight_refused(staff, branch, ten):
    assert record(staff, branch, ten[:5]).warnings == []
    c6 = record(staff, branch, ten[:6], start=dt.date(2022, 2, 1))
    assert c6.warnings == ["委员会6人，超过5人（一般3至5人，最多7人）"]
    c7 = record(staff, branch, ten[:7], start=dt.date(2022, 3, 1))
    assert "委员会7人，超过5人" in c7.warnings[0]
    with pytest.raises(ValidationError) as exc:
        record(staff, branch, ten[:8], start=dt.date(2022, 4, 1))
    assert exc.value.message_dict["seats"] == ["正式党员10人，应选举委员3至5人（最多7人），现为8人"]
    assert OrgCommittee.objects.count() == 3


def test_seven_full_members_elect_a_committee_six_only_a_secretary(world, staff):
    small = org(world.orgs["street_wc"], "小支部", OrgKind.BRANCH, world.nodes["grid"])
    six = people(small, 6)
    with pytest.raises(ValidationError) as exc:
        record(staff, small, six[:3])
    assert "正式党员6人，不足7人" in exc.value.message_dict["seats"][0]
    people(small, 1)  # the seventh full member
    assert record(staff, small, six[:3]).seats.count() == 3


# --- term lengths ----------------------------------------------------------------------------


def test_term_lengths_are_settings(world, settings):
    wc = world.orgs["street_wc"]  # a street 党工委 (community sector), grassroots: 5 by default
    agency = org(wc, "机关支部", OrgKind.BRANCH, world.nodes["street"], OrgDomain.AGENCY)
    village = world.orgs["village_branch"]
    assert (term_years(wc), term_years(agency), term_years(village)) == (5, 3, 5)
    wc.term_years = 3
    assert term_years(wc) == 3
    wc.term_years = 6  # outside 3-5: the default
    assert term_years(wc) == 5
    settings.DANGJIAN = settings.DANGJIAN | {
        "COMMITTEE_TERM_YEARS_BRANCH": 4,
        "COMMITTEE_TERM_YEARS_GRASSROOTS": 4,
    }
    assert (term_years(wc), term_years(agency), term_years(village)) == (4, 4, 5)


# --- postponement ----------------------------------------------------------------------------


def postpone(staff, o, to, **kw):
    kw.setdefault("document_no", "龙委〔2026〕12号")
    kw.setdefault("document_date", dt.date(2026, 7, 1))
    return committee_postpone(actor=staff, org=o, postponed_to=to, **kw)


def test_postponement_at_most_one_year_to_the_day(staff, branch, ten):
    c = record(staff, branch, ten[:3])
    assert c.term_end == dt.date(2027, 1, 9)
    with pytest.raises(ValidationError) as exc:
        postpone(staff, branch, dt.date(2028, 1, 10))
    assert exc.value.message_dict["postponed_to"] == [
        "延期换届最长一年：不能晚于2028-01-09（任期届满2027-01-09）"
    ]
    with pytest.raises(ValidationError) as exc:
        postpone(staff, branch, dt.date(2027, 1, 9))
    assert "须晚于任期届满日2027-01-09" in exc.value.message_dict["postponed_to"][0]
    c.refresh_from_db()
    assert c.postponed_to is None
    assert not AuditEntry.objects.filter(action="members.committee.postpone").exists()
    c = postpone(staff, branch, dt.date(2028, 1, 9), reason="村(社区)集中换届")
    assert (c.postponed_to, c.due_on) == (dt.date(2028, 1, 9), dt.date(2028, 1, 9))
    log = AuditEntry.objects.get(action="members.committee.postpone")
    assert log.after["document_no"] == "龙委〔2026〕12号"


def test_postponement_needs_the_approval_and_a_committee(staff, branch, ten):
    with pytest.raises(Conflict):
        postpone(staff, branch, dt.date(2027, 6, 1))
    record(staff, branch, ten[:3])
    with pytest.raises(ValidationError) as exc:
        postpone(staff, branch, dt.date(2027, 6, 1), document_no=" ", document_date=None)
    assert exc.value.message_dict["document_no"] == ["请填写批准文号"]
    assert exc.value.message_dict["document_date"] == ["请填写日期"]


# --- seats between elections and the secretary's vacancy ---------------------------------------


def test_secretary_leaves_and_a_new_one_is_elected(staff, branch, ten):
    c = record(staff, branch, ten[:4])
    assert sel.secretary_vacancy(branch).vacant is False
    sec = c.seats.get(post="secretary")
    with pytest.raises(ValidationError) as exc:
        committee_seat_end(actor=staff, org=branch, seat_id=sec.pk, ends_on=TODAY, reason="")
    assert exc.value.message_dict["reason"] == ["请填写离任原因"]
    seat = committee_seat_end(
        actor=staff, org=branch, seat_id=sec.pk, ends_on=dt.date(2026, 3, 31), reason="调离"
    )
    assert seat.warnings == ["书记职务空缺，请及时补选"]
    v = sel.secretary_vacancy(branch)
    assert (v.vacant, v.since, v.days) == (True, dt.date(2026, 4, 1), 99)
    with pytest.raises(Conflict):
        committee_seat_end(actor=staff, org=branch, seat_id=sec.pk, ends_on=TODAY, reason="x")
    # A member already seated this term cannot take a second seat; a new secretary can.
    with pytest.raises(ValidationError) as exc:
        committee_seat_add(
            actor=staff, org=branch, member_id=ten[0].pk, post="secretary", starts_on=TODAY
        )
    assert "本届已任委员" in exc.value.message_dict["member_id"][0]
    committee_seat_add(
        actor=staff, org=branch, member_id=ten[5].pk, post="secretary", starts_on=TODAY
    )
    assert sel.secretary_vacancy(branch).vacant is False
    with pytest.raises(ValidationError) as exc:
        committee_seat_add(
            actor=staff, org=branch, member_id=ten[6].pk, post="secretary", starts_on=TODAY
        )
    assert exc.value.message_dict["post"] == ["本届委员会已有在任书记"]


def test_seat_add_stops_at_seven(staff, branch, ten):
    record(staff, branch, ten[:7])
    with pytest.raises(ValidationError) as exc:
        committee_seat_add(
            actor=staff, org=branch, member_id=ten[7].pk, post="member", starts_on=TODAY
        )
    assert exc.value.message_dict["member_id"] == ["委员会最多7人，现有7人"]
    assert CommitteeSeat.objects.count() == 7


def test_seat_end_below_three_warns(staff, branch, ten):
    c = record(staff, branch, ten[:3])
    seat = c.seats.filter(post="member").first()
    got = committee_seat_end(actor=staff, org=branch, seat_id=seat.pk, ends_on=TODAY, reason="去世")
    assert got.warnings == ["委员会现有2人，不足3人，请及时补选"]


def test_no_committee_recorded_is_vacant_without_a_date(world, branch):
    v = sel.secretary_vacancy(branch)
    assert (v.recorded, v.vacant, v.since) == (False, True, None)
    assert sel.secretary_vacancy(world.orgs["unit_group"]) is None


# --- elections due ---------------------------------------------------------------------------


def term_ending(staff, o, members, last_day: dt.date):
    """A committee whose term's last day is ``last_day`` (5-year terms)."""
    after = last_day + dt.timedelta(days=1)
    start = after.replace(year=after.year - 5)
    return record(staff, o, members, start=start)


@pytest.fixture
def three_branches(world, staff):
    parent = world.orgs["community_committee"]
    out = []
    for i in range(3):
        b = org(parent, f"网格支部{i}", OrgKind.BRANCH, world.nodes["grid"])
        out.append((b, people(b, 8)))
    return out


def test_reminder_six_months_to_the_day_and_overdue_after_the_due_date(staff, three_branches):
    (a, am), (b, bm), (c, cm) = three_branches
    term_ending(staff, a, am[:3], dt.date(2027, 1, 9))  # TODAY + 6 months = 2027-01-09
    term_ending(staff, b, bm[:3], dt.date(2027, 1, 10))  # one day later: not yet
    term_ending(staff, c, cm[:3], dt.date(2026, 7, 8))  # yesterday: overdue
    user = staff
    rows = {r.org_id: sel.due_of(r, TODAY) for r in sel.elections_due(user, status="all")}
    assert (rows[a.pk].reminder, rows[a.pk].overdue, rows[a.pk].days_left) == (True, False, 184)
    assert (rows[b.pk].reminder, rows[b.pk].overdue) == (False, False)
    assert (rows[c.pk].reminder, rows[c.pk].overdue, rows[c.pk].days_left) == (False, True, -1)
    due = [r.org_id for r in sel.elections_due(user)]
    assert due == [c.pk, a.pk]
    assert [r.org_id for r in sel.elections_due(user, status="overdue")] == [c.pk]
    assert [r.org_id for r in sel.elections_due(user, status="reminder")] == [a.pk]
    # The last day of the term itself is reminded, not overdue.
    last = org(a.parent, "网格支部末日", OrgKind.BRANCH, a.area)
    term_ending(staff, last, people(last, 8)[:3], TODAY)
    d = sel.due_of(sel.elections_due(user).get(org_id=last.pk), TODAY)
    assert (d.reminder, d.overdue, d.days_left) == (True, False, 0)


def test_a_postponed_election_is_due_on_the_approved_date(staff, three_branches):
    (a, am), _b, _c = three_branches
    term_ending(staff, a, am[:3], dt.date(2026, 7, 1))
    assert sel.due_of(sel.elections_due(staff).get(org_id=a.pk), TODAY).overdue
    postpone(staff, a, dt.date(2027, 3, 1))
    assert not sel.elections_due(staff).filter(org_id=a.pk).exists()
    row = sel.elections_due(staff, status="all").get(org_id=a.pk)
    assert sel.due_of(row, TODAY).due_on == dt.date(2027, 3, 1)


def test_api_elections_due_scope_paging_and_queries(
    api, world, staff, three_branches, django_assert_max_num_queries
):
    (a, am), (b, bm), (c, cm) = three_branches
    term_ending(staff, a, am[:3], dt.date(2027, 1, 9))
    term_ending(staff, c, cm[:3], dt.date(2026, 7, 8))
    seat = OrgCommittee.objects.get(org=c).seats.get(post="secretary")
    committee_seat_end(
        actor=staff, org=c, seat_id=seat.pk, ends_on=dt.date(2026, 4, 8), reason="辞职"
    )
    with django_assert_max_num_queries(8):
        r = api.get(staff, "/api/v1/elections/due/")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["count"] == 2 and body["reminder_months"] == 6
    first, second = body["items"]
    assert (first["org_id"], first["overdue"], first["days_left"]) == (c.pk, True, -1)
    assert (first["secretary_vacant"], first["secretary_vacant_since"]) == (True, "2026-04-09")
    assert first["secretary_vacant_days"] == 91 and first["secretary_name"] is None
    assert (second["org_id"], second["reminder"], second["secretary_name"]) == (
        a.pk,
        True,
        am[0].name,
    )
    # More rows do not cost more queries: the token, the count, the page.
    term_ending(staff, b, bm[:3], dt.date(2026, 12, 1))
    with django_assert_max_num_queries(3):
        assert api.get(staff, "/api/v1/elections/due/").json()["count"] == 3
    assert api.get(staff, "/api/v1/elections/due/", page_size=1).json()["count"] == 3
    assert api.get(staff, "/api/v1/elections/due/", status="bad").status_code == 422
    # Another county's staff see none of them, and not the subtree.
    outsider = world.users["street3"]
    assert api.get(outsider, "/api/v1/elections/due/").json()["count"] == 0
    assert api.get(outsider, "/api/v1/elections/due/", org=a.pk).status_code == 404


def test_api_committee_detail_shows_due_and_vacancy(api, world, staff, branch, ten):
    term_ending(staff, branch, ten[:4], dt.date(2026, 12, 31))
    body = api.get(staff, f"/api/v1/orgs/{branch.pk}/committee").json()
    cur = body["current"]
    assert (cur["due_on"], cur["reminder"], cur["overdue"]) == ("2026-12-31", True, False)
    assert body["secretary_vacant"] is False and body["secretary_vacant_since"] is None
    url = f"/api/v1/orgs/{branch.pk}/committee/postpone"
    bad = {"postponed_to": "2028-01-01", "document_no": "x", "document_date": "2026-07-01"}
    r = api.post(staff, url, bad)
    assert r.status_code == 422 and "延期换届最长一年" in r.json()["detail"]
    r = api.post(staff, url, bad | {"postponed_to": "2027-12-31"})
    assert r.status_code == 200 and r.json()["current"]["postponed_to"] == "2027-12-31"
    assert api.post(world.users["community"], url, bad).status_code == 403
    assert api.post(world.users["street3"], url, bad).status_code == 404
    sec = cur["seats"][0]
    end = f"/api/v1/orgs/{branch.pk}/committee/seats/{sec['id']}/end"
    r = api.post(staff, end, {"ends_on": "2026-06-30", "reason": "调离"})
    assert r.status_code == 200
    body = r.json()
    assert body["warnings"] == ["书记职务空缺，请及时补选"]
    assert (body["secretary_vacant_since"], body["secretary_vacant_days"]) == ("2026-07-01", 8)
    add = f"/api/v1/orgs/{branch.pk}/committee/seats"
    r = api.post(
        staff, add, {"member_id": ten[4].pk, "post": "secretary", "starts_on": "2026-07-09"}
    )
    assert r.status_code == 201 and r.json()["secretary_vacant"] is False


# --- console ---------------------------------------------------------------------------------


def test_console_elections_due_page_and_committee_actions(
    client, world, staff, three_branches, django_assert_max_num_queries
):
    (a, am), _b, (c, cm) = three_branches
    term_ending(staff, a, am[:4], dt.date(2027, 1, 9))
    term_ending(staff, c, cm[:3], dt.date(2026, 7, 8))
    client.force_login(staff)
    page = client.get("/members/elections/").content.decode()
    assert "换届提醒" in page and a.name in page and c.name in page
    assert "逾期1天" in page and "184天" in page
    with django_assert_max_num_queries(7):  # however many rows
        client.get("/members/elections/")
    page = client.get("/members/elections/?status=overdue").content.decode()
    assert c.name in page and a.name not in page
    # Postponement beyond one year: refused with the service's message, nothing written.
    url = f"/members/committees/{a.pk}/postpone/"
    form = {
        "postponed_to": "2028-01-10",
        "document_no": "龙委〔2026〕3号",
        "document_date": "2026-07-01",
    }
    r = client.post(url, form, follow=True)
    assert "延期换届最长一年" in r.content.decode()
    assert OrgCommittee.objects.get(org=a).postponed_to is None
    r = client.post(url, form | {"postponed_to": "2028-01-09"}, follow=True)
    assert "经批准延期换届至 2028-01-09" in r.content.decode()
    # The secretary leaves: the page shows the vacancy; a new secretary fills it.
    sec = OrgCommittee.objects.get(org=a).seats.get(post="secretary")
    r = client.post(
        f"/members/committees/{a.pk}/seats/{sec.pk}/end/",
        {"ends_on": "2026-06-30", "reason": "调离"},
        follow=True,
    )
    body = r.content.decode()
    assert "书记职务空缺，请及时补选" in body and "自 2026-07-01 起，已 8 天" in body
    r = client.post(
        f"/members/committees/{a.pk}/seats/",
        {"member_id": am[5].pk, "post": "secretary", "starts_on": "2026-07-09"},
        follow=True,
    )
    assert "书记在任" in r.content.decode()
    # The community secretary sees the page but may not act; an outsider sees nothing.
    client.force_login(world.users["community"])
    assert client.post(url, form).status_code == 403
    client.force_login(world.users["street3"])
    assert client.post(url, form).status_code == 404
    assert a.name not in client.get("/members/elections/?status=all").content.decode()
