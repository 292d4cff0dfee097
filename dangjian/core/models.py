from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import Own, ScopedQuerySet, ScopeFields
from dangjian.core.tree import PathField


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("append-only table")

    def delete(self):
        raise PermissionError("append-only table")


class ScopedAppendOnlyQuerySet(ScopedQuerySet):
    """Append-only rows read through their declared reach kinds (audit rows, ledger entries)."""

    update = AppendOnlyQuerySet.update
    delete = AppendOnlyQuerySet.delete


class AppendOnlyModel(models.Model):
    """Rows written once and never changed; the database refuses it too (see migrations).
    Each table names its manager: ``ScopedAppendOnlyQuerySet`` where rows are read by scope."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError(f"{self._meta.label} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.label} is append-only")


class AuditEntry(AppendOnlyModel):
    """One row per service write, login, failed login, reveal and export. Never updated."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("操作人"),
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
    # The actor of an anonymous report or a rating, and what else would name them, encrypted
    # (``core.audit.register_seal``); null when nothing is sealed. Nullable without a
    # default so adding it altered the table in place (SQLite keeps its trigger).
    sealed_actor = models.TextField(_("密封的操作人"), null=True, blank=True, editable=False)

    objects = ScopedAppendOnlyQuerySet.as_manager()
    scope_fields = ScopeFields(area="area_path", org="org_path", own="actor_id")

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_repr}"

    @property
    def sealed(self) -> bool:
        return bool(self.sealed_actor)

    @property
    def actor_label(self) -> str:
        """Who acted, as reviewers read it: "（已密封）" for a sealed actor."""
        if self.sealed_actor:
            return "（已密封）"
        return self.actor_name or "系统"


class AuditSeal(models.Model):
    """One audit row sealed into the chain (``core.auditchain``): ``hash`` is SM3 over the
    previous seal's hash and the row's content, so a row changed or deleted afterwards, or a
    seal taken out, breaks the chain that ``dangjian audit verify`` walks."""

    seq = models.BigIntegerField(_("封存序号"), primary_key=True)
    entry_id = models.BigIntegerField(_("审计记录编号"), unique=True)
    # When the row was written: a missing row older than the retention was purged, not taken.
    entry_at = models.DateTimeField(_("记录时间"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计封存")
        verbose_name_plural = _("审计封存")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq}:{self.entry_id}"


class AuditChainHead(models.Model):
    """One row (pk 1): where the audit chain ends, and where it starts after a purge."""

    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    # Every audit row with an id at or below this is sealed, but for the open gaps: ids that
    # were missing when later ones were sealed (a transaction still running, or rolled back).
    last_entry_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=dict)
    anchor_seq = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"{self.seq}:{self.last_hash[:8]}"


class AuditRetention(models.Model):
    """One row (pk 1): the audit retention in calendar months, copied from the setting
    ``AUDIT_RETENTION_MONTHS`` after every migrate and by every purge, for the PostgreSQL
    trigger that refuses to delete younger audit rows (``core.retention``)."""

    months = models.PositiveSmallIntegerField(_("保留月数"), default=12)

    class Meta:
        verbose_name = _("审计记录保留期限")
        verbose_name_plural = _("审计记录保留期限")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(months__gte=6), name="core_auditretention_at_least_6"
            ),
            models.CheckConstraint(condition=models.Q(pk=1), name="core_auditretention_one_row"),
        ]

    def __str__(self) -> str:
        return f"{self.months}个月"


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


class LedgerAccount(models.Model):
    """An account in one of the ledgers (dues, points, time-bank hours).

    The balance is a cache of the sum of its entries, updated under a row lock; ``dangjian
    ledger verify`` recomputes it. Scoped by the paths of its owner, which tree moves rewrite.
    """

    ledger = models.CharField(_("台账"), max_length=20)
    code = models.CharField(_("账户代码"), max_length=100)
    name = models.CharField(_("名称"), max_length=100)
    owner_type = models.CharField(_("所有者类型"), max_length=64, blank=True)
    owner_id = models.BigIntegerField(_("所有者编号"), null=True, blank=True)
    area_path = PathField(_("区域路径"), blank=True, db_index=True)
    org_path = PathField(_("组织路径"), blank=True, db_index=True)
    allow_negative = models.BooleanField(_("允许负余额"), default=False)
    balance = models.DecimalField(_("余额"), max_digits=18, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("开户时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("台账账户")
        verbose_name_plural = _("台账账户")
        constraints = [
            models.UniqueConstraint(fields=["ledger", "code"], name="ledger_account_unique_code")
        ]
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self) -> str:
        return f"{self.ledger}:{self.code}"


class LedgerHead(models.Model):
    """The end of one ledger's hash chain; locked while a transaction is posted."""

    ledger = models.CharField(max_length=20, unique=True)
    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.ledger}#{self.seq}"


class LedgerTransaction(AppendOnlyModel):
    """Two or more entries that sum to zero. Insert-only; corrections reverse."""

    ledger = models.CharField(_("台账"), max_length=20)
    seq = models.BigIntegerField(_("序号"))
    idempotency_key = models.CharField(_("幂等键"), max_length=200)
    kind = models.CharField(_("业务类型"), max_length=40)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    occurred_on = models.DateField(_("业务日期"))
    created_at = models.DateTimeField(_("记账时间"))
    actor_id = models.BigIntegerField(_("操作人"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("冲正对象"),
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账交易")
        verbose_name_plural = _("台账交易")
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="ledger_txn_unique_key"),
            models.UniqueConstraint(fields=["ledger", "seq"], name="ledger_txn_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.ledger}#{self.seq} {self.memo}"


class LedgerEntry(AppendOnlyModel):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)

    objects = ScopedAppendOnlyQuerySet.as_manager()
    scope_fields = ScopeFields(area="account__area_path", org="account__org_path")

    class Meta:
        verbose_name = _("台账分录")
        verbose_name_plural = _("台账分录")
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_entry_nonzero")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"


class StoredFile(models.Model):
    """A file kept on disk by its SHA-256 (``core.files``). Apps link to it and serve it only
    after checking that the object it belongs to is visible to the user."""

    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("文件")
        verbose_name_plural = _("文件")
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="storedfile_size_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """One in-app notification to one person; raised only through ``core.notify.notify``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类别"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    key = models.CharField(_("去重键"), max_length=160, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    # Only the recipient reads their notifications; no grant reaches them.
    scope_fields = ScopeFields(personal=(Own("recipient_id"),))

    class Meta:
        verbose_name = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_notif_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~models.Q(key=""),
                name="core_notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A person's choice per kind: in the app, and beyond it (SMS where a deployment has it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("类别"), max_length=64)
    in_app = models.BooleanField(_("站内通知"), default=True)
    external = models.BooleanField(_("短信等外部通知"), default=True)

    class Meta:
        verbose_name = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="core_notification_pref_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"
