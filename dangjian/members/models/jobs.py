"""Background imports and exports (后台任务) of the member registry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.crypto import EncryptedField
from dangjian.core.scope import Own, ScopedManager, ScopeFields
from dangjian.members.models.registry import _stored_file

# --- background imports and exports (后台任务) -------------------------------------------------


class JobKind(models.TextChoices):
    IMPORT = "import", _("导入党员")
    EXPORT = "export", _("导出党员名册")


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


# A job in one of these states has ended: nothing runs it any more, it cannot be cancelled, and
# its stored files are removed once the retention period has passed (``jobs.job_files_sweep``).
FINISHED_JOB_STATES = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class MemberJob(models.Model):
    """A large import or export run by the worker (``members.tasks``): its progress, the
    report of bad rows and the files. The task gets only the job's id: the uploaded file is
    stored first (``source``) and the export's filters are kept encrypted (``filters``), so no
    personal data travels in the task's arguments. A job is its creator's own."""

    kind = models.CharField(_("类型"), max_length=8, choices=JobKind.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=JobState.choices, default=JobState.QUEUED
    )
    stage = models.CharField(_("阶段"), max_length=50, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="member_jobs",
        verbose_name=_("发起人"),
    )
    source = _stored_file(_("上传的文件"))
    result = _stored_file(_("结果文件"))
    mode = models.CharField(_("导入方式"), max_length=16, blank=True)
    columns = models.JSONField(_("列对应关系"), default=dict, blank=True)
    # The export's filters as JSON, encrypted: a search may be an ID number or a name.
    filters = EncryptedField(_("筛选条件"), pii_kind="id_number", blank=True, default="")
    reveal = models.BooleanField(_("导出完整个人信息"), default=False)
    report = models.JSONField(_("结果"), default=dict, blank=True)
    detail = models.CharField(_("说明"), max_length=500, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    # The running job's last sign of life (its start and each progress step).
    heartbeat_at = models.DateTimeField(_("最近进展时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Cancelling (``jobs.job_cancel``): a queued job is cancelled at once; a running one gets
    # ``cancel_requested_at`` and its task stops at the next batch, writing nothing.
    cancel_requested_at = models.DateTimeField(_("请求取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("取消人"),
    )
    cancelled_by_name = models.CharField(_("取消人姓名"), max_length=150, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    # Set when the retention sweep removed the job's stored files (``jobs.job_files_sweep``).
    files_expired_at = models.DateTimeField(_("文件清理时间"), null=True, blank=True)
    # A revealed export's workbook is handed over once (``job_runs.export_file_take``): when.
    file_taken_at = models.DateTimeField(_("文件下载时间"), null=True, blank=True)

    objects = ScopedManager()
    # A job is its creator's own, whatever their grants: read with ``scope.PERSONAL``.
    scope_fields = ScopeFields(personal=(Own("actor_id"),))

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "-created_at"], name="member_job_actor")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.get_state_display()}）"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_JOB_STATES

    @property
    def cancelling(self) -> bool:
        """Cancel requested while running: the task stops at its next batch."""
        return self.state == JobState.RUNNING and self.cancel_requested_at is not None

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
