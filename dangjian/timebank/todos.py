"""What waits on people in the time bank (``core.todo``): orders to dispatch (community
staff), orders open to accept (members), orders to serve (helpers who accepted), orders to
confirm (the residents who ordered)."""

from __future__ import annotations

from dangjian.core import todo


def _dispatch(user):
    from dangjian.timebank import selectors

    return [
        todo.Todo(
            source="timebank.dispatch",
            title="派单",
            subject=f"{o.get_service_class_display()} · {o.no}",
            url=f"/timebank/orders/{o.pk}/",
            object_id=o.pk,
            due=o.starts_at,
        )
        for o in selectors.orders_to_dispatch(user)[:100]
    ]


def _accept(user):
    from dangjian.timebank import selectors

    return [
        todo.Todo(
            source="timebank.accept",
            title="可接单",
            subject=f"{o.get_service_class_display()} · {o.no}",
            url=f"/m/timebank/orders/{o.pk}/",
            object_id=o.pk,
            due=o.starts_at,
        )
        for o in selectors.orders_to_accept(user)[:100]
    ]


def _serve(user):
    from dangjian.timebank import selectors

    return [
        todo.Todo(
            source="timebank.serve",
            title="签到签退",
            subject=f"{p.order.get_service_class_display()} · {p.order.no}",
            url=f"/m/timebank/orders/{p.order_id}/",
            object_id=p.order_id,
            due=p.order.starts_at,
        )
        for p in selectors.my_open_participations(user)[:100]
    ]


def _confirm(user):
    from dangjian.timebank import selectors

    return [
        todo.Todo(
            source="timebank.confirm",
            title="确认服务并评价",
            subject=f"{o.get_service_class_display()} · {o.no}",
            url=f"/m/timebank/orders/{o.pk}/",
            object_id=o.pk,
        )
        for o in selectors.orders_to_confirm(user)[:100]
    ]


def declare_all() -> None:
    module = "时间银行"
    todo.declare("timebank.dispatch", label="待派单的服务订单", items=_dispatch, module=module)
    todo.declare("timebank.accept", label="可接的服务订单", items=_accept, module=module)
    todo.declare("timebank.serve", label="待签到签退的服务", items=_serve, module=module)
    todo.declare("timebank.confirm", label="待确认的服务订单", items=_confirm, module=module)
