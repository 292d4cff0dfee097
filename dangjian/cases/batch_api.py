"""The events' batch dispatch under /api/v1/cases/batch/ (issue 18): the same service as the
console's ticked rows (``cases.batch.event_batch_dispatch``): all or nothing; any event refused
and nothing moves, 422 naming each refused event and why (``errors.event_ids``); an event out
of the caller's reach reads as absent (404); audited as ``event.batch_dispatch``."""

from __future__ import annotations

from django.utils import timezone
from ninja import Router

from dangjian.accounts import labels
from dangjian.cases import batch, selectors
from dangjian.cases.api import EventOut, event_out
from dangjian.core.api import ERRORS, Schema, batch_run
from dangjian.core.ids import pk_or_404

router = Router(tags=["网格事件"])


class BatchDispatchIn(Schema):
    event_ids: list[int] | None = None
    department_id: int | None = None
    note: str = ""


class BatchDispatchOut(Schema):
    count: int
    department_id: int
    department_name: str
    items: list[EventOut]


@router.post("/batch/dispatch", response={200: BatchDispatchOut, **ERRORS})
def batch_dispatch(request, data: BatchDispatchIn):
    """Dispatch every event of ``event_ids`` (at most 100) to the department
    ``department_id``, each by the move its state allows (dispatch, or redispatch of a returned
    event). All or nothing: when any event is refused none is dispatched and the answer is 422
    with ``errors.event_ids`` naming each refused event and the reason."""
    department_id = pk_or_404(data.department_id)
    moved, qs = batch_run(
        request,
        batch.event_batch_dispatch,
        selectors.event_list,
        data,
        ids="event_ids",
        department_id=department_id,
    )
    now = timezone.now()
    items = [event_out(e, request.auth, now) for e in labels.label_departments(qs)]
    department = moved[0].department
    return {
        "count": len(items),
        "department_id": department.pk,
        "department_name": department.name,
        "items": items,
    }
