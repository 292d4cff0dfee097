"""The migration adding ``station_unique_name`` copes with twins a deployed database already
holds: nothing is deleted, the first station keeps its name, each later twin gets a "（重名n）"
mark with an audit row, the riders stay where they were; then the constraint holds."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from dangjian.core.models import AuditEntry
from dangjian.timebank.models import Station

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("timebank", "0001_initial")]
AFTER = [("timebank", "0002_station_unique_name")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_twins_are_marked_not_deleted_and_the_constraint_then_holds(world):
    grid, grid2 = world.nodes["grid"], world.nodes["grid2"]
    try:
        old = _migrate(BEFORE)
        OldStation = old.get_model("timebank", "Station")
        long_name = "长" * 100

        def make(area, name):
            return OldStation.objects.create(
                name=name, kind="red", area_id=area.pk, area_path=area.path
            ).pk

        first = make(grid, "龙桥红色驿站")
        twins = [make(grid, "龙桥红色驿站") for _ in range(2)]
        taken = make(grid, "龙桥红色驿站（重名2）")  # a name the mark must step over
        other_grid = make(grid2, "龙桥红色驿站")
        longs = [make(grid, long_name) for _ in range(2)]
    finally:
        _migrate(AFTER)
    names = dict(Station.objects.values_list("pk", "name"))
    assert names[first] == "龙桥红色驿站" and names[other_grid] == "龙桥红色驿站"
    assert [names[pk] for pk in twins] == ["龙桥红色驿站（重名3）", "龙桥红色驿站（重名4）"]
    assert names[taken] == "龙桥红色驿站（重名2）"
    assert names[longs[0]] == long_name
    assert names[longs[1]] == "长" * 95 + "（重名2）" and len(names[longs[1]]) == 100
    audits = AuditEntry.objects.filter(action="timebank.station.rename").order_by("id")
    assert {(a.object_id, a.actor_id, a.object_type, a.area_path) for a in audits} == {
        (str(pk), None, "timebank.station", grid.path) for pk in (*twins, longs[1])
    }
    assert {(a.before["name"], a.after["name"]) for a in audits} == {
        ("龙桥红色驿站", "龙桥红色驿站（重名3）"),
        ("龙桥红色驿站", "龙桥红色驿站（重名4）"),
        (long_name, names[longs[1]]),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Station.objects.create(name="龙桥红色驿站", kind="love", area=grid, area_path=grid.path)
