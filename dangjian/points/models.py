"""Points (积分): schemes, rules, awards, the catalogue, redemptions and the yearly stars.

A scheme belongs to a village or community (residents' points, 积分制) or to a party
organization (members' 先锋指数 from the 合格党员十条). Its rules say what earns points (red
list, 红榜加分) or costs them (black list, 黑榜扣分), whether evidence is needed, and a cap per
period. Points move only through ``core.ledger`` (ledger ``points``): each subject has one
account per scheme (``pts:<scheme>:u<user>``), the scheme issues from ``pts:<scheme>:issue``
and redemptions pay into ``pts:<scheme>:spent``. Every award is keyed (source, rule, subject):
the key is the award's and its ledger transaction's, so a replayed source counts once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import LedgerTransaction, StoredFile
from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("居民积分（村、社区）")
    MEMBERS = "members", _("党员先锋指数（党组织）")


class NameDisplay(models.TextChoices):
    FULL = "full", _("公开全名")
    SURNAME = "surname", _("只显示姓氏")
    HIDDEN = "hidden", _("不公开姓名")


class CapPeriod(models.TextChoices):
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


class ListKind(models.TextChoices):
    RED = "red", _("红榜加分")
    BLACK = "black", _("黑榜扣分")


class Source(models.TextChoices):
    MANUAL = "manual", _("人工申报")
    ORGLIFE_ATTENDANCE = "orglife.attendance", _("参加组织生活")
    CASES_SOLVED = "cases.solved", _("上报事件已解决")
    DUES_ON_TIME = "dues.on_time", _("按时交纳党费")
    CASES_VISIT = "cases.visit", _("入户走访")
    TIMEBANK_HOURS = "timebank.hours", _("志愿服务时长")


class AwardState(models.TextChoices):
    SUBMITTED = "submitted", _("待月度评议")
    APPROVED = "approved", _("待季度评分")
    POSTED = "posted", _("已记分")
    REJECTED = "rejected", _("未通过")
    REVERSED = "reversed", _("已冲正")


class RedemptionState(models.TextChoices):
    READY = "ready", _("待领取")
    USED = "used", _("已领取")


class Scheme(models.Model):
    name = models.CharField(_("方案名称"), max_length=100)
    audience = models.CharField(_("对象"), max_length=16, choices=Audience.choices)
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("村(社区)"),
    )
    org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("党组织"),
    )
    area_path = PathField(_("区域路径"), blank=True, default="", db_index=True)
    org_path = PathField(_("组织路径"), blank=True, default="", db_index=True)
    name_display = models.CharField(
        _("榜单姓名显示"), max_length=16, choices=NameDisplay.choices, default=NameDisplay.SURNAME
    )
    star_count = models.PositiveSmallIntegerField(_("年度积分明星人数"), default=10)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("积分方案")
        verbose_name_plural = _("积分方案")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def subject_path(self) -> str:
        """The path a subject's own path must lie under to belong to this scheme."""
        return self.area_path if self.audience == Audience.RESIDENTS else self.org_path


class Rule(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="rules")
    name = models.CharField(_("规则名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=50)
    list_kind = models.CharField(
        _("红黑榜"), max_length=8, choices=ListKind.choices, default=ListKind.RED
    )
    points = models.DecimalField(_("分值"), max_digits=10, decimal_places=2)
    source = models.CharField(
        _("来源"), max_length=24, choices=Source.choices, default=Source.MANUAL
    )
    evidence_required = models.BooleanField(_("须提供佐证"), default=False)
    cap = models.DecimalField(_("周期上限"), max_digits=10, decimal_places=2, null=True, blank=True)
    cap_period = models.CharField(
        _("上限周期"), max_length=8, choices=CapPeriod.choices, default=CapPeriod.MONTH
    )
    active = models.BooleanField(_("启用"), default=True)
    area_path = PathField(_("区域路径"), blank=True, default="", db_index=True)
    org_path = PathField(_("组织路径"), blank=True, default="", db_index=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["scheme", "id"]
        indexes = [models.Index(fields=["source", "active"], name="points_rule_source")]

    def __str__(self) -> str:
        return self.name

    @property
    def signed_points(self):
        return -self.points if self.list_kind == ListKind.BLACK else self.points


class Award(models.Model):
    """One award to one subject under one rule, keyed (source, rule, subject)."""

    # Indexed by the composite indexes below (scheme, state, day; rule, user, day).
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="awards", db_index=False
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="awards", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("对象")
    )
    subject_name = models.CharField(_("姓名"), max_length=50)
    area_path = PathField(_("区域路径"), blank=True, default="", db_index=True)
    org_path = PathField(_("组织路径"), blank=True, default="", db_index=True)
    source = models.CharField(_("来源"), max_length=24, choices=Source.choices)
    source_ref = models.CharField(_("来源记录"), max_length=64, blank=True)
    key = models.CharField(_("幂等键"), max_length=200, unique=True)
    points = models.DecimalField(_("积分"), max_digits=10, decimal_places=2)
    occurred_on = models.DateField(_("发生日期"))
    state = models.CharField(
        _("状态"), max_length=16, choices=AwardState.choices, default=AwardState.POSTED
    )
    evidence = models.CharField(_("佐证说明"), max_length=500, blank=True)
    evidence_file = models.ForeignKey(
        StoredFile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    txn = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path", own="user_id")

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["state", "occurred_on"], name="points_award_state_day"),
            models.Index(fields=["scheme", "state", "occurred_on"], name="points_award_scheme"),
            models.Index(fields=["rule", "user", "occurred_on"], name="points_award_cap"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.rule.name} {self.points}"


class AwardStep(models.Model):
    """The history of a manual award through the committee's review."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.award_id} {self.action}"


class Item(models.Model):
    """A good or service in a scheme's catalogue, with its stock."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    price = models.DecimalField(_("所需积分"), max_digits=10, decimal_places=2)
    stock = models.PositiveIntegerField(_("库存"), default=0)
    active = models.BooleanField(_("上架"), default=True)
    area_path = PathField(_("区域路径"), blank=True, default="", db_index=True)
    org_path = PathField(_("组织路径"), blank=True, default="", db_index=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("兑换物品")
        verbose_name_plural = _("兑换物品")
        ordering = ["scheme", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="points_item_stock")
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """One redemption: points paid, stock taken, a receipt code the shopkeeper scans."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="redemptions")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="redemptions")
    item_name = models.CharField(_("物品"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("兑换人"),
    )
    subject_name = models.CharField(_("姓名"), max_length=50)
    quantity = models.PositiveIntegerField(_("数量"))
    points = models.DecimalField(_("积分"), max_digits=10, decimal_places=2)
    code = models.CharField(_("兑换码"), max_length=16, unique=True)
    state = models.CharField(
        _("状态"), max_length=8, choices=RedemptionState.choices, default=RedemptionState.READY
    )
    txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("兑换时间"))
    used_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area_path = PathField(_("区域路径"), blank=True, default="", db_index=True)
    org_path = PathField(_("组织路径"), blank=True, default="", db_index=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path", own="user_id")

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.item_name}×{self.quantity}"


class Star(models.Model):
    """积分明星: the yearly award of a scheme's top subjects."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="stars")
    year = models.PositiveSmallIntegerField(_("年度"))
    rank = models.PositiveSmallIntegerField(_("名次"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject_name = models.CharField(_("姓名"), max_length=50)
    points = models.DecimalField(_("年度积分"), max_digits=12, decimal_places=2)
    area_path = PathField(_("区域路径"), blank=True, default="", db_index=True)
    org_path = PathField(_("组织路径"), blank=True, default="", db_index=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path", own="user_id")

    class Meta:
        verbose_name = _("积分明星")
        verbose_name_plural = _("积分明星")
        ordering = ["scheme", "-year", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "year", "user"], name="points_star_once")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.subject_name}"


class SweepMark(models.Model):
    """How far each source has been collected (``points_collect``)."""

    source = models.CharField(max_length=24, unique=True)
    watermark = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    awarded = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.source
