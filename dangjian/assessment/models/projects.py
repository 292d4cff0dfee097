"""Secretary projects (书记项目, 四个一: one project, one team, one plan, carried through) and
the 督评考 cadence (quarterly research, half-yearly evaluation, yearly assessment) as scheduled
review items with their evidence and results. The results feed the rating (indicator
``secretary_project``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.organizations.models import PartyOrg


class ProjectState(models.TextChoices):
    UNDERWAY = "underway", _("推进中")
    EVALUATED = "evaluated", _("已评价")


class SecretaryProject(models.Model):
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("党组织")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    secretary_name = models.CharField(_("书记"), max_length=50)
    title = models.CharField(_("项目名称"), max_length=100)
    team = models.JSONField(_("项目团队"), default=list)
    plan = models.TextField(_("实施计划"))
    state = models.CharField(
        _("状态"), max_length=12, choices=ProjectState.choices, default=ProjectState.UNDERWAY
    )
    # The level above's evaluation at the year's end (0–100).
    evaluation_score = models.DecimalField(
        _("上级评价得分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    evaluation_note = models.TextField(_("上级评价意见"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path", area="area_path")

    class Meta:
        verbose_name = _("书记项目")
        verbose_name_plural = _("书记项目")
        ordering = ["-year", "org_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="assessment_project_one")
        ]

    def __str__(self) -> str:
        return f"{self.year}年书记项目：{self.title}"


class ProjectMilestone(models.Model):
    project = models.ForeignKey(
        SecretaryProject, on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("节点"), max_length=100)
    due_on = models.DateField(_("计划完成"))
    done_on = models.DateField(_("实际完成"), null=True, blank=True)
    evidence = models.TextField(_("佐证材料"), blank=True)

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["project", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ReviewKind(models.TextChoices):
    RESEARCH = "research", _("季度调研")
    EVALUATION = "evaluation", _("半年评估")
    ASSESSMENT = "assessment", _("年度考核")


class Review(models.Model):
    """One scheduled 督评考 item of a project: when it is due, its evidence and its result."""

    project = models.ForeignKey(SecretaryProject, on_delete=models.CASCADE, related_name="reviews")
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    kind = models.CharField(_("类别"), max_length=12, choices=ReviewKind.choices)
    period = models.CharField(_("期次"), max_length=12)
    due_on = models.DateField(_("应完成日期"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    evidence = models.TextField(_("佐证材料"), blank=True)
    result_score = models.DecimalField(
        _("结果得分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    result_note = models.TextField(_("结果意见"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path", area="area_path")

    class Meta:
        verbose_name = _("督评考事项")
        verbose_name_plural = _("督评考事项")
        ordering = ["project", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "period"], name="review_one")
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_kind_display()}"
