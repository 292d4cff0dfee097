"""Staff intake on a caller's behalf (代群众登记) on the console: the one create service with
the caller's name, encrypted phone and the source; the suggestion and duplicates before
saving; refusals on the field (an area outside the user's scope among them) writing
nothing; the API in step."""

from __future__ import annotations

import pytest

from dangjian.cases.models import INTAKE_SOURCES, Event, EventLink, Source, State
from dangjian.core import crypto
from tests.cases.helpers import report

pytestmark = pytest.mark.django_db

TEXT = "小区门口垃圾堆积如山，已经发臭好几天了"


def _intake(client, world, **fields):
    data = {
        "source": Source.PHONE,
        "reporter_name": "王大妈",
        "reporter_phone": "13912345678",
        "grid": world.grid.pk,
        "description": TEXT,
        "place": "龙桥社区东门",
        **fields,
    }
    return client.post("/cases/new/", data)


def test_phone_call_becomes_an_event_with_the_callers_masked_phone(client, world):
    client.force_login(world.users["street"])
    page = client.get("/cases/new/").content.decode()
    assert "龙桥社区第一网格" in page and "1号楼单元" in page and "12345热线" in page
    r = _intake(client, world, unit=world.unit.pk)
    ev = Event.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/{ev.pk}/"
    assert ev.source == Source.PHONE and ev.state == State.COLLECTED
    assert ev.reporter_name == "王大妈" and ev.reporter_id == world.users["street"].pk
    assert ev.area_id == world.unit.pk and ev.grid_id == world.grid.pk
    assert ev.event_class.code == "environment"  # suggested from the text
    # the phone is encrypted at rest, indexed blind, shown masked
    assert ev.reporter_phone == "13912345678"
    raw = Event.objects.filter(pk=ev.pk).values_list("reporter_phone", flat=True)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT reporter_phone FROM cases_event WHERE id = %s", [ev.pk])
        stored = cur.fetchone()[0]
    assert "13912345678" not in stored and list(raw)
    assert ev.reporter_phone_index == crypto.blind_index("phone", "13912345678")
    html = client.get(f"/cases/{ev.pk}/").content.decode()
    assert "王大妈" in html and "电话反映" in html
    assert "13912345678" not in html and "139****5678" in html


def test_refusals_name_the_field_keep_values_and_write_nothing(client, world):
    client.force_login(world.users["street"])
    r = _intake(
        client,
        world,
        source="",
        reporter_name="",
        reporter_phone="12345",
        description="坏",
        unit=world.unit.pk,
    )
    assert r.status_code == 422
    assert "请选择反映渠道" in r.context["form"].errors["source"][0]
    assert Event.objects.count() == 0
    r = _intake(client, world, reporter_name="", reporter_phone="12-ab", description="坏")
    errors = r.context["form"].errors
    assert r.status_code == 422
    assert "反映人姓名" in errors["reporter_name"][0]
    assert "手机" in errors["reporter_phone"][0] or "电话" in errors["reporter_phone"][0]
    assert "不能少于" in errors["description"][0]
    assert 'value="龙桥社区东门"' in r.content.decode()  # values kept
    assert Event.objects.count() == 0
    # the caller who hides their name: no name needed, none shown to others
    r = _intake(client, world, reporter_name="", anonymous="on")
    assert r.status_code == 302
    ev = Event.objects.get()
    assert ev.anonymous and ev.reporter_name == "匿名群众"


def test_an_area_outside_the_users_scope_is_refused_on_the_field(client, world):
    client.force_login(world.users["community"])
    # a grid of another street, and a unit outside the chosen grid
    r = _intake(client, world, grid=world.nodes["community2"].pk)
    assert r.status_code == 422
    assert "不在您的管辖范围内" in r.context["form"].errors["grid"][0]
    r = _intake(client, world, grid=world.grid2.pk, unit=world.unit.pk)
    assert r.status_code == 422
    assert "所选单元不在所选网格内" in r.context["form"].errors["unit"][0]
    client.force_login(world.users["street3"])
    r = _intake(client, world)
    assert r.status_code == 422
    form = r.context["form"]
    assert "不在您的管辖范围内" in form.errors["grid"][0]
    assert "龙桥社区第一网格" not in r.content.decode()
    assert Event.objects.count() == 0
    # a grid worker (no dispatch) and a resident cannot take callers' reports
    client.force_login(world.users["grid"])
    assert client.get("/cases/new/").status_code == 403
    client.force_login(world.users["resident"])  # no console pages: sent to the phone
    r = client.get("/cases/new/")
    assert (r.status_code, r["Location"]) == (302, "/m/")


def test_check_shows_suggestion_department_and_duplicates(client, world, depts):
    earlier = report(world.users["grid"], area=world.grid)
    client.force_login(world.users["street"])
    r = client.post(
        "/cases/new/check/",
        {"grid": world.grid.pk, "description": "小区门口的垃圾堆积如山发臭了"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "系统建议类别" in html and "环卫所" in html
    assert f"/cases/{earlier.pk}/" in html
    # saved, the new report is linked to the earlier one, not refused as a repeat
    _intake(client, world, description="小区门口的垃圾堆积如山发臭了")
    ev = Event.objects.exclude(pk=earlier.pk).get()
    assert EventLink.objects.filter(low=earlier, high=ev).exists()
    # out of scope: 404
    client.force_login(world.users["street3"])
    r = client.post("/cases/new/check/", {"grid": world.grid.pk, "description": TEXT})
    assert r.status_code == 404


def test_same_staff_takes_similar_calls_from_two_callers_but_not_one_twice(client, world):
    client.force_login(world.users["street"])
    assert _intake(client, world).status_code == 302
    r = _intake(client, world)
    assert r.status_code == 422 and "该反映人已于" in r.content.decode()
    r = _intake(client, world, reporter_name="李师傅", reporter_phone="13800001111")
    assert r.status_code == 302
    assert Event.objects.count() == 2


def test_api_create_takes_source_and_callers_name(api, world):
    r = api.post(
        world.users["community"],
        "/api/v1/cases/",
        {
            "area_id": world.grid.pk,
            "description": TEXT,
            "source": "hotline",
            "reporter_name": "张先生",
            "reporter_phone": "13700002222",
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["source"] == "hotline" and body["source_label"] == "12345热线"
    assert body["reporter_name"] == "张先生" and body["reporter_phone"] == "137****2222"
    # a resident cannot claim a hotline source, a grid worker cannot take callers' reports
    r = api.post(
        world.users["resident"], "/api/v1/cases/", {"description": TEXT, "source": "phone"}
    )
    assert r.status_code == 422 and "source" in r.json()["errors"]
    r = api.post(
        world.users["grid"],
        "/api/v1/cases/",
        {"area_id": world.grid.pk, "description": TEXT, "source": "walk_in", "reporter_name": "赵"},
    )
    assert r.status_code == 422 and "代群众登记" in r.json()["errors"]["source"][0]
    assert set(INTAKE_SOURCES) == {"phone", "walk_in", "hotline"}
