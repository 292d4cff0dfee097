"""The rider's own phone pages (/m/timebank/rider/): a courier, rider or driver registers at
a station; once the station's community makes them an assistant grid worker they report an
event through the one intake (/m/cases/report/, linked, not copied) and see their station
and their reports."""

from __future__ import annotations

import pytest

from dangjian.cases.models import Event
from dangjian.timebank import riders
from dangjian.timebank.models import Rider
from tests.world import user as make_user

pytestmark = pytest.mark.django_db
URL = "/m/timebank/rider/"


def _station(world, **kw):
    return riders.station_create(
        actor=world.users["community"],
        area=world.nodes["grid"],
        name=kw.pop("name", "龙桥红色驿站"),
        kind="red",
        location="龙桥路12号",
        services="饮水、充电、休息",
        opening_hours="8:00-20:00",
        **kw,
    )


def test_a_rider_registers_is_made_assistant_and_reports_from_the_phone(world, client):
    station = _station(world)
    _station(world, name="凤山爱心驿站")
    rider = make_user("t-rider", role="resident", kind="resident", home=world.nodes["grid2"])
    client.force_login(rider)
    r = client.get(URL)
    page = r.content.decode()
    assert r.status_code == 200 and "龙桥红色驿站" in page and "rider-form" in page
    assert [s.name for s in client.get(URL + "?q=凤山").context["stations"]] == ["凤山爱心驿站"]
    # A refusal names what is missing and writes nothing.
    r = client.post(URL, {"station": station.pk, "kind": "rider", "platform": ""})
    assert r.status_code == 400 and "请填写所属平台" in r.content.decode()
    assert not Rider.objects.exists()
    r = client.post(
        URL, {"station": station.pk, "kind": "rider", "platform": "美团", "company": "某配送公司"}
    )
    assert r.status_code == 302
    page = client.get(URL).content.decode()
    assert "龙桥路12号" in page and "8:00-20:00" in page and "美团" in page
    assert 'id="rider-report"' not in page  # not yet an assistant grid worker
    # Registering twice is refused.
    r = client.post(URL, {"station": station.pk, "kind": "rider", "platform": "美团"})
    assert Rider.objects.count() == 1
    # The community makes them an assistant grid worker on the console.
    client.force_login(world.users["community"])
    client.post(f"/timebank/riders/{Rider.objects.get().pk}/assistant/", {"on": "1"})
    client.force_login(rider)
    page = client.get(URL).content.decode()
    assert 'href="/m/cases/report/" id="rider-report"' in page or (
        'id="rider-report" href="/m/cases/report/"' in page
    )
    # The one intake's form, with the station's grid among the places to report in.
    r = client.get("/m/cases/report/")
    assert r.status_code == 200
    assert world.nodes["grid"].pk in [pk for pk, _name in r.context["areas"]]
    r = client.post(
        "/m/cases/report/",
        {
            "area": world.nodes["grid"].pk,
            "description": "路口井盖破损有安全隐患",
            "place": "龙桥路口",
            "class_code": "environment",
        },
    )
    assert r.status_code == 302, r.context["form"].errors
    e = Event.objects.get()
    assert e.area_id == world.nodes["grid"].pk
    page = client.get(URL).content.decode()
    assert "路口井盖破损" in page and f'data-event="{e.pk}"' in page


def test_a_retired_station_is_not_offered_and_the_tile_shows(world, client):
    station = _station(world)
    station.active = False
    station.save(update_fields=["active"])
    client.force_login(world.users["resident"])
    r = client.get(URL)
    assert r.context["stations"] == []
    assert "/m/timebank/rider/" in client.get("/m/").content.decode()


def test_the_riders_page_filters_by_station_and_toggles_back_to_itself(world, client):
    first, second = _station(world), _station(world, name="凤山爱心驿站")
    for name, station in (("t-rider-a", first), ("t-rider-b", second)):
        u = make_user(name, role="resident", kind="resident", home=world.nodes["grid"])
        riders.rider_register(actor=u, station=station, kind="courier", platform=f"{name}平台")
    client.force_login(world.users["community"])
    assert "/timebank/riders/" in client.get("/timebank/stations/").content.decode()
    page = client.get(f"/timebank/riders/?station={second.pk}").content.decode()
    assert "t-rider-b平台" in page and "t-rider-a平台" not in page
    rider = Rider.objects.get(platform="t-rider-a平台")
    r = client.post(f"/timebank/riders/{rider.pk}/assistant/", {"on": "1", "next": "riders"})
    assert r.status_code == 302 and r["Location"] == "/timebank/riders/"
    rider.refresh_from_db()
    assert rider.assistant_grid_worker
