"""One station per (area, name) (issue 16): the services refuse a twin on the name, the
database's ``station_unique_name`` constraint refuses one that raced past those checks, and the
loser is told on the name (a registration) or on its row (an import); nothing half-written.
The same name in another grid is a different station."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dangjian.core.models import AuditEntry
from dangjian.timebank import imports, riders
from dangjian.timebank.models import Station
from tests.timebank.test_imports import BASE, errors_of, post, station

pytestmark = pytest.mark.django_db

TAKEN = "龙桥社区第一网格已有同名驿站“龙桥红色驿站”"


def _blind(monkeypatch, module):
    """The services' read of the twins sees nothing the first time: as if the twin were
    written by another registration between that read and this one's write."""
    real, calls = module.station_twins, []

    def blinded(*args, **kwargs):
        calls.append(1)
        return set() if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(module, "station_twins", blinded)
    return calls


def test_the_database_refuses_a_twin_station(world):
    s = station(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Station.objects.create(
            name=s.name, kind="love", area=s.area, area_path=s.area_path, location="另一处"
        )


def test_registering_a_twin_is_refused_on_the_name_and_writes_nothing(world, api):
    community = world.users["community"]
    station(world)
    body = {"area_id": world.nodes["grid"].pk, "name": " 龙桥红色驿站 ", "kind": "love"}
    r = api.post(community, f"{BASE}/stations/", body)
    assert r.status_code == 422, r.content
    assert r.json()["errors"] == {"name": [TAKEN]}
    assert Station.objects.count() == 1
    assert AuditEntry.objects.filter(action="timebank.station.create").count() == 1
    # The same name in the next grid is another station.
    r = api.post(community, f"{BASE}/stations/", {**body, "area_id": world.nodes["grid2"].pk})
    assert r.status_code == 200, r.content
    assert Station.objects.filter(name="龙桥红色驿站").count() == 2


def test_a_twin_that_raced_past_the_check_gets_the_name_message(world, monkeypatch):
    station(world)
    calls = _blind(monkeypatch, riders)
    with pytest.raises(ValidationError) as exc:
        station(world)
    assert calls and exc.value.message_dict == {"name": [TAKEN]}
    assert Station.objects.count() == 1
    assert AuditEntry.objects.filter(action="timebank.station.create").count() == 1
    station(world, name="龙桥爱心驿站")  # the transaction goes on: the savepoint took the error


def test_the_console_shows_the_twin_message(client, world):
    station(world)
    client.force_login(world.users["community"])
    r = client.post(
        "/timebank/stations/",
        {"area": world.nodes["grid"].pk, "name": "龙桥红色驿站", "kind": "red"},
        follow=True,
    )
    assert r.status_code == 200
    assert TAKEN in r.content.decode()
    assert Station.objects.count() == 1


def _rows():
    return [
        ["龙桥红色驿站", "红色驿站", "龙桥社区第一网格", "", "", ""],
        ["龙桥爱心驿站", "爱心驿站", "龙桥社区第一网格", "", "", ""],
        ["龙桥红色驿站", "红色驿站", "龙桥社区第二网格", "", "", ""],
    ]


def test_an_import_racing_a_registration_names_the_row_taken(world, api, monkeypatch):
    """A station registered between the import's checks and its write: the constraint rolls
    the write back, the row is named with the twin's message; all-or-nothing writes nothing,
    skip-bad writes the other rows."""
    community = world.users["community"]
    station(world)
    calls = _blind(monkeypatch, imports)
    r = post(api, community, "stations", _rows())
    assert r.status_code == 200, r.content
    assert len(calls) == 2  # the checks, then the second look after the refused write
    assert r.json()["created"] == 0 and r.json()["bad_rows"] == 1
    assert errors_of(r) == [(2, "驿站名称", TAKEN)]
    assert Station.objects.count() == 1
    assert AuditEntry.objects.filter(action="timebank.station.create").count() == 1
    assert AuditEntry.objects.filter(action="timebank.stations.import").count() == 1

    calls = _blind(monkeypatch, imports)
    r = post(api, community, "stations", _rows(), mode="skip_bad")
    assert (r.json()["created"], r.json()["bad_rows"]) == (2, 1), r.content
    assert errors_of(r) == [(2, "驿站名称", TAKEN)]
    assert sorted(Station.objects.values_list("area__name", "name")) == [
        ("龙桥社区第一网格", "龙桥爱心驿站"),
        ("龙桥社区第一网格", "龙桥红色驿站"),
        ("龙桥社区第二网格", "龙桥红色驿站"),
    ]
    assert AuditEntry.objects.filter(action="timebank.station.create").count() == 3


def test_an_import_whose_write_breaks_another_key_is_refused_whole(world, api, monkeypatch):
    """No row taken on a second look: the file is refused as before, nothing written."""
    write = imports._write_stations

    def broken(actor, good):
        write(actor, good)
        raise IntegrityError("another key")

    monkeypatch.setattr(imports, "_write_stations", broken)
    r = post(api, world.users["community"], "stations", _rows())
    assert r.status_code == 422, r.content
    assert "导入期间有数据被他人登记" in r.json()["detail"]
    assert not Station.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="timebank.station")
