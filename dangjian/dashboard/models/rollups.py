"""Roll-ups: the figures of one area node for one month, computed from raw data by the figure
registry (``dashboard.rollups``) and read by every dashboard, never computed per request."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.territory.models import Area


class Rollup(models.Model):
    """The figures of ``area``'s subtree for ``month`` (``YYYYMM``) as one JSON object keyed by
    figure code (counts as integers, money and hours as decimal strings). Stock figures are
    as at the end of the month (today for the current month), flows are the month's own."""

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("区域")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    level = models.PositiveSmallIntegerField(_("层级"))
    month = models.PositiveIntegerField(_("月份"))
    values = models.JSONField(_("指标"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"))

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("指标汇总")
        verbose_name_plural = _("指标汇总")
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="dashboard_rollup_unique")
        ]
        indexes = [models.Index(fields=["month", "area_path"], name="dashboard_rollup_month")]

    def __str__(self):
        return f"{self.area_path} {self.month}"


class BranchCompliance(models.Model):
    """One branch's organizational-life evaluation (``orglife.compliance``) for the quarter of
    ``month`` as at that month's end (today in the current month): the compliance board's rows,
    stored with the roll-ups so that the city's board is a read."""

    org = models.ForeignKey(
        "organizations.PartyOrg",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("党支部"),
    )
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    month = models.PositiveIntegerField(_("月份"))
    colour = models.CharField(_("颜色"), max_length=8)
    missed = models.PositiveSmallIntegerField(_("未完成"), default=0)
    row = models.JSONField(_("评估"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"))

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("支部组织生活落实")
        verbose_name_plural = _("支部组织生活落实")
        constraints = [
            models.UniqueConstraint(fields=["org", "month"], name="dashboard_compliance_unique")
        ]
        indexes = [models.Index(fields=["month", "org_path"], name="dashboard_compliance_month")]

    def __str__(self):
        return f"{self.org_id} {self.month} {self.colour}"


class ArrearsRow(models.Model):
    """A member with 3 or more unpaid months in a row as the dues engine saw it at
    ``computed_at`` (the arrears list's rows, replaced by each refresh)."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="+", verbose_name=_("党员")
    )
    name = models.CharField(_("姓名"), max_length=50)
    org = models.ForeignKey(
        "organizations.PartyOrg",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("党组织"),
    )
    org_name = models.CharField(_("党组织名称"), max_length=100)
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    streak = models.PositiveSmallIntegerField(_("连续欠缴月数"))
    level = models.CharField(_("预警级别"), max_length=16)
    streak_months = models.JSONField(_("连续欠缴月份"), default=list)
    arrears_months = models.JSONField(_("欠缴月份"), default=list)
    computed_at = models.DateTimeField(_("计算时间"))

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path")

    class Meta:
        verbose_name = _("党费欠缴")
        verbose_name_plural = _("党费欠缴")
        indexes = [models.Index(fields=["org_path", "streak"], name="dashboard_arrears_path")]

    def __str__(self):
        return f"{self.name} {self.streak}"


class RefreshMark(models.Model):
    """One row (pk 1): the last audit seal (``core.auditchain``) the roll-ups' refresh has read.
    The seals after it name what changed since, and so which earlier months the next refresh
    recomputes besides the current one (``dashboard.rollups.stale``)."""

    seq = models.BigIntegerField(_("已读封存序号"), default=0)
    at = models.DateTimeField(_("读取时间"))

    class Meta:
        verbose_name = _("汇总刷新位置")
        verbose_name_plural = _("汇总刷新位置")

    def __str__(self):
        return f"{self.seq}"
