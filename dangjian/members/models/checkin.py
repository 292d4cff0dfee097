"""Community check-in (双报到): a member's check-in at the community of residence and services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.members.models.registry import Member
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

# --- community check-in (双报到) -------------------------------------------------------------


class CommunityCheckin(models.Model):
    """An in-service member, or an agency branch, reporting to a community.

    Scoped by the community's ``area_path`` through ``members.checkin_view``: the community
    sees the name, the unit and the service record, never the member's file.
    """

    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="checkins",
        verbose_name=_("党员"),
    )
    party_org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="community_checkins",
        verbose_name=_("报到党组织"),
    )
    name = models.CharField(_("姓名/名称"), max_length=100)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="checkins", verbose_name=_("报到社区")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    reported_on = models.DateField(_("报到日期"))
    service_hours = models.DecimalField(
        _("服务时长(小时)"), max_digits=8, decimal_places=1, default=0
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("报到登记")
        verbose_name_plural = _("报到登记")
        ordering = ["area_path", "-reported_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=False, party_org__isnull=True)
                | models.Q(member__isnull=True, party_org__isnull=False),
                name="checkin_member_or_org",
            ),
            models.UniqueConstraint(
                fields=["member", "community"],
                condition=models.Q(member__isnull=False),
                name="checkin_member_once",
            ),
            models.UniqueConstraint(
                fields=["party_org", "community"],
                condition=models.Q(party_org__isnull=False),
                name="checkin_org_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.community.name}"

    @property
    def kind(self) -> str:
        return "member" if self.member_id else "org"


class CheckinService(models.Model):
    """One entry of the service record of a check-in."""

    checkin = models.ForeignKey(
        CommunityCheckin,
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("报到登记"),
    )
    served_on = models.DateField(_("服务日期"))
    content = models.CharField(_("服务内容"), max_length=200)
    hours = models.DecimalField(_("时长(小时)"), max_digits=6, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("报到服务记录")
        verbose_name_plural = _("报到服务记录")
        ordering = ["-served_on", "-id"]

    def __str__(self) -> str:
        return f"{self.served_on} {self.content}"
