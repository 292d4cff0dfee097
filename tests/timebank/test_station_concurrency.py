"""Two registrations or two imports of the same station at once on PostgreSQL: one wins, the
other is told on the name (or on each of its rows), and the station exists once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.models import AuditEntry
from dangjian.timebank import imports, riders
from dangjian.timebank.models import Station
from tests.concurrency import race
from tests.conftest import postgres_only
from tests.members.helpers import xlsx
from tests.timebank.test_imports import STATION_HEADER, station

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]

TAKEN = "龙桥社区第一网格已有同名驿站“龙桥红色驿站”"


def _register(world):
    return lambda: station(world)


def _one_winner(out):
    won = [x for x in out if isinstance(x, Station)]
    lost = [x for x in out if not isinstance(x, Station)]
    assert len(won) == 1 and len(lost) == 1, out
    assert isinstance(lost[0], ValidationError), out
    assert lost[0].message_dict == {"name": [TAKEN]}
    assert Station.objects.filter(name="龙桥红色驿站").count() == 1
    assert AuditEntry.objects.filter(action="timebank.station.create").count() == 1


def test_two_registrations_of_the_same_station_at_once(world):
    _one_winner(race(_register(world), _register(world)))


def test_two_registrations_past_the_check_the_constraint_decides(world, monkeypatch):
    """Both threads' checks see no twin (blinded), so both insert: the second waits on the
    first's unique key, gets the IntegrityError, and answers the name's message."""
    monkeypatch.setattr(riders, "station_twins", lambda *a, **k: set())
    _one_winner(race(_register(world), _register(world)))


def test_two_imports_of_the_same_stations_at_once(world):
    rows = [[f"驿站{i:03d}", "红色驿站", "龙桥社区第一网格", "", "", ""] for i in range(50)]
    content = xlsx([STATION_HEADER, *rows])
    actor = world.users["community"]
    out = race(
        lambda: imports.stations_import(actor=actor, content=content),
        lambda: imports.stations_import(actor=actor, content=content),
    )
    assert sorted(r["created"] for r in out) == [0, 50], out
    lost = next(r for r in out if r["created"] == 0)
    assert lost["bad_rows"] == 50
    assert [(e["row"], e["message"]) for e in lost["errors"]] == [
        (n + 2, f"龙桥社区第一网格已有同名驿站“驿站{n:03d}”") for n in range(50)
    ]
    assert Station.objects.count() == 50
    assert AuditEntry.objects.filter(action="timebank.station.create").count() == 50
