"""The area as the API answers it (read routes and writes alike)."""

import datetime as dt

from dangjian.core.api import Schema
from dangjian.core.choices import label, labels
from dangjian.territory.models import Area, AreaKind


class AreaOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    level: int
    path: str
    parent_id: int | None
    child_count: int
    code: str
    households: int
    population: int
    closed_on: dt.date | None
    closed_reason: str
    merged_into_id: int | None


def area_out(a: Area) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "kind": a.kind,
        "kind_label": label(AreaKind, a.kind),
        "level": a.level,
        "path": a.path,
        "parent_id": a.parent_id,
        "child_count": a.child_count,
        "code": a.code,
        "households": a.households,
        "population": a.population,
        "closed_on": a.closed_on,
        "closed_reason": a.closed_reason,
        "merged_into_id": a.merged_into_id,
    }


# The children list reads these columns as tuples (``core.treeapi.children_page``).
AREA_FIELDS = (
    "id",
    "name",
    "kind",
    "level",
    "path",
    "parent_id",
    "child_count",
    "code",
    "households",
    "population",
    "closed_on",
    "closed_reason",
    "merged_into_id",
)


def area_rows_out(rows: list[tuple]) -> list[dict]:
    """``area_out`` of rows of ``AREA_FIELDS``; labels looked up once per page."""
    kinds = labels(AreaKind)
    return [
        {
            "id": r[0],
            "name": r[1],
            "kind": r[2],
            "kind_label": kinds.get(r[2], r[2]),
            "level": r[3],
            "path": r[4],
            "parent_id": r[5],
            "child_count": r[6],
            "code": r[7],
            "households": r[8],
            "population": r[9],
            "closed_on": r[10],
            "closed_reason": r[11],
            "merged_into_id": r[12],
        }
        for r in rows
    ]
