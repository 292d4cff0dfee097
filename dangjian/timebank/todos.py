"""What waits on people in the time bank (``core.todo``): orders to dispatch (community
staff), orders open to accept (members), orders to serve (helpers who accepted), orders to
confirm (the residents who ordered). One table: each row a source, read through its selector."""

from __future__ import annotations

from dataclasses import dataclass

from dangjian.core import todo

MODULE = "时间银行"
LIMIT = 100


@dataclass(frozen=True)
class Source:
    key: str
    label: str  # the list's name
    title: str  # each item's
    selector: str  # the name of the ``timebank.selectors`` function answering the rows
    page: str  # the order's page, with ``{}`` for its id
    due: bool = True  # the order's start is the item's due time
    of_participation: bool = False  # the rows are participations: the order is theirs

    def items(self, user):
        from dangjian.timebank import selectors

        found = []
        for row in getattr(selectors, self.selector)(user)[:LIMIT]:
            o = row.order if self.of_participation else row
            found.append(
                todo.Todo(
                    source=self.key,
                    title=self.title,
                    subject=f"{o.get_service_class_display()} · {o.no}",
                    url=self.page.format(o.pk),
                    object_id=o.pk,
                    due=o.starts_at if self.due else None,
                )
            )
        return found


PHONE = "/m/timebank/orders/{}/"
SOURCES = (
    Source(
        "timebank.dispatch",
        "待派单的服务订单",
        "派单",
        "orders_to_dispatch",
        "/timebank/orders/{}/",
    ),
    Source("timebank.accept", "可接的服务订单", "可接单", "orders_to_accept", PHONE),
    Source(
        "timebank.serve",
        "待签到签退的服务",
        "签到签退",
        "my_open_participations",
        PHONE,
        of_participation=True,
    ),
    Source(
        "timebank.confirm",
        "待确认的服务订单",
        "确认服务并评价",
        "orders_to_confirm",
        PHONE,
        due=False,
    ),
)


# One callable per source, made once: ``core.todo`` refuses a key declared with another.
_ITEMS = {s.key: s.items for s in SOURCES}


def declare_all() -> None:
    for s in SOURCES:
        todo.declare(s.key, label=s.label, items=_ITEMS[s.key], module=MODULE)
