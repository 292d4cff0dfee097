"""The dues staff's batch under /api/v1/dues/payments/batch (issue 18): one month recorded for
several members at once through the same service as the overview's ticked rows
(``dues.batch.payment_batch_create``: each member's payment by ``services.payment_create``).
All or nothing: any member refused and nothing is recorded, 422 naming each refused member
and why (``errors.member_ids``); a member out of the caller's reach reads as absent (404);
audited as ``dues.payment_batch``.

Dues have no separate confirmation step (docs/decisions.md, "Dues batch: record a month for
several members"): the staff's record of the money handed over is the confirmation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Router

from dangjian.core.api import ERRORS, Schema, batch_run
from dangjian.dues import batch, calc, selectors
from dangjian.dues.api import PaymentOut, payment_out

router = Router(tags=["党费"])


class PaymentBatchIn(Schema):
    member_ids: list[int] | None = None
    month: str | None = None
    paid_on: dt.date | None = None


class PaymentBatchOut(Schema):
    count: int
    month: str
    month_label: str
    total: str
    items: list[PaymentOut]


@router.post("/payments/batch", response={200: PaymentBatchOut, **ERRORS})
def payment_batch(request, data: PaymentBatchIn):
    """Record ``month`` (``YYYY-MM``; this month when omitted) for every member of
    ``member_ids`` (at most 100), each at the amount assessed for them, paid on ``paid_on``
    (today when omitted). All or nothing: when any member is refused (the month already paid,
    no dues profile, a waiver …) nothing is recorded and the answer is 422 with
    ``errors.member_ids`` naming each refused member and the reason."""
    month = (
        calc.parse_month(data.month, "month")
        if data.month not in (None, "")
        else calc.month_of(timezone.localdate())
    )
    made, rows = batch_run(
        request, batch.payment_batch_create, selectors.payments, data, ids="member_ids", month=month
    )
    months = selectors.payment_months([p.pk for p in made])
    items = [payment_out(p, months.get(p.pk, [])) for p in rows]
    return {
        "count": len(items),
        "month": month.strftime("%Y-%m"),
        "month_label": calc.month_label(month),
        "total": str(sum((p.total for p in made), start=Decimal("0.00"))),
        "items": items,
    }
