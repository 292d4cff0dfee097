"""Members' to-dos (``core.todo``) and the transfer notification (``core.notify``).

A transfer (组织关系转接) waits on the side of the flow that moves it next: a request on the
sending organization and the committee just above it, an internal transfer the sender approved
on the receiving ones (``members.manage``, the flow's "from" and "to" sides). Read through
``selectors.transfer_list`` (the ``members.view`` scope).

Check-in service records (报到服务记录) are entered by the community staff themselves: there
is no confirmation step, so they wait on nobody.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Length
from django.urls import reverse

from dangjian.core import notify, scope, todo, tree
from dangjian.members import selectors
from dangjian.members.models import MemberTransfer, TransferState

MANAGE = "members.manage"
MODULE = "党员"
KIND_TRANSFER = "members.transfer"


def _waiting(user, state: str, field: str):
    q = Q(pk__in=[])
    for p in scope.reach_of(user, MANAGE).org_paths:
        q |= tree.subtree_q(field, p) & Q(side_len__lte=len(p) + tree.STEP_WIDTH)
    return selectors.transfer_list(user, state=state).annotate(side_len=Length(field)).filter(q)


QUERIES = {
    "members.transfer_out": (
        "审批转出申请",
        "待转出审批的组织关系",
        lambda u: _waiting(u, TransferState.REQUESTED, "from_org_path"),
    ),
    "members.transfer_in": (
        "接收转入党员",
        "待接收的组织关系",
        lambda u: _waiting(u, TransferState.OUT_APPROVED, "to_org_path"),
    ),
}


def _source(key: str):
    title, _label, query = QUERIES[key]

    def items(user):
        rows = query(user).order_by("created_at", "id")[:200]
        url = reverse("console:members:transfers")
        return [
            todo.Todo(
                source=key,
                title=title,
                subject=f"{t.member_name} · {t.from_org_name or '系统外'}→{t.to_org_name or '系统外'}",
                url=f"{url}?state={t.state}",
                object_id=t.pk,
                due=None,
            )
            for t in rows
        ]

    def count(user):
        return query(user).count()

    return items, count


def declare() -> None:
    for key, (_title, label, _q) in QUERIES.items():
        items, count = _source(key)
        todo.declare(key, label=label, items=items, count=count, module=MODULE)
    notify.declare_kind(KIND_TRANSFER, "组织关系转入")


def tell_receiving(transfer: MemberTransfer) -> int:
    """The receiving organization's managers are told a transfer has arrived for them."""
    from dangjian.accounts.recipients import nearest_holders

    return notify.notify(
        recipients=nearest_holders(MANAGE, path=transfer.to_org_path, tree_name="org"),
        kind=KIND_TRANSFER,
        title="有党员组织关系转入待接收",
        body=f"{transfer.member_name}由{transfer.from_org_name}转入{transfer.to_org_name}，请及时接收。",
        url=reverse("console:members:transfers") + f"?state={TransferState.OUT_APPROVED}",
        key=f"members.transfer:{transfer.pk}:arrived",
    )
