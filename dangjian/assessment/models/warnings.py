"""Two-colour member warnings (双色预警): one row per member and rule while its cause lasts.
A computation raises, escalates (yellow → red) and clears them; a cleared row stays as
history and a new one is raised if the cause comes back.

Scoped by the member's ``org_path``; the member reaches their own rows (``user_id``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.members.models import Member

__all__ = ["MemberWarning", "WarningColour", "WarningRule"]


class WarningRule(models.TextChoices):
    ORGLIFE_MISSED = "orglife_missed", _("缺席组织生活")
    DUES_ARREARS = "dues_arrears", _("欠缴党费")
    MOBILE_NO_REPORT = "mobile_no_report", _("流动党员未按时报告")
    NO_CHECKIN_SERVICE = "no_checkin_service", _("在职党员未到社区报到服务")


class WarningColour(models.TextChoices):
    YELLOW = "yellow", _("黄色预警")
    RED = "red", _("红色预警")


class MemberWarning(models.Model):
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("党员")
    )
    member_name = models.CharField(_("姓名"), max_length=50)
    org = models.ForeignKey(
        "organizations.PartyOrg",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("党组织"),
    )
    org_path = PathField(_("组织路径"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(_("规则"), max_length=24, choices=WarningRule.choices)
    colour = models.CharField(_("颜色"), max_length=8, choices=WarningColour.choices)
    reason = models.CharField(_("原因"), max_length=300)
    clears_when = models.CharField(_("解除条件"), max_length=300)
    figure = models.CharField(_("数据"), max_length=64, blank=True)
    active = models.BooleanField(_("生效中"), default=True, db_index=True)
    raised_on = models.DateField(_("预警日期"))
    escalated_on = models.DateField(_("升级日期"), null=True, blank=True)
    cleared_on = models.DateField(_("解除日期"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path", own="user_id")

    class Meta:
        verbose_name = _("党员预警")
        verbose_name_plural = _("党员预警")
        ordering = ["org_path", "member_id", "rule", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "rule"],
                condition=models.Q(active=True),
                name="assessment_warning_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_name} {self.get_colour_display()} {self.get_rule_display()}"
