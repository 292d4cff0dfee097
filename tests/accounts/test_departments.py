"""Departments with the areas they serve: events anywhere in a served area may be
dispatched to them and their users then reach those events; the API under
/api/v1/departments/ is scoped."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dangjian.accounts import services
from dangjian.accounts.models import Department, UserKind
from dangjian.cases.flow import resolve_department
from dangjian.cases.models import Event
from tests import world as world_mod
from tests.cases.helpers import ensure_taxonomy, move, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(world):
    ensure_taxonomy()
    return services.department_create(
        actor=world.users["county"],
        name="环卫所",
        area=world.street,
        served_areas=[world.street, world.street2],
    )


def test_event_in_a_served_area_goes_to_the_department(world, served):
    lone = services.department_create(actor=world.users["street"], name="市政所", area=world.street)
    grid3 = world_mod.area(world.community2, "凤山社区第一网格", "grid")
    ev = report(world.users["county"], area=grid3)
    ev = move(world.users["county"], ev, "open")
    assert resolve_department(ev, "环卫所") == served
    ev = move(world.users["county"], ev, "dispatch", department=served)
    assert ev.department_id == served.pk
    staff = world_mod.user("t-hw", role="department", department=served, kind=UserKind.DEPARTMENT)
    assert Event.objects.visible_to(staff, "cases.view").filter(pk=ev.pk).exists()
    # a department serving only its own street cannot take the second street's event
    ev2 = move(
        world.users["county"],
        report(world.users["county"], "凤山路口的井盖缺失了，很危险", area=grid3),
        "open",
    )
    with pytest.raises(ValidationError) as exc:
        move(world.users["county"], ev2, "dispatch", department=lone)
    assert "不服务于事件所在区域" in str(exc.value)


def test_api_create_list_and_patch(world, api):
    r = api.post(
        world.users["county"],
        "/api/v1/departments/",
        {
            "name": "城管中队",
            "area_id": world.street.pk,
            "served_area_ids": [world.street.pk, world.street2.pk],
            "phone": "0594-2345678",
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert {a["id"] for a in body["served_areas"]} == {world.street.pk, world.street2.pk}
    assert body["label"].startswith("城管中队（") and body["phone"] != "0594-2345678"
    did = body["id"]
    r = api.client.patch(
        f"/api/v1/departments/{did}",
        '{"served_area_ids": []}',
        content_type="application/json",
        headers=api._headers(world.users["county"]),
    )
    assert r.status_code == 422 and r.json()["errors"]["served_areas"]
    r = api.get(world.users["street"], "/api/v1/departments/")
    assert did in {d["id"] for d in r.json()["items"]}
    r = api.get(world.users["street3"], "/api/v1/departments/")
    assert did not in {d["id"] for d in r.json()["items"]}
    assert api.get(world.users["street3"], f"/api/v1/departments/{did}").status_code == 404


def test_served_area_outside_scope_404_nothing_written(world, api):
    before = Department.objects.count()
    r = api.post(
        world.users["street"],
        "/api/v1/departments/",
        {"name": "越界所", "area_id": world.street.pk, "served_area_ids": [world.street3.pk]},
    )
    assert r.status_code == 404
    assert Department.objects.count() == before
