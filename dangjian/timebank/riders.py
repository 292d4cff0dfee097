"""New employment groups (新就业群体): stations (爱心驿站, 红色驿站) with their services and
opening hours; couriers, riders and drivers registered at a station with their platform and
company; a registered rider made an assistant grid worker (兼职网格员).

An assistant grid worker reports events through the existing intake (``cases.services
.event_create``, ``/api/v1/cases/events/``): what the intake needs is ``cases.create`` over
the station's area, so the account is given the ``grid_worker`` role there (and loses it when
it stops). The grant is written here after this service has checked the actor's reach over
the station (``volunteering.manage``): a community secretary appoints without holding
``accounts.manage``; the audit row names them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from dangjian.accounts.models import Grant
from dangjian.accounts.services import grant_add, grant_revoke
from dangjian.core import audit, scope, tree
from dangjian.core.validation import Errors, one_line
from dangjian.members.models import Member
from dangjian.territory.models import Area, AreaKind
from dangjian.timebank.models import Rider, Station, StationKind, WorkerKind

MANAGE = "volunteering.manage"
ASSISTANT_ROLE = "grid_worker"


def station_twins(area_ids: set[int], names: set[str] | None = None) -> set[tuple[int, str]]:
    """The (area id, name) pairs of the stations already in those areas (with those names)."""
    qs = Station.objects.filter(area_id__in=area_ids)
    if names is not None:
        qs = qs.filter(name__in=names)
    return set(qs.values_list("area_id", "name"))


def taken_message(area: Area, name: str) -> str:
    """A station's name already used in its area (the ``station_unique_name`` constraint)."""
    return f"{area.name}已有同名驿站“{name}”"


def _manages(actor, path: str) -> bool:
    return any(tree.is_within(path, p) for p in scope.reach_of(actor, MANAGE).area_paths)


@transaction.atomic
def station_create(
    *, actor, area: Area | None, name, kind, location="", services="", opening_hours=""
) -> Station:
    e = Errors()
    found = Area.objects.filter(pk=area.pk).first() if area is not None and area.pk else None
    if found is None:
        e.add("area_id", "请选择驿站所在区域（area_id）")
    elif not scope.is_visible(found, actor, "territory.view"):
        raise Http404("未找到")
    elif not _manages(actor, found.path):
        raise scope.Forbidden("您没有管理该区域驿站的权限")
    elif found.kind not in (AreaKind.COMMUNITY, AreaKind.VILLAGE, AreaKind.GRID, AreaKind.UNIT):
        e.add("area_id", "驿站应设在村（社区）或网格")
    name = one_line(name)[:100]
    if not name:
        e.add("name", "请填写驿站名称（name）")
    if kind not in StationKind.values:
        e.add("kind", "驿站类型（kind）取值无效")
    if found is not None and name and station_twins({found.pk}, {name}):
        e.add("name", taken_message(found, name))
    e.check()
    assert found is not None  # e.check() refused a missing area
    try:
        with transaction.atomic():  # a registration racing past the check above loses here
            s = Station.objects.create(
                name=name,
                kind=kind,
                area=found,
                area_path=found.path,
                location=one_line(location)[:200],
                services=one_line(services)[:500],
                opening_hours=one_line(opening_hours)[:100],
            )
    except IntegrityError as exc:  # the (area, name) constraint: only a twin can break it
        raise ValidationError({"name": [taken_message(found, name)]}) from exc
    audit.record(actor=actor, action="timebank.station.create", obj=s, after={"name": name})
    scope.assert_visible(s, actor, "volunteering.view")
    return s


@transaction.atomic
def rider_register(
    *, actor, station: Station | None, kind, platform, company="", is_party_member=False
) -> Rider:
    """The signed-in courier, rider or driver registers at a station (one registration)."""
    if not getattr(actor, "pk", None):
        raise scope.Forbidden()
    e = Errors()
    found = (
        Station.objects.filter(pk=station.pk, active=True).first()
        if station is not None and station.pk
        else None
    )
    if found is None:
        e.add("station_id", "请选择报到驿站（station_id）")
    if kind not in WorkerKind.values:
        e.add("kind", "类型（kind）应为 courier、rider 或 driver")
    platform = one_line(platform)[:50]
    if not platform:
        e.add("platform", "请填写所属平台（platform）")
    if Rider.objects.filter(user_id=actor.pk).exists():
        e.add("station_id", "您已在驿站登记过")
    e.check()
    r = Rider.objects.create(
        user=actor,
        name=str(actor)[:50],
        kind=kind,
        platform=platform,
        company=one_line(company)[:100],
        station=found,
        area_path=found.area_path,
        is_party_member=bool(is_party_member) or Member.objects.filter(user_id=actor.pk).exists(),
    )
    audit.record(actor=actor, action="timebank.rider.register", obj=r, after={"kind": kind})
    return r


@transaction.atomic
def rider_assistant_set(*, actor, rider: Rider, on: bool) -> Rider:
    r = scope.get_visible(
        Rider.objects.select_for_update(of=("self",)).select_related("station__area", "user"),
        actor,
        MANAGE,
        view_action="volunteering.view",
        pk=rider.pk,
    )
    if not _manages(actor, r.area_path):
        raise scope.Forbidden("只有驿站所在社区及上级可以设置兼职网格员")
    if r.assistant_grid_worker == bool(on):
        return r
    area = r.station.area
    if on:
        grant_add(actor=None, user=r.user, role_code=ASSISTANT_ROLE, area=area)
    else:
        for g in Grant.objects.filter(user=r.user, role__code=ASSISTANT_ROLE, area=area):
            grant_revoke(actor=None, grant=g)
    r.assistant_grid_worker = bool(on)
    r.save(update_fields=["assistant_grid_worker"])
    audit.record(
        actor=actor,
        action="timebank.rider.assistant",
        obj=r,
        before={"assistant_grid_worker": not on},
        after={"assistant_grid_worker": bool(on)},
    )
    return r
