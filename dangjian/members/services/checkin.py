"""Writes of community check-in (双报到): the member's and the organization's check-in, services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import models, transaction
from django.utils import timezone

from dangjian.core import audit, scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_free_text, clean_text
from dangjian.members.models import (
    Category,
    CheckinService,
    CommunityCheckin,
    Member,
)
from dangjian.members.services.fields import ACTIVE_STATUSES, _as_date, _is_user
from dangjian.organizations.models import OrgDomain, PartyOrg
from dangjian.territory.models import Area, AreaKind

CHECKIN_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.VILLAGE)


def residence_community(member: Member) -> Area | None:
    """The village or community the member's residence lies in."""
    if not member.area_path:
        return None
    paths = [*tree.ancestors_of(member.area_path), member.area_path]
    return (
        Area.objects.defer("boundary")
        .filter(path__in=paths, kind__in=CHECKIN_AREA_KINDS)
        .order_by("-depth")
        .first()
    )


def _community(errors: Errors, actor, community, home: Area | None = None) -> Area | None:
    if community is None:
        if home is None:
            errors.add("community", "请选择报到社区")
        return home
    if home is not None and community.pk == home.pk:
        return home
    found = scope.get_visible(
        Area.objects.defer("boundary"), actor, "territory.view", pk=community.pk
    )
    if found.kind not in CHECKIN_AREA_KINDS:
        errors.add("community", "报到对象须为村(社区)")
    return found


def _reported_on(errors: Errors, value) -> dt.date:
    today = timezone.localdate()
    day = _as_date(errors, "reported_on", value) or today
    if day > today:
        errors.add("reported_on", "报到日期不能晚于今天")
    return day


@transaction.atomic
def member_checkin(
    *,
    actor,
    member: Member,
    community: Area | None = None,
    reported_on=None,
    work_unit: str | None = None,
) -> CommunityCheckin:
    """An in-service member reports to the community where they live (by default the one of
    their residence). The member's organization or the member themself records it."""
    member = scope.get_visible(
        Member, actor, "members.checkin", view_action="members.view", pk=member.pk
    )
    errors = Errors()
    if Category.IN_SERVICE not in member.category_codes():
        errors.add("member", "只有在职党员需要到居住地社区报到")
    if member.status not in ACTIVE_STATUSES or member.left_on:
        errors.add("member", f"该党员状态为“{member.get_status_display()}”，不能报到")
    target = _community(errors, actor, community, residence_community(member))
    day = _reported_on(errors, reported_on)
    unit_name = clean_text(member.work_unit if work_unit is None else work_unit)
    if len(unit_name) > 100:
        errors.add("work_unit", "工作单位不能超过100个字")
    errors.check()
    checkin = _checkin_write(
        actor,
        "member.checkin",
        "该党员已向该社区报到",
        target,
        day,
        org_path=member.org_path,
        member=member,
        name=member.name,
        work_unit=unit_name,
    )
    scope.assert_visible(member, actor, "members.checkin")
    return checkin


def _checkin_write(
    actor, action: str, taken: str, community: Area, day, *, org_path: str, **who
) -> CommunityCheckin:
    """One check-in of a member or an organization (``who``: the owner and the copied name
    and unit): refused when the same owner already reported to that community; audited."""
    owner = {k: v for k, v in who.items() if k in ("member", "party_org")}
    if CommunityCheckin.objects.filter(community=community, **owner).exists():
        raise Conflict(taken)
    checkin = CommunityCheckin.objects.create(
        community=community, area_path=community.path, reported_on=day, **who
    )
    audit.record(
        actor=actor, action=action, obj=checkin, org_path=org_path, after=audit.snapshot(checkin)
    )
    return checkin


@transaction.atomic
def org_checkin(
    *, actor, org: PartyOrg, community: Area | None, reported_on=None
) -> CommunityCheckin:
    """An agency (or institution, or enterprise) branch reports to a community as an organization."""
    org = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"),
        actor,
        "members.checkin",
        view_action="organizations.view",
        pk=org.pk,
    )
    errors = Errors()
    if org.domain in (OrgDomain.VILLAGE, OrgDomain.COMMUNITY):
        errors.add("org", "村(社区)党组织不需要到社区报到")
    target = _community(errors, actor, community)
    day = _reported_on(errors, reported_on)
    errors.check()
    checkin = _checkin_write(
        actor,
        "org.checkin",
        "该党组织已向该社区报到",
        target,
        day,
        org_path=org.path,
        party_org=org,
        name=org.name,
        work_unit=org.name,
    )
    scope.assert_visible(org, actor, "organizations.view")
    return checkin


@transaction.atomic
def checkin_service_record(
    *, actor, checkin: CommunityCheckin, served_on=None, content: str = "", hours=None
) -> CheckinService:
    """The community records a service the member (or branch) gave: the service record."""
    checkin = scope.get_visible(
        CommunityCheckin.objects.select_for_update(),
        actor,
        "members.checkin",
        view_action="members.checkin_view",
        pk=checkin.pk,
    )
    errors = Errors()
    today = timezone.localdate()
    day = _as_date(errors, "served_on", served_on) or today
    if day > today:
        errors.add("served_on", "服务日期不能晚于今天")
    elif day < checkin.reported_on:
        errors.add("served_on", "服务日期不能早于报到日期")
    content = clean_free_text(content)
    if not content:
        errors.add("content", "请填写服务内容")
    elif len(content) > 200:
        errors.add("content", "服务内容不能超过200个字")
    try:
        amount = Decimal(str(hours)).quantize(Decimal("0.1")) if hours not in (None, "") else None
    except (InvalidOperation, ValueError):
        amount = None
        errors.add("hours", "服务时长应为数字")
    if amount is None and "hours" not in errors:
        errors.add("hours", "请填写服务时长")
    elif amount is not None and not Decimal("0") < amount <= Decimal("24"):
        errors.add("hours", "服务时长应大于0且不超过24小时")
    errors.check()
    service = CheckinService.objects.create(
        checkin=checkin,
        served_on=day,
        content=content,
        hours=amount,
        recorded_by=actor if _is_user(actor) else None,
    )
    CommunityCheckin.objects.filter(pk=checkin.pk).update(
        service_hours=models.F("service_hours") + amount
    )
    checkin.refresh_from_db(fields=["service_hours"])
    audit.record(
        actor=actor,
        action="checkin.service",
        obj=checkin,
        note=f"{day.isoformat()} {content[:100]} {amount}小时",
    )
    scope.assert_visible(checkin, actor, "members.checkin")
    return service


# --- membership transfers (组织关系转接) ------------------------------------------------------
