"""Reads of the time bank. Each takes the acting user and reads through ``visible_to`` —
except ``confirmed_participations``, the feed the points module collects (a system read, no
user: points applies its own scope to what it awards)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import scope, tree
from dangjian.core.models import LedgerAccount, LedgerEntry
from dangjian.territory.models import Area, AreaKind
from dangjian.timebank.models import (
    Order,
    OrderState,
    Participation,
    Rider,
    Station,
    TalentOffer,
    VolunteerTeam,
)
from dangjian.timebank.models import ParticipationState as PS

VIEW = "volunteering.view"


def orders(user, *, state: str = "", community_id: int | None = None, mine: bool = False):
    qs = Order.objects.visible_to(user, VIEW).select_related("community", "area", "team")
    if state:
        qs = qs.filter(state=state)
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    if mine:
        qs = qs.filter(Q(requester_id=user.pk) | Q(participations__user_id=user.pk)).distinct()
    return qs.order_by("-created_at", "-id")


def order_detail(user, pk) -> Order:
    qs = Order.objects.select_related("community", "area", "team", "talent").prefetch_related(
        "participations", "steps"
    )
    return scope.get_visible(qs, user, VIEW, pk=pk)


def orders_to_dispatch(user):
    return (
        Order.objects.visible_to(user, "volunteering.dispatch", via=("area_path",))
        .filter(state=OrderState.ORDERED)
        .order_by("starts_at", "id")
    )


def orders_to_accept(user, *, now: dt.datetime | None = None):
    """Open orders the user may still take: open to them, not theirs, not taken by them."""
    if not getattr(user, "pk", None):
        return Order.objects.none()
    now = now or timezone.now()
    return (
        Order.objects.visible_to(user, VIEW, via=("state",))
        .filter(state=OrderState.OPEN, ends_at__gt=now)
        .exclude(requester_id=user.pk)
        .exclude(participations__user_id=user.pk)
        .select_related("community", "area")
        .order_by("starts_at", "id")
    )


def my_open_participations(user):
    if not getattr(user, "pk", None):
        return Participation.objects.none()
    return (
        Participation.objects.filter(
            user_id=user.pk,
            state__in=(PS.ACCEPTED, PS.CHECKED_IN),
            order__state__in=(OrderState.OPEN, OrderState.STAFFED),
        )
        .select_related("order")
        .order_by("order__starts_at", "id")
    )


def orders_to_confirm(user):
    if not getattr(user, "pk", None):
        return Order.objects.none()
    return (
        Order.objects.filter(requester_id=user.pk, state__in=(OrderState.OPEN, OrderState.STAFFED))
        .filter(participations__state=PS.CHECKED_OUT)
        .exclude(participations__state=PS.CHECKED_IN)
        .distinct()
        .order_by("ends_at", "id")
    )


# --- hours ----------------------------------------------------------------------------------------


def my_hours(user, *, limit: int = 50) -> dict:
    """The user's time account: the balance and the latest entries."""
    account = LedgerAccount.objects.filter(
        ledger="timebank", code=f"timebank:user:{user.pk}"
    ).first()
    if account is None:
        return {"balance": Decimal("0.00"), "entries": []}
    entries = (
        LedgerEntry.objects.filter(account=account)
        .select_related("transaction")
        .order_by("-transaction__seq")[:limit]
    )
    return {
        "balance": account.balance,
        "entries": [
            {
                "amount": e.amount,
                "memo": e.transaction.memo,
                "kind": e.transaction.kind,
                "occurred_on": e.transaction.occurred_on,
            }
            for e in entries
        ],
    }


GROUPS = {
    "member": ("user_id", "name"),
    "team": ("team_id", "team__name"),
    "org": ("member__org_id", "member__org__name"),
    "community": ("order__community_id", "order__community__name"),
    "work_unit": ("work_unit", "work_unit"),
}


def hours_summary(
    user,
    *,
    by: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    org_view: bool = False,
    area: int | None = None,
) -> list[dict]:
    """Confirmed service hours grouped ``by`` member, team, organization, community or work
    unit, over what the user reaches: the community through the place (``area_path``), the
    employer's branch through its members' organizations (``org_path``, ``org_view``).

    ``since``/``until`` (inclusive) select by the day the service ended (签退, office time;
    the confirmation's day when it has no check-out), the day the ledger credits the hours on
    (``flow.post_hours``) and so the month the dashboard counts them in: a service checked
    out on the 31st and confirmed on the 1st belongs to the month it was done in."""
    key, label = GROUPS[by]
    via = ("org_path",) if org_view else None
    qs = Participation.objects.visible_to(user, VIEW, via=via).filter(state=PS.CONFIRMED)
    if area is not None:
        node = scope.get_visible(Area.objects.only("pk", "path"), user, VIEW, pk=area)
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    if since:
        qs = qs.filter(
            Q(check_out_at__date__gte=since)
            | Q(check_out_at__isnull=True, confirmed_at__date__gte=since)
        )
    if until:
        qs = qs.filter(
            Q(check_out_at__date__lte=until)
            | Q(check_out_at__isnull=True, confirmed_at__date__lte=until)
        )
    rows = (
        qs.values(key, label)
        .annotate(hours=Sum("hours"), services=Count("id"))
        .order_by("-hours", key)[:500]
    )
    return [
        {
            "key": str(r[key] if r[key] is not None else ""),
            "name": r[label] or "（未分组）",
            "hours": Decimal(str(r["hours"] or 0)).quantize(Decimal("0.01")),
            "services": r["services"],
        }
        for r in rows
    ]


def confirmed_participations(
    *, since: dt.datetime | dt.date | None = None, until: dt.datetime | dt.date | None = None
) -> Iterator[dict]:
    """Every confirmed participation (confirmed in ``[since, until)``) with its current
    credited hours: what the points module awards volunteer hours from, keyed on
    ``participation_id``. A correction changes ``hours`` here; the award already made for the
    participation stays as it was posted (the key is taken: never counted twice)."""
    qs = Participation.objects.filter(state=PS.CONFIRMED).select_related("member__org")
    if since is not None:
        qs = qs.filter(confirmed_at__gte=_moment(since))
    if until is not None:
        qs = qs.filter(confirmed_at__lt=_moment(until))
    for p in (
        qs.order_by("confirmed_at", "id")
        .values("pk", "user_id", "member_id", "hours", "confirmed_at", "area_path", "org_path")
        .iterator(chunk_size=2000)
    ):
        yield {
            "participation_id": p["pk"],
            "user_id": p["user_id"],
            "member_id": p["member_id"],
            "hours": p["hours"],
            "confirmed_at": p["confirmed_at"],
            "area_path": p["area_path"],
            "org_path": p["org_path"] or "",
        }


def _moment(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


# --- teams, roster, stations, riders ---------------------------------------------------------------


def teams(user, *, community_id: int | None = None):
    qs = VolunteerTeam.objects.visible_to(user, VIEW).select_related("community")
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    return qs.annotate(member_count=Count("memberships", distinct=True)).order_by(
        "area_path", "name", "id"
    )


def team_detail(user, pk) -> VolunteerTeam:
    qs = VolunteerTeam.objects.select_related("community").prefetch_related("memberships__user")
    return scope.get_visible(qs, user, VIEW, pk=pk)


def talents(user, *, community_id: int | None = None, service_class: str = ""):
    """The roster a user may book from: their own community's (a resident or member sees the
    roster of where they live), and every roster below a staff member's grant."""
    own_community = Q()
    home = getattr(user, "area_path", "") or ""
    qs = TalentOffer.objects.visible_to(user, VIEW)
    if home and not scope.reach_of(user, "volunteering.order").empty:
        from dangjian.core import tree

        communities = [home[:i] for i in range(tree.STEP_WIDTH, len(home) + 1, tree.STEP_WIDTH)]
        own_community = Q(community__path__in=communities, active=True)
        qs = TalentOffer.objects.filter(Q(pk__in=qs.values("pk")) | own_community)
    qs = qs.select_related("community")
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    if service_class:
        qs = qs.filter(service_class=service_class)
    return qs.order_by("area_path", "service_class", "id")


def talent_roster(
    user,
    *,
    q: str = "",
    community_id: int | None = None,
    service_class: str = "",
    active: bool | None = None,
):
    """The roster as community staff keep it (console): every entry under the user's grant,
    retired ones too, each with how many orders booked it; ``q`` searches the name and the
    skill."""
    qs = TalentOffer.objects.visible_to(user, VIEW).select_related("community")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(skill__icontains=q))
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    if service_class:
        qs = qs.filter(service_class=service_class)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.annotate(bookings=Count("orders")).order_by("area_path", "service_class", "id")


def talent_detail(user, pk) -> TalentOffer:
    qs = TalentOffer.objects.select_related("community", "user")
    return scope.get_visible(qs, user, VIEW, pk=pk)


def talent_bookings(user, talent: TalentOffer, *, limit: int = 50) -> list[Order]:
    """The orders that booked ``talent`` (they run through the one order flow), latest first."""
    qs = Order.objects.visible_to(user, VIEW).filter(talent=talent)
    return list(qs.select_related("community").order_by("-created_at", "-id")[:limit])


def talent_candidates(user, community, *, limit: int = 300):
    """The active accounts living in ``community`` that the user may put on its roster."""
    return list(
        User.objects.visible_to(user, "volunteering.manage")
        .filter(is_active=True, area_path__startswith=community.path)
        .order_by("real_name", "id")[:limit]
    )


def stations(user, *, kind: str = ""):
    qs = Station.objects.visible_to(user, VIEW).select_related("area")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.annotate(rider_count=Count("riders")).order_by("area_path", "name", "id")


def riders(user, *, station_id: int | None = None):
    qs = Rider.objects.visible_to(user, VIEW).select_related("station", "user")
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    return qs.order_by("area_path", "id")


def station_detail(user, pk) -> Station:
    qs = Station.objects.select_related("area").annotate(rider_count=Count("riders"))
    return scope.get_visible(qs, user, VIEW, pk=pk)


def rider_detail(user, pk) -> Rider:
    return scope.get_visible(Rider.objects.select_related("station"), user, VIEW, pk=pk)


def my_rider(user) -> Rider | None:
    """The user's own registration as a courier, rider or driver (新就业群体), with its station."""
    qs = Rider.objects.visible_to(user, VIEW).filter(user_id=user.pk)
    return qs.select_related("station__area").first()


def stations_to_register(user, *, q: str = "", limit: int = 200) -> list[Station]:
    """The stations a courier, rider or driver may register at: every active one (a station
    is a public place: its name, place, services and hours are on its door), ``q`` searching
    the name, the place and the area's name. Nothing else of a station is read here."""
    qs = Station.objects.filter(active=True).select_related("area")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(location__icontains=q) | Q(area__name__icontains=q))
    return list(qs.order_by("area_path", "name", "id")[:limit])


def communities_managed(user, *, limit: int = 200) -> list[Area]:
    """The villages and communities whose time bank ``user`` manages (the console's pickers)."""
    return list(
        Area.objects.visible_to(user, "volunteering.manage")
        .filter(kind__in=(AreaKind.COMMUNITY, AreaKind.VILLAGE))
        .order_by("path")[:limit]
    )
