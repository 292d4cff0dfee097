"""Roles of members on units (党员中心户, 楼栋长)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.members.models.registry import Member
from dangjian.territory.models import Area

# --- roles of members on units (党员中心户, 楼栋长) --------------------------------------------


class UnitRoleCode(models.TextChoices):
    CENTER_HOUSEHOLD = "center_household", _("党员中心户")
    BUILDING_HEAD = "building_head", _("楼栋长")


class UnitRole(models.Model):
    """A member's role on a unit of the Area tree: 党员中心户 (a member household that links
    the households around it) or 楼栋长 (one per building). Scoped by the unit's
    ``area_path``; the member's name is copied, so the community's list touches no file."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="unit_roles", verbose_name=_("党员")
    )
    member_name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="member_roles", verbose_name=_("单元")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    role = models.CharField(_("角色"), max_length=20, choices=UnitRoleCode.choices)
    since = models.DateField(_("任职日期"))
    households = models.PositiveIntegerField(_("联系户数"), default=0)
    ended_on = models.DateField(_("卸任日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("党员中心户和楼栋长")
        verbose_name_plural = _("党员中心户和楼栋长")
        ordering = ["area_path", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "unit", "role"],
                condition=models.Q(ended_on__isnull=True),
                name="unit_role_member_once",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(role="building_head", ended_on__isnull=True),
                name="unit_role_one_building_head",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_name}（{self.unit.name}{self.get_role_display()}）"
