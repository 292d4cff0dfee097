"""Models of 时间银行 (see DESIGN.md Layout): orders (群众点单、社区派单、党员接单), the people who
take part in them, volunteer teams, the talent roster (能人榜), stations (驿站) and the new
employment groups registered there.

Hours move only through ``core.ledger`` (ledger ``timebank``): each helper has one time account
(``timebank:user:<id>``) and each community one issuing account
(``timebank:community:<area id>``, allowed to go negative: it is what the community owes its
volunteers). A confirmed participation posts one transaction keyed
``timebank:participation:<id>:<n>`` (``n`` counts the corrections: a correction reverses the
last transaction and posts the new hours under the next key). Ledger rows are never edited.

Scope: an order by its place's ``area_path`` (the community and above), by its requester
(``own``), by the helpers who took part (``participations``) and, while it is open, by the
members it is open to (``OpenToMe``: the members checked in to the community, the team it was
dispatched to, the talent it was booked with).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.crypto import EncryptedField
from dangjian.core.models import LedgerTransaction
from dangjian.core.scope import Kind, Own, ScopedManager, ScopeFields, Through
from dangjian.core.tree import PathField
from dangjian.members.models import Member
from dangjian.territory.models import Area


class ServiceClass(models.TextChoices):
    ELDERLY = "elderly", _("助老助残")
    CHILDREN = "children", _("关爱儿童")
    REPAIR = "repair", _("家电维修")
    CLEANING = "cleaning", _("环境清洁")
    HEALTH = "health", _("健康义诊")
    LEGAL = "legal", _("法律咨询")
    TUTORING = "tutoring", _("学业辅导")
    ERRAND = "errand", _("代买代办")
    OTHER = "other", _("其他服务")


class TeamKind(models.TextChoices):
    WOMEN = "women", _("巾帼红")
    ELDERLY = "elderly", _("夕阳红")
    YOUTH = "youth", _("创业青年")
    OTHER = "other", _("其他")


class TeamRole(models.TextChoices):
    LEADER = "leader", _("队长")
    MEMBER = "member", _("队员")


class VolunteerTeam(models.Model):
    name = models.CharField(_("队伍名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=TeamKind.choices)
    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属社区")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    description = models.CharField(_("简介"), max_length=500, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", kinds=(Through("memberships", Own("user_id")),))

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["area_path", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="timebank_team_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(
        VolunteerTeam, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("队伍")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("队员")
    )
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(
        _("角色"), max_length=8, choices=TeamRole.choices, default=TeamRole.MEMBER
    )
    joined_on = models.DateField(_("加入日期"))

    class Meta:
        verbose_name = _("队员")
        verbose_name_plural = _("队员")
        ordering = ["team", "-role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="timebank_team_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.user_id}"


class TalentOffer(models.Model):
    """One entry of a community's talent roster (能人榜): a resident or member offering a skill."""

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属社区")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("能人")
    )
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    service_class = models.CharField(_("服务类别"), max_length=16, choices=ServiceClass.choices)
    skill = models.CharField(_("特长"), max_length=100)
    description = models.CharField(_("服务说明"), max_length=500, blank=True)
    available = models.CharField(_("可服务时间"), max_length=100, blank=True)
    active = models.BooleanField(_("上榜中"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", own="user_id")

    class Meta:
        verbose_name = _("能人榜")
        verbose_name_plural = _("能人榜")
        ordering = ["area_path", "service_class", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user", "skill"], name="timebank_talent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}·{self.skill}"


class OrderState(models.TextChoices):
    ORDERED = "ordered", _("待派单")
    OPEN = "open", _("待接单")
    STAFFED = "staffed", _("已满员")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已过期")


OPEN_STATES = (OrderState.ORDERED, OrderState.OPEN, OrderState.STAFFED)


AFTER_DISPATCH = (OrderState.OPEN, OrderState.STAFFED, OrderState.EXPIRED, OrderState.CANCELLED)


class OpenToMe(Kind):
    """While an order is open (or full), the helpers it is open to reach it: the members checked in to
    its community (an order opened to them), the members of the team it was dispatched to, the
    talent it was booked with. Answers through the user's own reach (``self`` grants)."""

    field = "state"

    def __eq__(self, other):
        return isinstance(other, OpenToMe)

    def __hash__(self):
        return hash("OpenToMe")

    def terms(self, model, reach, holder, prefix):
        uid = reach.user_id
        if not uid:
            return []
        from dangjian.members.models import CommunityCheckin

        communities = (
            CommunityCheckin.objects.filter(member__user_id=uid).order_by().values("community_id")
        )
        teams = TeamMembership.objects.filter(user_id=uid).order_by().values("team_id")
        # A full, expired or cancelled order stays in sight (read-only), so a late helper reads
        # why it cannot be taken ("已满员", "已过期"), not "not found"; a completed one leaves.
        state = {prefix + "state__in": AFTER_DISPATCH}
        return [
            {
                **state,
                prefix + "open_to_checked_in": True,
                prefix + "community_id__in": communities,
            },
            {**state, prefix + "team_id__in": teams},
            {**state, prefix + "talent__user_id": uid},
        ]


class Order(models.Model):
    no = models.CharField(_("单号"), max_length=24, unique=True)
    service_class = models.CharField(_("服务类别"), max_length=16, choices=ServiceClass.choices)
    description = models.CharField(_("需求描述"), max_length=500)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("点单群众"),
    )
    requester_name = models.CharField(_("点单人"), max_length=50)
    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("社区")
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("服务地点所在网格")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    place = EncryptedField(_("服务地点"), pii_kind="address")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), db_index=True)
    helpers_wanted = models.PositiveSmallIntegerField(_("需要人数"), default=1)
    accepted_count = models.PositiveSmallIntegerField(_("已接单人数"), default=0)
    state = models.CharField(
        _("状态"), max_length=16, choices=OrderState.choices, default=OrderState.ORDERED
    )
    team = models.ForeignKey(
        VolunteerTeam,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("派单队伍"),
    )
    open_to_checked_in = models.BooleanField(_("向报到党员开放"), default=False)
    talent = models.ForeignKey(
        TalentOffer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("预约能人"),
    )
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价星级"), null=True, blank=True)
    rating_comment = models.CharField(_("评价内容"), max_length=500, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("点单时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(
        area="area_path",
        own="requester_id",
        kinds=(Through("participations", Own("user_id")), OpenToMe()),
    )
    AUDIT_FIELDS = ["state", "team", "open_to_checked_in", "accepted_count", "rating"]

    class Meta:
        verbose_name = _("服务订单")
        verbose_name_plural = _("服务订单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "ends_at"], name="timebank_order_state_end"),
            models.Index(fields=["community", "state"], name="timebank_order_comm_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_count__lte=models.F("helpers_wanted")),
                name="timebank_order_not_oversold",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="timebank_order_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.no} {self.get_service_class_display()}"


class ParticipationState(models.TextChoices):
    ACCEPTED = "accepted", _("已接单")
    CHECKED_IN = "checked_in", _("服务中")
    CHECKED_OUT = "checked_out", _("已签退")
    CONFIRMED = "confirmed", _("已确认")
    NO_SHOW = "no_show", _("未到场")
    CANCELLED = "cancelled", _("已取消")


class Participation(models.Model):
    """One helper on one order: accepted once, checked in and out, confirmed with hours."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="participations", verbose_name=_("订单")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("志愿者"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The helper's party organization (the employer's branch sees its members' service) and
    # work unit, frozen when they accepted; the order's place for the community.
    org_path = PathField(_("组织路径"), blank=True, default="", db_index=True)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    area_path = PathField(_("区域路径"), db_index=True)
    team = models.ForeignKey(
        VolunteerTeam, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=ParticipationState.choices,
        default=ParticipationState.ACCEPTED,
    )
    accepted_at = models.DateTimeField(_("接单时间"))
    check_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    check_in_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    check_out_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_out_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    hours = models.DecimalField(_("服务时长(小时)"), max_digits=6, decimal_places=2, default=0)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True, db_index=True)
    txn = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrections = models.PositiveSmallIntegerField(_("更正次数"), default=0)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path", own="user_id")

    class Meta:
        verbose_name = _("接单记录")
        verbose_name_plural = _("接单记录")
        ordering = ["order", "accepted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "user"], name="timebank_accept_once")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.name}"


class OrderStep(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("操作"), max_length=16)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at}"


class StationKind(models.TextChoices):
    LOVE = "love", _("爱心驿站")
    RED = "red", _("红色驿站")
    GRID = "grid", _("网格驿站")


class Station(models.Model):
    name = models.CharField(_("驿站名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=8, choices=StationKind.choices)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    location = models.CharField(_("位置"), max_length=200, blank=True)
    services = models.CharField(_("服务内容"), max_length=500, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=100, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("驿站")
        verbose_name_plural = _("驿站")
        ordering = ["area_path", "name", "id"]
        constraints = [
            # Two registrations or imports at once cannot both write the same station: the
            # loser's IntegrityError becomes the name's (or the import row's) message.
            models.UniqueConstraint(fields=["area", "name"], name="station_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class WorkerKind(models.TextChoices):
    COURIER = "courier", _("快递员")
    RIDER = "rider", _("外卖骑手")
    DRIVER = "driver", _("网约车司机")


class Rider(models.Model):
    """A courier, rider or ride-hailing driver registered at a station (新就业群体)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("账号")
    )
    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("类型"), max_length=8, choices=WorkerKind.choices)
    platform = models.CharField(_("平台"), max_length=50)
    company = models.CharField(_("所属企业"), max_length=100, blank=True)
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="riders", verbose_name=_("报到驿站")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    is_party_member = models.BooleanField(_("党员"), default=False)
    assistant_grid_worker = models.BooleanField(_("兼职网格员"), default=False)
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", own="user_id")

    class Meta:
        verbose_name = _("新就业群体")
        verbose_name_plural = _("新就业群体")
        ordering = ["area_path", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"
