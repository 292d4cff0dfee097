from ninja import Router, Schema

from dangjian.core.choices import label
from dangjian.core.treeapi import add_tree_routes
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
    }


router = Router(tags=["治理区域"])
add_tree_routes(router, Area, "territory.view", AreaOut, area_out, defer=("boundary",))
