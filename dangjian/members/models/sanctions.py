"""Disciplinary sanctions (党纪处分) recorded on a member: 警告, 严重警告, 撤销党内职务, 留党察看
(with its period) and 开除党籍.

留党察看 is not 停止党籍: the member keeps the membership but, during the period, has no vote,
may not stand for election and may not sponsor an applicant. Rows are scoped through the member
(``member__org_path``, as the dues rows), so a transfer carries them. Kept in its own module
(imported by ``models``) so the registry's model file does not grow.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.members.models.registry import Member


class SanctionKind(models.TextChoices):
    WARNING = "warning", _("警告")
    SERIOUS_WARNING = "serious_warning", _("严重警告")
    DISMISSAL = "dismissal", _("撤销党内职务")
    PROBATION = "probation", _("留党察看")
    EXPULSION = "expulsion", _("开除党籍")


class Sanction(models.Model):
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="sanctions", verbose_name=_("党员")
    )
    kind = models.CharField(_("处分种类"), max_length=16, choices=SanctionKind.choices)
    decided_on = models.DateField(_("处分决定日期"))
    # 留党察看 only: the first and the last day of the period (one or two years).
    starts_on = models.DateField(_("留党察看开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("留党察看期满日期"), null=True, blank=True)
    document_number = models.CharField(_("处分决定文号"), max_length=50, blank=True)
    decided_by = models.CharField(_("作出处分决定的党组织"), max_length=100, blank=True)
    reason = models.TextField(_("处分事由"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_by_name = models.CharField(_("登记人姓名"), max_length=150, blank=True)
    # A sanction revoked on appeal or review (撤销处分) no longer counts from that day.
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="member__org_path", own="member__user_id")

    class Meta:
        verbose_name = _("党纪处分")
        verbose_name_plural = _("党纪处分")
        ordering = ["member", "-decided_on", "-id"]
        indexes = [
            models.Index(fields=["kind", "starts_on", "ends_on"], name="sanction_probation_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="probation")
                | models.Q(
                    starts_on__isnull=False,
                    ends_on__isnull=False,
                    ends_on__gt=models.F("starts_on"),
                ),
                name="sanction_probation_has_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.name} {self.get_kind_display()}（{self.decided_on:%Y-%m-%d}）"

    @property
    def period_text(self) -> str:
        if self.kind != SanctionKind.PROBATION or not self.starts_on:
            return ""
        return f"{self.starts_on:%Y-%m-%d}至{self.ends_on:%Y-%m-%d}"
