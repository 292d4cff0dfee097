"""Builders for the points tests: schemes, rules and subjects, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dangjian.accounts.models import UserKind
from dangjian.points import services
from dangjian.points.sources import SourceEvent
from tests import world as world_mod


def resident_scheme(world, **data):
    return services.scheme_create(
        actor=world.users["community"],
        data={
            "name": "龙桥社区居民积分",
            "audience": "residents",
            "area_id": world.nodes["community"].pk,
            **data,
        },
    )


def member_scheme(world, **data):
    return services.scheme_create(
        actor=world.users["community"],
        data={
            "name": "先锋指数",
            "audience": "members",
            "org_id": world.orgs["community_committee"].pk,
            **data,
        },
    )


def rule(world, scheme, **data):
    values = {"name": "环境卫生", "category": "环境整治", "points": "5"}
    values.update(data)
    return services.rule_create(actor=world.users["community"], scheme_id=scheme.pk, data=values)


def item(world, scheme, **data):
    values = {"name": "洗衣液", "price": "20", "stock": 5}
    values.update(data)
    return services.item_create(actor=world.users["community"], scheme_id=scheme.pk, data=values)


def resident(world, name="李四", home="unit"):
    u = world_mod.user(
        f"r-{name}-{world.nodes[home].pk}",
        role="resident",
        kind=UserKind.RESIDENT,
        home=world.nodes[home],
    )
    u.real_name = name
    u.save(update_fields=["real_name"])
    return u


def event(user, ref, *, source="cases.visit", day=None, quantity=1):
    return SourceEvent(
        source=source,
        ref=str(ref),
        user_id=user.pk,
        name=str(user),
        area_path=user.area_path,
        org_path="",
        occurred_on=day or dt.date.today(),
        quantity=Decimal(quantity),
    )


def credit(world, scheme, user, points="50", ref="seed"):
    """Give ``user`` points through a collected source (a visit rule of ``points``)."""
    r = rule(world, scheme, name=f"走访{ref}", source="cases.visit", points=points)
    services.award_events([event(user, ref)])
    return r
