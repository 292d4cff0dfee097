"""Star rating (评星定级): schemes per sector and year, their indicators, hand scores, and the
stored results (one ``Rating`` per organization and year, one ``RatingLine`` per indicator),
so that no page computes a rating live. Objections are filed during the publication window.

Schemes and indicators are the deployment's rules (like the event taxonomy): every staff user
with ``assessment.view`` reads them; changing them needs ``assessment.manage`` and is audited,
and applies from the next computation (stored results keep the points they were given).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.organizations.models import PartyOrg


class Sector(models.TextChoices):
    VILLAGE = "village", _("农村")
    COMMUNITY = "community", _("社区")
    AGENCY = "agency", _("机关事业单位")
    ENTERPRISE = "enterprise", _("企业")
    OTHER = "other", _("社会组织及新业态")


class Scheme(models.Model):
    """The indicators of one sector for one year, and the star thresholds (DOMAIN.md)."""

    sector = models.CharField(_("领域"), max_length=16, choices=Sector.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=100)
    five_star = models.DecimalField(_("五星分数线"), max_digits=5, decimal_places=2, default=95)
    four_star = models.DecimalField(_("四星分数线"), max_digits=5, decimal_places=2, default=85)
    three_star = models.DecimalField(_("三星分数线"), max_digits=5, decimal_places=2, default=75)
    two_star = models.DecimalField(_("二星分数线"), max_digits=5, decimal_places=2, default=65)
    one_star = models.DecimalField(_("一星分数线"), max_digits=5, decimal_places=2, default=60)
    # The share of a county's rated organizations that may hold five stars.
    five_star_cap = models.DecimalField(
        _("五星比例上限"), max_digits=4, decimal_places=3, default=Decimal("0.100")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评星定级方案")
        verbose_name_plural = _("评星定级方案")
        ordering = ["-year", "sector"]
        constraints = [
            models.UniqueConstraint(fields=["sector", "year"], name="assessment_scheme_one")
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.get_sector_display()}评星定级方案"

    def thresholds(self) -> list[tuple[int, Decimal]]:
        return [
            (5, self.five_star),
            (4, self.four_star),
            (3, self.three_star),
            (2, self.two_star),
            (1, self.one_star),
        ]


class IndicatorKind(models.TextChoices):
    COMPUTED = "computed", _("系统计算")
    MANUAL = "manual", _("人工评分")


class Indicator(models.Model):
    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("方案")
    )
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("指标"), max_length=100)
    weight = models.DecimalField(_("分值"), max_digits=5, decimal_places=2)
    kind = models.CharField(_("评分方式"), max_length=12, choices=IndicatorKind.choices)
    # The registered computation (``assessment.indicators.REGISTRY``) of a computed indicator.
    computation = models.CharField(_("计算方法"), max_length=40, blank=True)
    description = models.CharField(_("评分标准"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评星指标")
        verbose_name_plural = _("评星指标")
        ordering = ["scheme", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="assessment_indicator_code")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.weight}分）"


class ManualScore(models.Model):
    """A hand score of a manual indicator for one organization and year, with its evidence."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="scores", verbose_name=_("指标")
    )
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("党组织")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    evidence = models.TextField(_("佐证材料"))
    # Evidence files (photos, scanned PDFs), kept by ``core.files`` (encrypted at rest).
    evidence_files = models.ManyToManyField(
        "core.StoredFile", blank=True, related_name="+", verbose_name=_("佐证附件")
    )
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("评分时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path", area="area_path")

    class Meta:
        verbose_name = _("人工评分")
        verbose_name_plural = _("人工评分")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "org", "year"], name="assessment_manual_one"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.indicator.name} {self.points}分"


class RatingState(models.TextChoices):
    COMPUTED = "computed", _("待公示")
    PUBLISHED = "published", _("公示中")
    FINAL = "final", _("已确定")


class Rating(models.Model):
    """One organization's rating of one year, as last computed."""

    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("党组织")
    )
    org_name = models.CharField(_("党组织名称"), max_length=200)
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    # The county (or the root of a county-level city) whose organizations are ranked together
    # and share the five-star cap.
    county_path = PathField(_("所属县(区)路径"), db_index=True)
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("方案")
    )
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    score = models.DecimalField(_("总分"), max_digits=6, decimal_places=2)
    stars_by_score = models.PositiveSmallIntegerField(_("按分数星级"))
    stars = models.PositiveSmallIntegerField(_("星级"))
    capped = models.BooleanField(_("受五星比例限制"), default=False)
    rank = models.PositiveIntegerField(_("县内排名"), null=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=RatingState.choices, default=RatingState.COMPUTED
    )
    published_on = models.DateField(_("公示日期"), null=True, blank=True)
    window_ends_on = models.DateField(_("公示截止"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path", area="area_path")

    class Meta:
        verbose_name = _("评星定级结果")
        verbose_name_plural = _("评星定级结果")
        ordering = ["-year", "county_path", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="assessment_rating_one")
        ]
        indexes = [
            models.Index(fields=["county_path", "year", "rank"], name="rating_county_rank"),
            models.Index(fields=["year", "org_path"], name="rating_year_org"),
        ]

    def __str__(self) -> str:
        return f"{self.org_name} {self.year}年 {self.stars}星"


class RatingLine(models.Model):
    """One indicator of a rating: the figure, where it came from, the points."""

    rating = models.ForeignKey(
        Rating, on_delete=models.CASCADE, related_name="lines", verbose_name=_("评星结果")
    )
    indicator = models.ForeignKey(Indicator, null=True, on_delete=models.SET_NULL, related_name="+")
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("指标"), max_length=100)
    kind = models.CharField(_("评分方式"), max_length=12, choices=IndicatorKind.choices)
    weight = models.DecimalField(_("分值"), max_digits=5, decimal_places=2)
    figure = models.CharField(_("数据"), max_length=200)
    source = models.CharField(_("数据来源"), max_length=300, blank=True)
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评星明细")
        verbose_name_plural = _("评星明细")
        ordering = ["rating", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.points}分"


class ObjectionState(models.TextChoices):
    FILED = "filed", _("待处理")
    UPHELD = "upheld", _("异议成立")
    REJECTED = "rejected", _("异议不成立")


class Objection(models.Model):
    """An objection to a published rating, filed in its window, handled by county staff."""

    rating = models.ForeignKey(
        Rating, on_delete=models.CASCADE, related_name="objections", verbose_name=_("评星结果")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    reason = models.TextField(_("异议理由"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=ObjectionState.choices, default=ObjectionState.FILED
    )
    response = models.TextField(_("处理意见"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path", area="area_path")

    class Meta:
        verbose_name = _("评星异议")
        verbose_name_plural = _("评星异议")
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.rating.org_name} {self.rating.year}年评星异议"
