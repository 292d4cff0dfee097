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
