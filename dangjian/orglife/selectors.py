"""Reads of organizational life: each takes the acting user and applies scope."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from dangjian.core import scope, tree
from dangjian.core.months import next_month
from dangjian.members.models import Member
from dangjian.members.models.committee import CommitteeSeat, CommitteeStatus
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.orglife.models import (
    Attendance,
    AttendanceStatus,
    Base,
    Plan,
    PlanItem,
    Session,
    SessionState,
    SessionType,
)

VIEW = "orglife.view"
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def with_counts(qs):
    return qs.annotate(
        roster=Count("attendances", distinct=True),
        present=Count(
            "attendances",
            filter=Q(attendances__status=AttendanceStatus.PRESENT),
            distinct=True,
        ),
    )


def session_list(
    user,
    *,
    org: int | None = None,
    session_type: str | None = None,
    state: str | None = None,
    month: str | None = None,
    q: str | None = None,
):
    qs = Session.objects.visible_to(user, VIEW)
    if org is not None:
        node = scope.get_visible(
            PartyOrg.objects.defer("contact_phone"), user, "organizations.view", pk=org
        )
        qs = qs.filter(tree.subtree_q("org_path", node.path))
    if session_type:
        if session_type not in SessionType.values:
            raise _bad("session_type", f"类型取值无效，可选：{'、'.join(SessionType.values)}")
        qs = qs.filter(session_type=session_type)
    if state:
        if state not in SessionState.values:
            raise _bad("state", f"状态取值无效，可选：{'、'.join(SessionState.values)}")
        qs = qs.filter(state=state)
    if month:
        m = _MONTH_RE.match(month)
        if not m:
            raise _bad("month", "月份格式应为YYYY-MM")
        qs = qs.filter(month=int(m.group(1)) * 100 + int(m.group(2)))
    text = (q or "").replace("\x00", "").strip()[:50]
    if text:
        qs = qs.filter(topic__contains=text)
    return with_counts(qs.select_related("org", "base").defer("org__contact_phone")).order_by(
        "-starts_at", "-id"
    )


def session_get(user, pk: int, action: str = VIEW) -> Session:
    qs = Session.objects.select_related(
        "org", "base", "base_activity", "host", "recorder", "reviewed_by"
    ).defer("org__contact_phone", "host__id_number", "recorder__id_number")
    return scope.get_visible(qs, user, action, view_action=VIEW, pk=pk)


def attendance_of(session: Session):
    return session.attendances.order_by("role", "member_name", "id")


def my_member(user) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.filter(user_id=user.pk, left_on__isnull=True).first()


def my_sessions(user, *, upcoming: bool = False):
    """The sessions on whose roster the user's member file is."""
    qs = Session.objects.filter(attendances__member__user_id=user.pk).visible_to(user, VIEW)
    if upcoming:
        qs = qs.filter(state=SessionState.SCHEDULED, ends_at__gte=timezone.now()).order_by(
            "starts_at", "id"
        )
    else:
        qs = qs.order_by("-starts_at", "-id")
    return qs.select_related("org").defer("org__contact_phone")


def my_attendance(user):
    return (
        Attendance.objects.visible_to(user, "orglife.checkin")
        .filter(member__user_id=user.pk)
        .select_related("session", "session__org")
        .defer("session__org__contact_phone")
        .order_by("-session__starts_at", "-id")
    )


def _plans(user, org: int | None, year: int | None):
    """The visible plans, in the subtree of ``org`` (404 when it is out of reach) and ``year``."""
    qs = Plan.objects.visible_to(user, VIEW)
    if org is not None:
        node = scope.get_visible(
            PartyOrg.objects.defer("contact_phone"), user, "organizations.view", pk=org
        )
        qs = qs.filter(tree.subtree_q("org_path", node.path))
    if year is not None:
        qs = qs.filter(year=year)
    return qs


def plan_list(user, *, org: int | None = None, year: int | None = None):
    qs = _plans(user, org, year)
    return (
        qs.select_related("org")
        .defer("org__contact_phone")
        .prefetch_related("items")
        .order_by("org_path", "-year", "quarter", "id")
    )


def plan_get(user, pk: int) -> Plan:
    qs = Plan.objects.select_related("org").defer("org__contact_phone").prefetch_related("items")
    return scope.get_visible(qs, user, VIEW, pk=pk)


def plan_page(user, *, org: int | None = None, year: int | None = None):
    """The plans of the list page: no items fetched, their counts annotated (how many items,
    how many already have a session)."""
    qs = _plans(user, org, year)
    return (
        qs.select_related("org")
        .defer("org__contact_phone")
        .annotate(
            n_items=Count("items", distinct=True),
            n_used=Count("items", filter=Q(items__sessions__isnull=False), distinct=True),
        )
        .order_by("-year", "org_path", "quarter", "id")
    )


def plan_items(plan: Plan) -> list[PlanItem]:
    """The plan's items, each with ``scheduled``: its sessions (any state), in two queries."""
    items = list(
        PlanItem.objects.filter(plan=plan)
        .select_related("base")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=Session.objects.only(
                    "id", "topic", "state", "starts_at", "plan_item_id"
                ).order_by("starts_at", "id"),
                to_attr="scheduled",
            )
        )
        .order_by("month", "id")
    )
    return items


def plan_item_get(user, pk: int, action: str = VIEW) -> PlanItem:
    """An item through its plan's scope (out of scope: 404)."""
    item = PlanItem.objects.filter(pk=pk).only("id", "plan_id").first()
    if item is None:
        from django.http import Http404

        raise Http404("未找到")
    plan = scope.get_visible(
        Plan.objects.select_related("org").defer("org__contact_phone"),
        user,
        action,
        view_action=VIEW,
        pk=item.plan_id,
    )
    item = PlanItem.objects.select_related("base").get(pk=pk)
    item.plan = plan
    return item


def base_list(user, *, q: str | None = None):
    """Open bases are for every branch of the city: any user who may see organizational life
    sees them all; closed ones only within the managing organization's scope."""
    if scope.reach_of(user, VIEW).empty:
        return Base.objects.none()
    visible = Base.objects.visible_to(user, VIEW).values("id")
    qs = Base.objects.filter(Q(is_open=True) | Q(id__in=visible))
    text = (q or "").replace("\x00", "").strip()[:50]
    if text:
        qs = qs.filter(name__contains=text)
    return (
        qs.select_related("org", "area")
        .defer("org__contact_phone", "area__boundary")
        .prefetch_related("activities")
        .order_by("area_path", "name", "id")
    )


def base_get(user, pk: int) -> Base:
    qs = base_list(user)
    try:
        return qs.get(pk=pk)
    except Base.DoesNotExist:
        from django.http import Http404

        raise Http404("未找到") from None


def month_range(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    first = dt.date(year, month, 1)
    start, end = (
        timezone.make_aware(dt.datetime.combine(day, dt.time()))
        for day in (first, next_month(first))
    )
    return start, end


def schedule_choices(user, org: PartyOrg) -> tuple[list, list, list]:
    """What the scheduling form offers beside the organization's own members (issue 18: set on
    the page, not through the API): the sibling organizations to hold it jointly with, the
    serving committee members of the organizations above (leaders attending as ordinary
    members) and the other members under the parent to invite — each visible to ``user``, a
    bounded list, four queries."""
    joint: list = []
    invitees: list = []
    if org.parent_id:
        joint = list(
            PartyOrg.objects.visible_to(user, "organizations.view")
            .filter(
                parent_id=org.parent_id,
                kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.GROUP),
            )
            .exclude(pk=org.pk)
            .defer("contact_phone")
            .order_by("path")[:50]
        )
    ancestors = tree.ancestors_of(org.path)
    members = Member.objects.visible_to(user, "members.view").filter(
        left_on__isnull=True, status__in=("full", "probationary")
    )
    leader_ids = CommitteeSeat.objects.filter(
        committee__status=CommitteeStatus.CURRENT,
        committee__org_path__in=ancestors,
        ends_on__isnull=True,
    ).values("member_id")
    leaders = list(members.filter(pk__in=leader_ids).only("id", "name").order_by("name", "id")[:50])
    if ancestors:
        parent_path = ancestors[-1]
        invitees = list(
            members.filter(tree.subtree_q("org_path", parent_path))
            .exclude(tree.subtree_q("org_path", org.path))
            .only("id", "name")
            .order_by("name", "id")[:300]
        )
    return joint, leaders, invitees
