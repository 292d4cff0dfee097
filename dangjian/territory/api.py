"""``/api/v1/areas/``: the tree routes both trees share (list, children, search, detail), and
the writes and history of ``territory.admin_api``."""

from ninja import Router

from dangjian.core.treeapi import add_tree_routes
from dangjian.territory.admin_api import add_admin_routes
from dangjian.territory.models import Area
from dangjian.territory.schemas import AREA_FIELDS, AreaOut, area_out, area_rows_out

__all__ = ["AREA_FIELDS", "AreaOut", "area_out", "area_rows_out", "router"]

router = Router(tags=["治理区域"])
add_tree_routes(
    router,
    Area,
    "territory.view",
    AreaOut,
    area_out,
    defer=("boundary",),
    fields=AREA_FIELDS,
    rows=area_rows_out,
    closed_field="closed_on",
)
add_admin_routes(router)
