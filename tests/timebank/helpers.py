"""Builders for the time-bank tests: members linked to accounts and checked in to the
community, orders made and moved through the services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.accounts.models import UserKind
from dangjian.members.services.account_link import member_account_link
from dangjian.members.services.checkin import member_checkin
from dangjian.timebank import services
from tests.members.helpers import member as make_member
from tests.world import user as make_user


def helper(world, name: str, *, checked_in: bool = True, org: str = "grid_branch"):
    """A member account (role member) living in the unit, checked in to 龙桥社区."""
    admin = world.users["admin"]
    u = make_user(f"t-{name}", role="member", kind=UserKind.MEMBER, home=world.nodes["unit"])
    m = make_member(
        admin, world.orgs[org], name=name, work_unit="城厢区财政局", categories=["in_service"]
    )
    member_account_link(actor=admin, user=u, member=m)
    if checked_in:
        member_checkin(actor=admin, member=m, community=world.nodes["community"])
    return u


def order(world, *, resident=None, helpers=1, start_in=dt.timedelta(hours=2), hours=3, **kw):
    now = timezone.now()
    return services.order_create(
        actor=resident or world.users["resident"],
        service_class=kw.pop("service_class", "elderly"),
        description=kw.pop("description", "帮独居老人买菜做饭"),
        place=kw.pop("place", "1号楼302室"),
        starts_at=now + start_in,
        ends_at=now + start_in + dt.timedelta(hours=hours),
        helpers_wanted=helpers,
        **kw,
    )


def move(actor, o, action, **fields):
    return services.order_transition(actor=actor, order=o, action=action, **fields)


def dispatched(world, **kw):
    o = order(world, **kw)
    return move(world.users["community"], o, "dispatch", open_to_checked_in=True)
