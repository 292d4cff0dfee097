"""Residents register themselves on the phone with their grid's invitation code (or its QR
code); the grid worker confirms or rejects each registration (``services.registration``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.crypto import EncryptedField
from dangjian.core.scope import ScopedQuerySet, ScopeFields
from dangjian.core.tree import PathField
from dangjian.territory.models import Area


class GridInvitation(models.Model):
    """A grid's invitation code: residents who type it (or scan its QR code) register in
    that grid. A grid has at most one active code; renewing it retires the old one."""

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("网格")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    code = models.CharField(_("邀请码"), max_length=16, unique=True)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("生成人"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("网格邀请码")
        verbose_name_plural = _("网格邀请码")
        ordering = ["area_path", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["area"],
                condition=models.Q(active=True),
                name="grid_invitation_one_active",
            )
        ]

    def __str__(self) -> str:
        return self.code


class RegistrationState(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已退回")


class Registration(models.Model):
    """One resident's registration: an inactive resident account until the grid worker
    confirms it; a rejected one's account is removed (the row stays, for the record)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registration",
        verbose_name=_("账号"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = EncryptedField(_("手机号码"), pii_kind="phone")
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("网格")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    invitation = models.ForeignKey(
        GridInvitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
        verbose_name=_("邀请码"),
    )
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=RegistrationState.choices,
        default=RegistrationState.PENDING,
        db_index=True,
    )
    reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("处理人"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("居民注册")
        verbose_name_plural = _("居民注册")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name
