"""The batch the dues staff repeat (issue 18): recording this month's dues of several members
at once, from the overview's ticked rows.

Dues payments have no confirmation step (docs/decisions.md, "Dues batch: record a month for
several members"): a payment is recorded by the branch's dues staff when the money is
handed over, and that record is the confirmation. What the staff repeat every month is that
recording, one member at a time; the batch records one month for each ticked member at the
amount assessed for it, through the one payment service (``services.payment_create``: the
month owed and unpaid, the profile lock, the ledger transaction, the audit row).

All or nothing with a report per row, as the events' batch dispatch: any member refused (the
month already paid, no profile, a hardship waiver …) and nothing is recorded, each refusal
named, so the staffer never has to find out which receipts were written.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from dangjian.core import audit, tree
from dangjian.core.errors import Conflict
from dangjian.core.scope import Forbidden
from dangjian.core.validation import Errors
from dangjian.dues import calc, services
from dangjian.dues.models import DuesPayment
from dangjian.members.models import Member

MAX_BATCH = 100


def _common_path(paths: list[str]) -> str:
    """The deepest organization path above every one of ``paths`` (the batch's audit row is
    scoped there, so each member's organization sees it)."""
    common = min(paths)
    for path in paths:
        while not path.startswith(common):
            common = common[: -tree.STEP_WIDTH]
    return common


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


@transaction.atomic
def payment_batch_create(
    *, actor, member_ids: list[int], month: dt.date, paid_on: dt.date | None = None
) -> list[DuesPayment]:
    """One payment of ``month`` for each member of ``member_ids``; refused as a whole (422,
    ``member_ids`` naming each refused member and why) when any one is refused; a member out
    of scope reads as absent (404)."""
    # The day is the batch's, not each member's: a bad one is named once, on its field.
    errors = Errors()
    services.paid_day_of(errors, paid_on)
    errors.check()
    ids = list(dict.fromkeys(int(i) for i in member_ids))
    if not ids:
        raise ValidationError({"member_ids": ["请勾选要登记缴费的党员"]})
    if len(ids) > MAX_BATCH:
        raise ValidationError({"member_ids": [f"一次最多登记{MAX_BATCH}名党员"]})
    if not actor.can("dues.manage"):
        raise Forbidden("您没有登记党费的权限")
    found = {m.pk: m for m in Member.objects.visible_to(actor, "dues.view").filter(pk__in=ids)}
    if len(found) != len(ids):
        raise Http404("未找到")
    label = calc.month_label(month)
    made, refused = [], []
    for pk in ids:
        member = found[pk]
        try:
            with transaction.atomic():
                payment, _ = services.payment_create(
                    actor=actor, member=member, months=[month.strftime("%Y-%m")], paid_on=paid_on
                )
                made.append(payment)
        except (ValidationError, Conflict, Forbidden, Http404) as exc:
            refused.append(f"{member.name}：{_message(exc)}")
    if refused:
        transaction.set_rollback(True)
        raise ValidationError(
            {"member_ids": [f"未登记任何缴费（{len(refused)}名党员不能登记）", *refused]}
        )
    audit.record(
        actor=actor,
        action="dues.payment_batch",
        object_type="dues.payment",
        object_repr=f"批量登记{label}党费（{len(made)}人）",
        org_path=_common_path([m.org_path for m in found.values()]),
        after={"month": month.strftime("%Y-%m"), "payment_ids": [p.pk for p in made]},
    )
    return made
