"""Builders for the dues tests: members with dues profiles, made through the services."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dangjian.dues import services
from tests.members.helpers import member as make_member

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=TZ)


def dues_member(
    world,
    *,
    org="grid_branch",
    category="in_service",
    base="4000",
    month=None,
    quarterly=False,
    **kw,
):
    """A member of ``org`` with a dues profile from ``month`` (default: this month)."""
    admin = world.users["admin"]
    m = make_member(admin, world.orgs[org], **kw)
    services.profile_set(
        actor=admin,
        member=m,
        category=category,
        base=base,
        effective_month=month,
        quarterly=quarterly,
    )
    return m


def pay(world, member, months, user="admin", **kw):
    payment, _ = services.payment_create(
        actor=world.users[user], member=member, months=months, **kw
    )
    return payment
