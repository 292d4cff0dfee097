"""Mobile members (流动党员): the registration with the home and host organizations, and reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.crypto import EncryptedField, mask
from dangjian.core.scope import ScopedManager, ScopeFields, Subtree
from dangjian.core.tree import PathField
from dangjian.members.models.registry import Member
from dangjian.organizations.models import PartyOrg

# --- mobile members (流动党员) ----------------------------------------------------------------


class MobileRegistration(models.Model):
    """A member away from home: where, since when, the activity card, the host organization."""

    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="mobile_registrations",
        verbose_name=_("党员"),
    )
    # Where the member is away: an address, encrypted at rest.
    destination = EncryptedField(_("外出去向"), pii_kind="address")
    fixed_place = models.BooleanField(_("外出地点固定"), default=False)
    left_on = models.DateField(_("外出日期"))
    contact_phone = EncryptedField(_("联系电话"), pii_kind="phone", blank=True, default="")
    contact_phone_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    card_number = models.CharField(_("流动党员活动证号"), max_length=40, blank=True)
    card_issuer = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发证党委"),
    )
    host_org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_mobile_members",
        verbose_name=_("流入地党组织"),
    )
    host_org_path = PathField(_("流入地组织路径"), blank=True, default="", db_index=True)
    host_org_name = models.CharField(_("流入地党组织名称"), max_length=100, blank=True)
    last_contact_on = models.DateField(_("最近联系日期"))
    last_report_on = models.DateField(_("最近汇报日期"), null=True, blank=True)
    active = models.BooleanField(_("流动中"), default=True)
    ended_on = models.DateField(_("返回日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager()
    # The home organization manages; the host organization sees whom it hosts.
    scope_fields = ScopeFields(
        org="member__org_path", own="member__user_id", kinds=(Subtree("host_org_path", "org"),)
    )
    HOME = ("member__org_path", "member__user_id")

    class Meta:
        verbose_name = _("流动党员登记")
        verbose_name_plural = _("流动党员登记")
        ordering = ["-left_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(active=True),
                name="mobile_one_active_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name}（{mask('address', self.destination)}）"


class MobileReport(models.Model):
    """A report home or a contact with a mobile member (at least once a year)."""

    class Kind(models.TextChoices):
        REPORT = "report", _("思想工作汇报")
        CONTACT = "contact", _("联系")

    registration = models.ForeignKey(
        MobileRegistration,
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("流动党员登记"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    on = models.DateField(_("日期"))
    content = models.CharField(_("内容"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("流动党员汇报")
        verbose_name_plural = _("流动党员汇报")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"
