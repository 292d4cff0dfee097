"""Weak and lax organizations (软弱涣散): the thresholds of the rules (audited settings), the
flags each computation stores per organization and year, the county's yearly ranking with its
bottom list, and the rectification project (整顿) of each confirmed organization.

Flags, entries and rectifications are scoped by the organization's ``org_path`` and its
anchor's ``area_path``; a ranking by its county's ``area_path``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

__all__ = [
    "Flag",
    "Ranking",
    "RankingEntry",
    "RankingState",
    "Rectification",
    "RectificationState",
    "RectificationStep",
    "RuleSetting",
    "WeakRule",
]


class RuleSetting(models.Model):
    """A threshold of a rule as the deployment set it (the code's default otherwise). Edited
    through ``services.weak.rule_setting_set`` (audited); read at the next computation."""

    key = models.CharField(_("设置项"), max_length=64, unique=True)
    value = models.CharField(_("取值"), max_length=32)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("考核规则设置")
        verbose_name_plural = _("考核规则设置")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class WeakRule(models.TextChoices):
    SECRETARY_VACANT = "secretary_vacant", _("书记长期空缺")
    COMMITTEE_INCOMPLETE = "committee_incomplete", _("班子不健全")
    NO_MEETINGS = "no_meetings", _("未按期召开党员大会或支委会")
    ELECTION_OVERDUE = "election_overdue", _("逾期未换届")
    NO_DEVELOPMENT = "no_development", _("两年以上未发展党员")
    DUES_ARREARS = "dues_arrears", _("党费欠缴面大")
    LOW_SATISFACTION = "low_satisfaction", _("群众对事件办理满意率低")
    EVENTS_CONCENTRATED = "events_concentrated", _("矛盾纠纷事件集中")
    MANUAL = "manual", _("其他情形（人工认定）")


class Flag(models.Model):
    """One situation found in one organization for one year: the rule, the figure against
    its threshold, and the evidence (figures and a link to the list behind them)."""

    org = models.ForeignKey(
        PartyOrg, on_delete=models.CASCADE, related_name="+", verbose_name=_("党组织")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    county_path = PathField(_("所属县(区)路径"), db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    rule = models.CharField(_("情形"), max_length=24, choices=WeakRule.choices)
    figure = models.CharField(_("数据"), max_length=64, blank=True)
    threshold = models.CharField(_("标准"), max_length=64, blank=True)
    summary = models.CharField(_("依据"), max_length=300)
    evidence = models.JSONField(_("证据"), default=dict, blank=True)
    evidence_url = models.CharField(_("证据清单链接"), max_length=300, blank=True)
    manual = models.BooleanField(_("人工认定"), default=False)
    # A manual situation's evidence files (``core.files``, encrypted at rest).
    evidence_files = models.ManyToManyField(
        "core.StoredFile", blank=True, related_name="+", verbose_name=_("证据附件")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(_("计算时间"))

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("软弱涣散情形")
        verbose_name_plural = _("软弱涣散情形")
        ordering = ["county_path", "org_path", "rule", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year", "rule"],
                condition=models.Q(manual=False),
                name="assessment_flag_one_per_rule",
            ),
        ]
        indexes = [models.Index(fields=["year", "county_path"], name="assess_flag_year_county")]

    def __str__(self) -> str:
        return f"{self.year} {self.get_rule_display()}"


class RankingState(models.TextChoices):
    DRAFT = "draft", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


class Ranking(models.Model):
    """A county's yearly ranking: its organizations ordered by their flags, the bottom share
    taken as the list county staff confirm."""

    county = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("县(区)")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    share = models.DecimalField(_("后进比例"), max_digits=5, decimal_places=4)
    assessed = models.PositiveIntegerField(_("参评组织数"), default=0)
    flagged = models.PositiveIntegerField(_("有情形组织数"), default=0)
    state = models.CharField(
        _("状态"), max_length=12, choices=RankingState.choices, default=RankingState.DRAFT
    )
    computed_at = models.DateTimeField(_("计算时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirm_note = models.CharField(_("确认意见"), max_length=300, blank=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("软弱涣散排名")
        verbose_name_plural = _("软弱涣散排名")
        ordering = ["-year", "area_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="assessment_ranking_once"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.county.name}软弱涣散排名"


class RankingEntry(models.Model):
    """One organization on a county's bottom list, with the flags that put it there (a copy
    taken when the list was computed: the list confirmed stays as it was)."""

    ranking = models.ForeignKey(
        Ranking, on_delete=models.CASCADE, related_name="entries", verbose_name=_("排名")
    )
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("党组织")
    )
    org_name = models.CharField(_("党组织名称"), max_length=100)
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    position = models.PositiveIntegerField(_("名次"))
    score = models.PositiveIntegerField(_("情形数"))
    flags = models.JSONField(_("情形"), default=list)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("后进组织")
        verbose_name_plural = _("后进组织")
        ordering = ["ranking", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ranking", "org"], name="assessment_entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.org_name}"


class RectificationState(models.TextChoices):
    PLANNING = "planning", _("待制定方案")
    IN_PROGRESS = "in_progress", _("整顿中")
    REVIEW = "review", _("待上级验收")
    CLOSED = "closed", _("已销号")


class Rectification(models.Model):
    """The rectification project (整顿) of a confirmed organization: measures, the responsible
    leader, the deadline (working days through ``core.workdays``), progress reports by the
    organization and the sign-off by the level above. A workflow (``services.weak.RECTIFY``)."""

    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("党组织")
    )
    org_name = models.CharField(_("党组织名称"), max_length=100)
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    entry = models.OneToOneField(
        RankingEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectification",
        verbose_name=_("排名"),
    )
    problems = models.CharField(_("存在问题"), max_length=500, blank=True)
    measures = models.TextField(_("整顿措施"), blank=True)
    leader = models.CharField(_("责任领导"), max_length=50, blank=True)
    deadline = models.DateField(_("整顿期限"))
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=RectificationState.choices,
        default=RectificationState.PLANNING,
    )
    reports = models.PositiveIntegerField(_("进展报告数"), default=0)
    last_report_on = models.DateField(_("最近报告日期"), null=True, blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("整顿")
        verbose_name_plural = _("整顿")
        ordering = ["-year", "org_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="assessment_rectify_once"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.org_name}整顿"


class RectificationStep(models.Model):
    """The history of a rectification: every action with its note and fields."""

    rectification = models.ForeignKey(
        Rectification, on_delete=models.CASCADE, related_name="steps", verbose_name=_("整顿")
    )
    action = models.CharField(_("操作"), max_length=16)
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("办理人"), max_length=150, blank=True)
    note = models.CharField(_("说明"), max_length=1000, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整顿记录")
        verbose_name_plural = _("整顿记录")
        ordering = ["rectification", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"
