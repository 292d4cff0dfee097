from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedQuerySet, ScopeFields
from dangjian.core.tree import PathField


class AppendOnlyQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise PermissionError("append-only table")

    def delete(self):
        raise PermissionError("append-only table")


class AuditEntry(models.Model):
    """One row per service write, login, failed login, reveal and export. Never updated."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+", verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    request_id = models.CharField(_("请求号"), max_length=32, blank=True)
    remote_addr = models.CharField(_("地址"), max_length=64, blank=True)
    area_path = PathField(_("区域路径"), blank=True, db_index=True)
    org_path = PathField(_("组织路径"), blank=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()
    scope_fields = ScopeFields(area="area_path", org="org_path", own="actor_id")

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_name or '系统'} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class HolidayYear(models.Model):
    """A year whose official schedule the holiday table holds."""

    class Source(models.TextChoices):
        CHINESE_CALENDAR = "chinese_calendar", _("chinese-calendar 预置")
        MANUAL = "manual", _("管理员录入")

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日年度")
        verbose_name_plural = _("节假日年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}"


class Holiday(models.Model):
    """A day that differs from the Monday–Friday rule: a statutory holiday on a weekday, or a
    make-up workday (调休) on a weekend."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("名称"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
