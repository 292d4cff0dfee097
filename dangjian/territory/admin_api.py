"""The governance tree's writes and history under ``/api/v1/areas/`` (on ``territory.api``'s
router): create, change (name, code, households, population), move, merge, close, reopen,
and the audit rows of an area. Thin: the services in ``territory.services`` decide."""

from __future__ import annotations

from typing import Any

from ninja import Status

from dangjian.core.api import ERRORS, Schema, iso, paginate, ref
from dangjian.core.apidates import RecordedDate
from dangjian.core.ids import pk_or_404
from dangjian.core.logging import mask_text
from dangjian.core.treeapi import page_schema
from dangjian.territory import selectors, services
from dangjian.territory.models import Area
from dangjian.territory.schemas import AreaOut, area_out


class AreaCreateIn(Schema):
    parent_id: int | None = None
    name: str
    kind: str
    code: str = ""
    households: int = 0
    population: int = 0


class AreaPatchIn(Schema):
    name: str | None = None
    code: str | None = None
    households: int | None = None
    population: int | None = None


class AreaMoveIn(Schema):
    parent_id: int


class AreaMergeIn(Schema):
    into_id: int
    reason: str = ""


class AreaCloseIn(Schema):
    reason: str
    closed_on: RecordedDate | None = None


class AreaHistoryOut(Schema):
    id: int
    at: str
    action: str
    action_label: str
    actor: str
    before: Any
    after: Any
    note: str


def _area(area_id: int) -> Area:
    return Area(pk=pk_or_404(area_id))


def history_out(e) -> dict:
    return {
        "id": e.pk,
        "at": iso(e.at),
        "action": e.action,
        "action_label": selectors.ACTION_LABELS.get(e.action, e.action),
        "actor": e.actor_label if e.sealed else (e.actor_name or ""),
        "before": e.before,
        "after": e.after,
        "note": mask_text(e.note),
    }


def add_admin_routes(router) -> None:
    """Register the writes and the history on the areas router."""

    @router.post("/", response={201: AreaOut, **ERRORS}, summary="新建区域")
    def create_area(request, data: AreaCreateIn):
        """A new area under ``parent_id`` (``territory.manage`` there; none: a new root, for the
        system administrator). The kind must fit under the parent's, the code its kind and the
        parent's code; a closed parent takes no children (422)."""
        parent = ref(Area, data.parent_id) if data.parent_id is not None else None
        area = services.area_create(
            actor=request.auth,
            parent=parent,
            name=data.name,
            kind=data.kind,
            code=data.code,
            households=data.households,
            population=data.population,
        )
        return Status(201, area_out(area))

    @router.patch("/{int:node_id}", response={200: AreaOut, **ERRORS}, summary="修改区域")
    def update_area(request, node_id: int, data: AreaPatchIn):
        """(The path parameter is named like the detail route's: one URL pattern for both.)
        Rename, re-code, or set households and population; fields left out stay."""
        changes = {k: v for k, v in data.dict(exclude_unset=True).items() if v is not None}
        area = services.area_update(actor=request.auth, area=_area(node_id), **changes)
        return area_out(area)

    @router.post("/{int:area_id}/move", response={200: AreaOut, **ERRORS}, summary="调整区域隶属")
    def move_area(request, area_id: int, data: AreaMoveIn):
        """Move the area and its whole subtree under ``parent_id``; every row carrying its path
        follows in the same transaction. Into its own subtree: 422 on ``parent``."""
        area = services.area_move(
            actor=request.auth, area=_area(area_id), new_parent=ref(Area, data.parent_id)
        )
        return area_out(area)

    @router.post("/{int:area_id}/merge", response={200: AreaOut, **ERRORS}, summary="合并区域")
    def merge_area(request, area_id: int, data: AreaMergeIn):
        """Merge this area (the one in the path) into ``into_id``, of the same kind: its children
        and rows move there, it is closed. Answers the area merged into."""
        area = services.area_merge(
            actor=request.auth,
            area=_area(area_id),
            into=ref(Area, data.into_id),
            reason=data.reason,
        )
        return area_out(area)

    @router.post("/{int:area_id}/close", response={200: AreaOut, **ERRORS}, summary="撤销区域")
    def close_area(request, area_id: int, data: AreaCloseIn):
        """Close the area (it stays for history). 409 naming what still lives there: open
        children, open events, living members, open organizations."""
        area = services.area_close(
            actor=request.auth, area=_area(area_id), reason=data.reason, closed_on=data.closed_on
        )
        return area_out(area)

    @router.post("/{int:area_id}/reopen", response={200: AreaOut, **ERRORS}, summary="恢复区域")
    def reopen_area(request, area_id: int):
        area = services.area_reopen(actor=request.auth, area=_area(area_id))
        return area_out(area)

    @router.get(
        "/{int:area_id}/history",
        response={200: page_schema(AreaHistoryOut), **ERRORS},
        summary="区域变更记录",
    )
    def area_history(request, area_id: int):
        """The audit rows about the area the caller may read (``audit.view``), newest first."""
        qs = selectors.area_history(request.auth, pk_or_404(area_id))
        return paginate(request, qs, history_out)
