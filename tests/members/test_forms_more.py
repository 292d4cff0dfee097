"""The member's photo (core.files), the check-in's service records in the console, the
cadres' console forms (两委 seats, end of term, reserve cadres, mentor pairs), re-admission of a
member transferred out of the system, and the labels of a transfer's history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dangjian.cadres import services as cadre_services
from dangjian.cadres.models import Cadre, MentorPair, ReserveCadre
from dangjian.core.models import AuditEntry, StoredFile
from dangjian.members import services
from dangjian.members.models import CheckinService, Member, MemberTransfer
from tests.members.helpers import id_no, member, upload

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"\x00" * 64
TODAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def console(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def body(r) -> str:
    return r.content.decode()


def field_error(page: str, name: str) -> str:
    rest = page[page.index(f'id="id_{name}"') :]
    rest = re.split(r'<div class="field|</form>', rest, maxsplit=1)[0]
    return " ".join(re.findall(r'<div class="error">(.*?)</div>', rest))


# --- the photo -------------------------------------------------------------------------------


def test_photo_through_the_api_is_stored_and_served_only_in_scope(world, api, street2_user):
    u = world.users["street"]
    m = member(u, world.orgs["grid_branch"])
    path = f"/api/v1/members/{m.pk}/photo"
    assert api.get(u, path).status_code == 404  # none yet
    r = upload(api, u, path, PNG, name="me.png")
    assert r.status_code == 200 and r.json()["has_photo"] is True
    m.refresh_from_db()
    assert m.photo.content_type == "image/png" and m.photo.size == len(PNG)
    got = api.get(u, path)
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    assert b"".join(got.streaming_content) == PNG
    assert AuditEntry.objects.filter(action="member.photo", object_id=str(m.pk)).exists()
    # Out of scope: 404, whether reading or writing.
    assert api.get(street2_user, path).status_code == 404
    assert upload(api, street2_user, path, PNG).status_code == 404
    # Visible but not managed: 403.
    assert upload(api, world.users["member"], path, PNG).status_code in (403, 404)


def test_photo_type_and_size_are_refused_by_content(world, api, settings):
    u = world.users["street"]
    m = member(u, world.orgs["grid_branch"])
    path = f"/api/v1/members/{m.pk}/photo"
    r = upload(api, u, path, PDF, name="renamed.png")
    assert r.status_code == 422 and "文件类型不符" in r.json()["errors"]["photo"][0]
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (services.PHOTO_MAX_BYTES + 1)
    r = upload(api, u, path, big, name="big.png")
    assert r.status_code == 422 and r.json()["errors"]["photo"] == ["照片不能超过2MB"]
    # Exactly at the limit: accepted.
    edge = b"\x89PNG\r\n\x1a\n" + b"\x00" * (services.PHOTO_MAX_BYTES - 8)
    assert upload(api, u, path, edge, name="edge.png").status_code == 200
    r = api.client.post(path, {}, headers=api._headers(u))
    assert r.status_code == 422 and "照片" in r.json()["errors"]["photo"][0]
    assert StoredFile.objects.count() == 1


def test_photo_in_the_console(world, street2_user):
    u = world.users["street"]
    m = member(u, world.orgs["grid_branch"])
    c = console(u)
    page = body(c.get(f"/members/{m.pk}/"))
    assert "未上传照片" in page and f"/members/{m.pk}/photo/upload/" in page
    r = c.post(f"/members/{m.pk}/photo/upload/", {"photo": SimpleUploadedFile("a.pdf", PDF)})
    assert r.status_code == 302
    page = body(c.get(f"/members/{m.pk}/"))
    assert "照片未上传" in page and "文件类型不符" in page
    c.post(f"/members/{m.pk}/photo/upload/", {"photo": SimpleUploadedFile("a.png", PNG)})
    page = body(c.get(f"/members/{m.pk}/"))
    assert f'src="/members/{m.pk}/photo/"' in page
    assert b"".join(c.get(f"/members/{m.pk}/photo/").streaming_content) == PNG
    other = console(street2_user)
    assert other.get(f"/members/{m.pk}/photo/").status_code == 404
    r = other.post(f"/members/{m.pk}/photo/upload/", {"photo": SimpleUploadedFile("a.png", PNG)})
    assert r.status_code == 404


# --- check-in service records --------------------------------------------------------------------


def _checkin(world):
    u = world.users["street"]
    m = member(
        u,
        world.orgs["grid_branch"],
        name="报到甲",
        categories=["in_service"],
        work_unit="区财政局",
        unit=world.unit,
    )
    return services.member_checkin(
        actor=u, member=m, community=world.community, reported_on=dt.date(2025, 1, 2)
    )


def test_the_community_records_service_hours(world):
    checkin = _checkin(world)
    c = console(world.users["community"])
    page = body(c.get("/members/checkins/"))
    assert f'href="/members/checkins/{checkin.pk}/"' in page
    page = body(c.get(f"/members/checkins/{checkin.pk}/"))
    assert "报到甲" in page and "区财政局" in page and 'id="service-form"' in page
    r = c.post(f"/members/checkins/{checkin.pk}/", {"content": "", "hours": "30"})
    assert r.status_code == 200
    page = body(r)
    assert field_error(page, "content") == "请填写服务内容"
    assert field_error(page, "hours") == "服务时长应大于0且不超过24小时"
    assert CheckinService.objects.count() == 0
    r = c.post(
        f"/members/checkins/{checkin.pk}/",
        {"served_on": "2025-03-01", "content": "清理楼道", "hours": "2.5"},
    )
    assert r.status_code == 302
    page = body(c.get(f"/members/checkins/{checkin.pk}/"))
    assert "清理楼道" in page and "2.5 小时" in page
    # Another community, or a grid worker without the action: 404 / 403.
    assert console(world.users["street3"]).get(f"/members/checkins/{checkin.pk}/").status_code in (
        403,
        404,
    )


def test_checkin_pages_out_of_scope(world):
    checkin = _checkin(world)
    r = console(world.users["street3"]).post(
        f"/members/checkins/{checkin.pk}/", {"content": "x", "hours": "1"}
    )
    assert r.status_code in (403, 404)
    assert CheckinService.objects.count() == 0


# --- cadres ------------------------------------------------------------------------------------


@pytest.fixture
def fixed_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def _seat(world, **kw) -> Cadre:
    values = {
        "committee": "party",
        "position": "member",
        "name": "王五",
        "gender": "male",
        "birth_date": dt.date(1980, 5, 1),
        "education": "bachelor",
        "term_start": dt.date(2021, 3, 1),
    }
    values.update(kw)
    return cadre_services.cadre_create(actor=world.users["street"], area=world.community, **values)


def test_cadre_create_edit_and_end_in_the_console(world, fixed_day):
    c = console(world.users["street"])
    assert c.get("/members/cadres/new/").status_code == 200
    r = c.post("/members/cadres/new/", {"area": world.community.pk, "committee": "party"})
    assert r.status_code == 200 and Cadre.objects.count() == 0
    assert "请" in field_error(body(r), "position")
    form = {
        "area": world.community.pk,
        "committee": "party",
        "position": "secretary",
        "name": "林书记",
        "gender": "male",
        "birth_date": "1978-02-03",
        "education": "bachelor",
        "term_start": "2021-03-01",
        "one_shoulder": "on",
    }
    r = c.post("/members/cadres/new/", form)
    assert r.status_code == 302, field_error(body(r), "position")
    cadre = Cadre.objects.get()
    assert cadre.one_shoulder and cadre.term_end == dt.date(2026, 3, 1)
    page = body(c.get("/members/cadres/"))
    assert "林书记" in page and f"/members/cadres/{cadre.pk}/edit/" in page
    # A second secretary is refused naming the first.
    r = c.post("/members/cadres/new/", form | {"name": "赵二", "one_shoulder": ""})
    assert r.status_code == 200 and "林书记" in body(r)
    # Edit.
    page = body(c.get(f"/members/cadres/{cadre.pk}/edit/"))
    assert 'value="林书记"' in page and 'id="cadre-end"' in page
    edit = {k: v for k, v in form.items() if k != "area"} | {"education": "master"}
    assert c.post(f"/members/cadres/{cadre.pk}/edit/", edit).status_code == 302
    cadre.refresh_from_db()
    assert cadre.education == "master"
    # End of term.
    r = c.post(f"/members/cadres/{cadre.pk}/end/", {"ended_on": "2026-05-30"})
    assert r.status_code == 302
    cadre.refresh_from_db()
    assert cadre.ended_on == dt.date(2026, 5, 30)
    assert AuditEntry.objects.filter(action="cadre.leave", object_id=str(cadre.pk)).exists()
    assert "<td>林书记</td>" not in body(c.get("/members/cadres/"))
    assert "<td>林书记</td>" in body(c.get("/members/cadres/?serving=0"))


def test_cadre_pages_refuse_outsiders(world, fixed_day, street2_user):
    cadre = _seat(world)
    other = console(world.users["street3"])
    assert other.get(f"/members/cadres/{cadre.pk}/edit/").status_code == 404
    assert other.post(f"/members/cadres/{cadre.pk}/end/", {}).status_code == 404
    assert "王五" not in body(other.get("/members/cadres/"))
    r = other.post(
        "/members/cadres/new/",
        {"area": world.community.pk, "committee": "party", "position": "member", "name": "x"},
    )
    assert r.status_code == 404 and Cadre.objects.count() == 1
    nobody = console(world.users["grid"])
    assert nobody.get("/members/cadres/new/").status_code == 403
    r = console(world.users["member"]).get("/members/cadres/new/")
    assert (r.status_code, r["Location"]) == (302, "/m/")  # members have no console pages


def test_reserves_and_mentor_pairs_in_the_console(world, fixed_day):
    cadre = _seat(world, position="secretary", name="林书记")
    c = console(world.users["street"])
    r = c.post("/members/cadres/reserves/", {"area": world.community.pk})
    assert r.status_code == 200 and ReserveCadre.objects.count() == 0
    assert field_error(body(r), "name")
    r = c.post(
        "/members/cadres/reserves/",
        {
            "area": world.community.pk,
            "name": "后备甲",
            "gender": "female",
            "birth_date": "1995-01-01",
            "education": "bachelor",
            "intended_position": "secretary",
        },
    )
    assert r.status_code == 302
    reserve = ReserveCadre.objects.get()
    page = body(c.get("/members/cadres/reserves/"))
    assert "后备甲" in page
    page = body(c.get("/members/cadres/mentorships/"))
    assert f'value="{cadre.pk}"' in page and f'value="{reserve.pk}"' in page
    r = c.post("/members/cadres/mentorships/", {"mentor": "", "mentee": reserve.pk})
    assert r.status_code == 200 and field_error(body(r), "mentor") == "请选择导师"
    r = c.post(
        "/members/cadres/mentorships/",
        {"mentor": cadre.pk, "mentee": reserve.pk, "goal": "熟悉村务"},
    )
    assert r.status_code == 302
    pair = MentorPair.objects.get()
    assert (pair.mentor_id, pair.mentee_id) == (cadre.pk, reserve.pk)
    assert "熟悉村务" in body(c.get("/members/cadres/mentorships/"))
    # Outsiders see none of them and cannot add.
    other = console(world.users["street3"])
    assert "后备甲" not in body(other.get("/members/cadres/reserves/"))
    assert "熟悉村务" not in body(other.get("/members/cadres/mentorships/"))
    r = other.post("/members/cadres/reserves/", {"area": world.community.pk, "name": "x"})
    assert r.status_code in (403, 404) and ReserveCadre.objects.count() == 1


def _console_queries(c, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_cadre_lists_do_not_grow_with_rows(world, fixed_day):
    c = console(world.users["street"])
    cadre = _seat(world, position="secretary", name="林书记")
    reserve = cadre_services.reserve_cadre_create(
        actor=world.users["street"], area=world.community, name="后备甲", gender="male",
        birth_date=dt.date(1995, 1, 1), education="bachelor",
    )  # fmt: skip
    cadre_services.mentor_pair_create(actor=world.users["street"], mentor=cadre, mentee=reserve)
    paths = ("/members/cadres/", "/members/cadres/reserves/", "/members/cadres/mentorships/")
    few = [_console_queries(c, p) for p in paths]
    for i in range(5):
        seat = _seat(world, name=f"委员{i}")
        r = cadre_services.reserve_cadre_create(
            actor=world.users["street"], area=world.community, name=f"后备{i}", gender="male",
            birth_date=dt.date(1995, 1, 1), education="bachelor",
        )  # fmt: skip
        cadre_services.mentor_pair_create(actor=world.users["street"], mentor=seat, mentee=r)
    many = [_console_queries(c, p) for p in paths]
    assert few == many, (few, many)


# --- re-admission and transfer labels -----------------------------------------------------------


def _out_of_system(world, m):
    u = world.users["street"]
    t = services.transfer_request(
        actor=u, member=m, kind="out_of_system", to_org_name="外省某党委", reason="工作调动"
    )
    services.transfer_transition(actor=u, transfer=t, action="approve_out", letter_number="L-1")
    m.refresh_from_db()
    assert m.left_on is not None
    return t


def test_a_member_transferred_out_is_readmitted_with_a_letter(world, api):
    u = world.users["street"]
    number = id_no("19800101", 42)
    m = member(u, world.orgs["grid_branch"], name="归来甲", id_number=number)
    _out_of_system(world, m)
    payload = {
        "org_id": world.orgs["grid_branch"].pk,
        "name": "归来甲",
        "status": "full",
        "joined_on": "2005-07-01",
        "confirmed_on": "2006-07-01",
        "ethnicity": "01",
        "id_number": number,
        "education": "master",
    }
    # Without a letter: refused, naming the old file and how to re-admit it.
    r = api.post(u, "/api/v1/members/", payload)
    assert r.status_code == 422
    message = r.json()["errors"]["id_number"][0]
    assert "已转出系统的党员归来甲" in message and f"档案编号{m.pk}" in message
    assert "介绍信编号" in message
    # With the letter: the same file comes back, with its history.
    r = api.post(
        u,
        "/api/v1/members/",
        payload | {"transfer_letter_number": "L-2", "transfer_from_name": "外省某党委"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["id"] == m.pk
    m.refresh_from_db()
    assert m.left_on is None and m.education == "master"
    assert Member.objects.count() == 1
    kinds = list(MemberTransfer.objects.filter(member=m).values_list("kind", flat=True))
    assert sorted(kinds) == ["into_system", "out_of_system"]
    entry = AuditEntry.objects.get(action="member.readmit", object_id=str(m.pk))
    assert entry.before["left_on"] and entry.after["left_on"] is None
    assert number not in str(entry.before) + str(entry.after)
    assert api.get(u, "/api/v1/members/").json()["count"] == 1


def test_a_serving_members_number_is_still_a_duplicate(world, api):
    u = world.users["street"]
    number = id_no("19800101", 43)
    m = member(u, world.orgs["grid_branch"], name="在册乙", id_number=number)
    r = api.post(
        u,
        "/api/v1/members/",
        {
            "org_id": world.orgs["grid_branch"].pk,
            "name": "在册乙",
            "status": "full",
            "joined_on": "2005-07-01",
            "confirmed_on": "2006-07-01",
            "ethnicity": "01",
            "id_number": number,
            "transfer_letter_number": "L-3",
            "transfer_from_name": "外省某党委",
        },
    )
    assert r.status_code == 422
    assert "该身份证号码已登记：在册乙" in r.json()["errors"]["id_number"][0]
    assert str(m.pk) in r.json()["errors"]["id_number"][0]


def test_transfer_history_labels_follow_the_kind(world, api, agency):
    u = world.users["county"]
    inner = member(world.users["street"], world.orgs["grid_branch"], name="转接甲")
    t = services.transfer_request(actor=u, member=inner, to_org=agency)
    services.transfer_transition(actor=u, transfer=t, action="approve_out")
    history = api.get(u, f"/api/v1/members/transfers/{t.pk}").json()["history"]
    assert [h["action_label"] for h in history] == ["提出申请", "转出方审批同意"]
    outer = member(world.users["street"], world.orgs["grid_branch"], name="转接乙")
    t2 = _out_of_system(world, outer)
    history = api.get(u, f"/api/v1/members/transfers/{t2.pk}").json()["history"]
    assert history[-1]["action_label"] == "审批同意并开具介绍信"
    page = body(console(u).get(f"/members/{inner.pk}/"))
    assert "转出方审批同意" in page and "审批同意并开具介绍信" not in page
