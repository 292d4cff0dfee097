"""Disciplinary sanctions on a member: recorded and revoked through ``members.sanctions``
(audited), the API, the console and the export; 留党察看 boundaries; 开除党籍 removes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.cadres import services as cadre_services
from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Forbidden
from dangjian.members import sanctions
from dangjian.members.models import Member, Sanction
from dangjian.members.services import sanctions as sanction_services
from tests.members.helpers import member
from tests.members.test_excel import sheet_rows
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)
START, END = dt.date(2026, 3, 1), dt.date(2027, 2, 28)  # one year, both days included
PROBATION = {
    "kind": "probation",
    "decided_on": dt.date(2026, 2, 27),
    "starts_on": START,
    "ends_on": END,
    "document_number": "城纪发〔2026〕3号",
    "decided_by": "城厢区纪委",
    "reason": "违反组织纪律",
}


def at(day: dt.date = TODAY):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def person(world):
    with at():
        return member(world.users["street"], world.orgs["grid_branch"], name="处分甲")


def record(world, person, actor=None, **kw):
    with at():
        return sanction_services.sanction_record(
            actor=actor or world.users["street"], member=person, **{**PROBATION, **kw}
        )


def test_probation_boundaries(world, person):
    s = record(world, person)
    assert (s.kind, s.starts_on, s.ends_on, s.recorded_by_name) == (
        "probation",
        START,
        END,
        "t-street",
    )
    cases = [
        (START - dt.timedelta(days=1), False),  # the day before it starts
        (START, True),  # the first day
        (END, True),  # the last day
        (END + dt.timedelta(days=1), False),  # the day after it ends
    ]
    branch = world.orgs["grid_branch"]
    for day, barred in cases:
        assert sanctions.under_probation(person, day) is barred, day
        assert sanctions.member_ids_on_probation([person.pk], day) == (
            {person.pk} if barred else set()
        )
        assert sanctions.probation_ids_under(branch.path, day) == ({person.pk} if barred else set())
        kept = sanctions.without_probation(Member.objects.filter(pk=person.pk), day)
        assert list(kept.values_list("pk", flat=True)) == ([] if barred else [person.pk])
        assert sanctions.has_vote(person, day) is (not barred)
    # Out of the subtree: not counted there.
    assert sanctions.probation_ids_under(world.orgs["street2_wc"].path, START) == set()


def test_revoked_probation_stops_counting(world, person):
    s = record(world, person)
    with at():
        sanction_services.sanction_revoke(
            actor=world.users["street"],
            sanction=s,
            revoked_on=dt.date(2026, 6, 1),
            reason="复查撤销",
        )
    assert sanctions.under_probation(person, dt.date(2026, 5, 31)) is True
    assert sanctions.under_probation(person, dt.date(2026, 6, 1)) is False
    with at(), pytest.raises(Conflict) as e:
        sanction_services.sanction_revoke(actor=world.users["street"], sanction=s, reason="再撤销")
    assert e.value.message == "该处分已于2026-06-01撤销"
    entry = AuditEntry.objects.filter(action="member.sanction_revoke").get()
    assert entry.after == {"revoked_on": "2026-06-01", "revoke_reason": "复查撤销"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": START}, "ends_on", "留党察看期满日期应晚于开始日期"),
        (
            {"ends_on": dt.date(2028, 3, 2)},
            "ends_on",
            "不符合“留党察看期限为一年或二年”的规定：期满日期最晚为2028-03-01",
        ),
        ({"ends_on": None}, "ends_on", "留党察看须填写察看期满日期"),
        ({"starts_on": dt.date(2026, 2, 26)}, "starts_on", "留党察看开始日期不能早于处分决定日期"),
        ({"kind": "warning"}, "starts_on", "只有留党察看需要填写察看期限"),
        (
            {"kind": "demotion"},
            "kind",
            "处分种类取值无效，可选：警告、严重警告、撤销党内职务、留党察看、开除党籍",
        ),
        ({"reason": " "}, "reason", "请填写处分事由"),
        ({"decided_on": TODAY + dt.timedelta(days=1)}, "decided_on", "处分决定日期不能晚于今天"),
    ],
)
def test_bad_fields_name_the_field(world, person, changes, field, message):
    with pytest.raises(ValidationError) as e:
        record(world, person, **changes)
    assert message in e.value.message_dict[field]
    assert Sanction.objects.count() == 0
    assert not AuditEntry.objects.filter(action="member.sanction").exists()


def test_two_years_at_most_and_no_overlap(world, person):
    s = record(world, person, ends_on=dt.date(2028, 3, 1))  # exactly two years: accepted
    assert s.ends_on == dt.date(2028, 3, 1)
    with pytest.raises(Conflict) as e:
        record(world, person, starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 31))
    assert e.value.message == "该党员已有留党察看（2026-03-01至2028-03-01），察看期不能重叠"
    assert Sanction.objects.count() == 1
    w = record(world, person, kind="warning", starts_on=None, ends_on=None)
    assert (w.starts_on, w.ends_on, w.period_text) == (None, None, "")


def test_audited_and_scoped(world, person):
    s = record(world, person)
    entry = AuditEntry.objects.get(action="member.sanction")
    assert (entry.object_id, entry.org_path) == (str(s.pk), person.org_path)
    assert entry.after["kind"] == "probation" and entry.after["starts_on"] == "2026-03-01"
    # Out of scope: absent; the member's own account sees the file but may not record.
    with pytest.raises(Http404):
        record(
            world,
            person,
            actor=world.users["street3"],
            kind="warning",
            starts_on=None,
            ends_on=None,
        )
    person.user = world.users["member"]
    person.save(update_fields=["user"])
    with pytest.raises(Forbidden):
        record(
            world, person, actor=world.users["member"], kind="warning", starts_on=None, ends_on=None
        )
    assert Sanction.objects.count() == 1
    assert AuditEntry.objects.filter(action="member.sanction").count() == 1


def test_expulsion_removes_the_member(world, person):
    s = record(world, person, kind="expulsion", starts_on=None, ends_on=None, reason="严重违纪")
    person.refresh_from_db()
    assert (s.kind, person.status) == ("expulsion", "removed")
    update = AuditEntry.objects.filter(action="member.update", object_id=str(person.pk)).latest(
        "id"
    )
    assert (update.before["status"], update.after["status"]) == ("full", "removed")
    with pytest.raises(Conflict) as e:
        record(world, person, kind="warning", starts_on=None, ends_on=None)
    assert e.value.message == "该党员已出党，不能登记处分"
    assert Sanction.objects.count() == 1


def test_api_create_list_revoke(world, api, person):
    u = world.users["street"]
    url = f"/api/v1/members/{person.pk}/sanctions"
    with at():
        api._tokens.clear()
        body = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in PROBATION.items()}
        r = api.post(u, url, {**body, "ends_on": None})
        assert r.status_code == 422 and "ends_on" in r.json()["errors"]
        r = api.post(u, url, body)
        assert r.status_code == 200, r.content
        out = r.json()
        assert {k: out[k] for k in ("kind", "kind_label", "starts_on", "ends_on", "in_force")} == {
            "kind": "probation",
            "kind_label": "留党察看",
            "starts_on": "2026-03-01",
            "ends_on": "2027-02-28",
            "in_force": False,  # 2027-03-10: the period is over
        }
        r = api.get(u, url)
        assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == [out["id"]]
        assert api.get(world.users["street3"], url).status_code == 404
        assert api.post(world.users["street3"], url, body).status_code == 404
        r = api.post(u, f"{url}/{out['id']}/revoke", {"reason": "申诉后撤销"})
        assert r.status_code == 200 and r.json()["revoked_on"] == "2027-03-10"
        assert api.post(u, f"{url}/{out['id']}/revoke", {"reason": "x"}).status_code == 409
        other = f"/api/v1/members/{person.pk + 999}/sanctions/{out['id']}/revoke"
        assert api.post(u, other, {"reason": "x"}).status_code == 404
    with at(dt.date(2026, 6, 1)):
        api._tokens.clear()
        # Before the revocation, inside the period: in force.
        assert api.get(u, url).json()["items"][0]["in_force"] is True
    assert Sanction.objects.count() == 1


def test_export_shows_the_current_sanction(world, api, person):
    record(world, person)
    with at():
        member(world.users["street"], world.orgs["grid_branch"], name="无处分乙")
        api._tokens.clear()
        r = api.post(world.users["street"], "/api/v1/members/export")
    rows = sheet_rows(r.content)
    head = rows[0]
    i, j = head.index("处分"), head.index("留党察看起止")
    got = {row[0]: (row[i], row[j]) for row in rows[1:] if row[0] in ("处分甲", "无处分乙")}
    assert got == {
        "处分甲": ("留党察看（2026-02-27）", "2026-03-01至2027-02-28"),
        "无处分乙": ("", ""),
    }


def test_console_section_and_form(world, client, person):
    u = world.users["street"]
    with at():
        client.login(username=u.username, password=PASSWORD)
        page = client.get(f"/members/{person.pk}/").content.decode()
        assert 'id="sanctions"' in page and "没有党纪处分记录" in page and "登记处分" in page
        data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in PROBATION.items()}
        r = client.post(f"/members/{person.pk}/sanctions/", {**data, "starts_on": TODAY.isoformat(), "ends_on": "2028-03-10"}, follow=True)  # fmt: skip
        page = r.content.decode()
        assert "已登记处分：留党察看" in page and "2027-03-10至2028-03-10" in page
        assert "留党察看期间：无表决权" in page
        r = client.post(f"/members/{person.pk}/sanctions/", {**data, "kind": ""}, follow=True)
        assert "处分未登记：请选择处分种类" in r.content.decode()
        assert Sanction.objects.count() == 1
        # Someone who may not manage the file gets the 404 page; nothing written.
        client.logout()
        client.login(username=world.users["street3"].username, password=PASSWORD)
        assert client.post(f"/members/{person.pk}/sanctions/", data).status_code == 404
    assert Sanction.objects.count() == 1


@pytest.mark.parametrize(
    ("term_start", "refused"),
    [
        (START - dt.timedelta(days=1), False),
        (START, True),
        (END, True),
        (END + dt.timedelta(days=1), False),
    ],
)
def test_no_party_committee_seat_during_probation(world, term_start, refused):
    from dangjian.cadres.models import Cadre
    from tests.members.helpers import id_no

    with at():
        m = member(
            world.users["street"],
            world.orgs["community_committee"],
            name="察看丙",
            id_number=id_no("19800808", 9),
            education="bachelor",
        )
    record(world, m)

    def seat(committee):
        with at():
            return cadre_services.cadre_create(
                actor=world.users["street"],
                area=world.community,
                member=m,
                committee=committee,
                position="member",
                term_start=term_start,
            )

    if refused:
        with pytest.raises(ValidationError) as e:
            seat("party")
        assert e.value.message_dict["member"] == [
            f"察看丙在{term_start:%Y-%m-%d}正在留党察看期间，不符合“受留党察看处分的党员"
            "在察看期间没有被选举权”的规定，不能担任党组织委员会委员"
        ]
        assert Cadre.objects.count() == 0
        # The residents' committee is not a party election.
        assert seat("residents").committee == "residents"
    else:
        assert seat("party").committee == "party"
