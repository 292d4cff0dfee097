"""Running a background job of the member registry (``jobs`` starts and cancels them): the
task's body (``run_job``: progress, checkpoints, cancel), the settings read by both sides, and
the sweeps of stale jobs and expired files. ``members.tasks`` calls into this module, and
``jobs`` queues the tasks, so there is no cycle: jobs -> tasks -> job_runs."""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, files, scope
from dangjian.members import excel, services
from dangjian.members.models import FINISHED_JOB_STATES, JobKind, JobState, MemberJob

logger = logging.getLogger(__name__)


DEFAULT_BACKGROUND_ROWS = 2000
DEFAULT_BACKGROUND_BYTES = 1024 * 1024
# A background import has no row limit of its own beyond this sanity bound; the file's size
# limit (10 MB, about 100,000 rows of the template) is what binds in practice.
DEFAULT_BACKGROUND_MAX_ROWS = 500_000

STAGE_LABELS = {
    "queued": "等待后台处理",
    "read": "读取文件",
    "check": "检查数据",
    "write": "写入数据",
    "export": "生成名册",
    "store": "保存文件",
    "done": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
}
CANCELLING_LABEL = "正在取消（将在当前批次处理完后停止）"
STALE_LABEL = "长时间没有进展，后台处理进程可能已中断"
DEFAULT_STALE_MINUTES = 30
DEFAULT_FILE_DAYS = 7
# A workbook with whole ID and phone numbers is handed over once, and only this long after
# the export ended; then it is removed (issue 19: no revealed file fetched indefinitely).
DEFAULT_REVEALED_FILE_MINUTES = 30


def background_rows() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def background_bytes() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_BYTES", DEFAULT_BACKGROUND_BYTES))


def background_max_rows() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_MAX_ROWS", DEFAULT_BACKGROUND_MAX_ROWS))


def file_days() -> int:
    """How many days an ended job's stored files are kept."""
    return int(settings.DANGJIAN.get("MEMBERS_JOB_FILE_DAYS", DEFAULT_FILE_DAYS))


def revealed_file_minutes() -> int:
    """How long after its end a revealed export's workbook may be downloaded (once)."""
    return int(
        settings.DANGJIAN.get("MEMBERS_REVEALED_FILE_MINUTES", DEFAULT_REVEALED_FILE_MINUTES)
    )


def stale_minutes() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_JOB_STALE_MINUTES", DEFAULT_STALE_MINUTES))


def is_stale(job: MemberJob, now=None) -> bool:
    """A running job whose worker has shown no progress for ``stale_minutes()``."""
    if job.state != JobState.RUNNING:
        return False
    last = job.heartbeat_at or job.started_at
    if last is None:  # no sign either way
        return False
    return last < (now or timezone.now()) - dt.timedelta(minutes=stale_minutes())


def _update(job_id: int, *, running_only: bool = True, **fields) -> None:
    """Change the job while it runs; nothing once it ended (the stale sweep may have ended
    it), unless ``running_only`` is false."""
    jobs = MemberJob.objects.filter(pk=job_id)
    (jobs.filter(state=JobState.RUNNING) if running_only else jobs).update(**fields)


def _progress(job_id: int, **fields) -> None:
    _update(job_id, heartbeat_at=timezone.now(), **fields)


def _fail(job: MemberJob, detail: str, report: dict | None = None) -> None:
    _update(
        job.pk,
        state=JobState.FAILED,
        stage="failed",
        detail=detail[:500],
        report=report or {},
        finished_at=timezone.now(),
    )


def _messages(exc: ValidationError) -> tuple[str, list[dict]]:
    if hasattr(exc, "error_dict"):
        errors = [
            {
                "row": 0,
                "column": excel.COLUMN_BY_KEY[k].header if k in excel.COLUMN_BY_KEY else "文件",
                "message": m,
            }
            for k, ms in exc.message_dict.items()
            for m in ms
        ]
    else:
        errors = [{"row": 0, "column": "文件", "message": m} for m in exc.messages]
    return "；".join(e["message"] for e in errors), errors


class JobCancelled(Exception):
    """Raised inside a running job at a checkpoint once a cancel was requested."""


class JobEnded(Exception):
    """Raised inside a running job at a checkpoint when the job was ended without it (taken
    for dead by ``stale_jobs_sweep``): it stops, changing nothing."""


def _checkpoint(job_id: int):
    """A function the running job calls between batches: it raises ``JobCancelled`` once
    someone asked to cancel the job, ``JobEnded`` once the job is no longer running (one
    indexed read of the job row)."""

    def check() -> None:
        row = (
            MemberJob.objects.filter(pk=job_id).values_list("state", "cancel_requested_at").first()
        )
        if row is None or row[0] != JobState.RUNNING:
            raise JobEnded
        if row[1] is not None:
            raise JobCancelled

    return check


def _cancelled(job: MemberJob) -> None:
    """The running job stopped at a checkpoint: record it as cancelled (who asked, when)."""
    row = (
        MemberJob.objects.filter(pk=job.pk)
        .values("cancelled_by_name", "cancel_requested_at")
        .first()
    )
    now = timezone.now()
    _update(
        job.pk,
        state=JobState.CANCELLED,
        stage="cancelled",
        cancelled_at=now,
        finished_at=now,
        detail=_cancel_detail(job.kind, row["cancelled_by_name"], row["cancel_requested_at"]),
    )


def _nothing_written(kind: str) -> str:
    return "未导入任何数据" if kind == JobKind.IMPORT else "未生成名册文件"


def _cancel_detail(kind: str, name: str, at, *, interrupted: bool = False) -> str:
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""
    detail = f"已由{name or '系统'}于{when}取消，{_nothing_written(kind)}"
    return detail + ("（后台处理进程已中断）" if interrupted else "")


def run_job(job_id: int) -> dict:
    """Run one queued job to its end; answers a small summary (no personal data)."""
    # Only a job still queued starts, under the row's lock (``job_cancel`` takes it too): a
    # cancel that came in first wins.
    with transaction.atomic():
        job = (
            MemberJob.objects.select_for_update(of=("self",))
            .select_related("actor", "source")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.state != JobState.QUEUED:
            return {"job": job_id, "skipped": True}
        now = timezone.now()
        _update(
            job.pk,
            running_only=False,
            state=JobState.RUNNING,
            stage="read",
            started_at=now,
            heartbeat_at=now,
        )
    actor = job.actor
    checkpoint = _checkpoint(job.pk)
    try:
        if not actor.is_active:
            raise PermissionDenied("发起人的账号已停用")
        checkpoint()
        if job.kind == JobKind.IMPORT:
            _run_import(job, actor, checkpoint)
        else:
            _run_export(job, actor, checkpoint)
    except JobCancelled:
        _cancelled(job)
    except JobEnded:
        return {"job": job.pk, "ended_elsewhere": True}
    except ValidationError as exc:
        detail, errors = _messages(exc)
        _fail(job, detail, {"errors": errors})
    except (PermissionDenied, scope.Forbidden, Http404) as exc:
        _fail(job, str(exc) or "您已没有执行此操作的权限")
    except Exception:
        logger.exception("member job %s failed", job.pk)
        _fail(job, "后台处理时发生系统错误，请稍后重试或联系管理员")
    job.refresh_from_db()
    if job.cancel_requested_at and job.state in (JobState.DONE, JobState.FAILED):
        # The cancel came after the last checkpoint (the import's write had committed, the
        # export had been written): the job's own ending stands, and says so.
        late = "（取消请求到达时任务已处理完毕，未能取消）"
        _update(job.pk, running_only=False, detail=(job.detail + late)[:500])
        job.detail = (job.detail + late)[:500]
    return {"job": job.pk, "state": job.state, "rows": job.rows_done}


def _run_import(job: MemberJob, actor, checkpoint) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        checkpoint()  # between batches of the check, and before the write begins
        _progress(job.pk, stage=stage, rows_done=done, rows_total=total)

    report = services.members_import(
        actor=actor,
        content=files.file_read(job.source),
        mode=job.mode,
        columns=job.columns,
        max_rows=background_max_rows(),
        progress=progress,
        checkpoint=checkpoint,
    )
    report.pop("created_ids", None)
    _update(
        job.pk,
        state=JobState.DONE,
        stage="done",
        rows_done=report["total"],
        rows_total=report["total"],
        report=report,
        detail=report["detail"][:500],
        finished_at=timezone.now(),
    )


# A workbook the system wrote is not an upload: the upload cap does not bind it.
EXPORT_MAX_BYTES = 512 * 1024 * 1024


def _run_export(job: MemberJob, actor, checkpoint) -> None:
    filters = json.loads(job.filters or "{}")

    def progress(done: int) -> None:
        checkpoint()
        _progress(job.pk, stage="export", rows_done=done)

    content, count = services.members_export(
        actor=actor, filters=filters, reveal=job.reveal, progress=progress
    )
    # Past this point the export has happened (and is audited): a late cancel lets it finish.
    _progress(job.pk, stage="store", rows_done=count, rows_total=count)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    stored = files.file_store_bytes(
        actor=actor,
        name=f"党员名册-{stamp}.xlsx",
        content=content,
        kinds=("xlsx",),
        limit=EXPORT_MAX_BYTES,
    )
    _update(
        job.pk,
        state=JobState.DONE,
        stage="done",
        result=stored,
        report={"count": count},
        detail=f"已导出{count}条",
        finished_at=timezone.now(),
    )


# --- cancelling -----------------------------------------------------------------------------------


def stale_jobs_sweep(*, now=None) -> dict:
    """End the running jobs whose worker is taken for dead (``is_stale``): cancelled when a
    cancel was asked, failed otherwise, each audited. Answers the count."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=stale_minutes())
    due = (
        MemberJob.objects.filter(state=JobState.RUNNING)
        .exclude(heartbeat_at__gte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ended = 0
    for pk in list(due):
        ended += _end_interrupted(pk, now, worker_gone=False)
    return {"jobs": ended, "minutes": stale_minutes()}


def job_interrupted(args: list, kwargs: dict) -> None:
    """``core.worker``'s handler for ``run_member_job``: its worker died, so the job ends now
    (failed, or cancelled when a cancel was asked), not after ``stale_minutes()``."""
    job_id = (args[0] if args else None) or kwargs.get("job_id")
    if isinstance(job_id, int):
        _end_interrupted(job_id, timezone.now(), worker_gone=True)


@transaction.atomic
def _end_interrupted(pk: int, now, *, worker_gone: bool) -> int:
    job = MemberJob.objects.select_for_update().filter(pk=pk).first()
    # A queued job whose task's worker died before the job started is ended as well.
    open_states = (JobState.RUNNING, JobState.QUEUED) if worker_gone else (JobState.RUNNING,)
    if job is None or job.state not in open_states:
        return 0
    if not worker_gone and not is_stale(job, now):
        return 0
    if job.cancel_requested_at is not None:
        state, stage = JobState.CANCELLED, "cancelled"
        detail = _cancel_detail(
            job.kind, job.cancelled_by_name, job.cancel_requested_at, interrupted=True
        )
    else:
        state, stage = JobState.FAILED, "failed"
        again = "请重新导入" if job.kind == JobKind.IMPORT else "请重新导出"
        why = "进程已退出" if worker_gone else f"超过{stale_minutes()}分钟没有进展"
        detail = f"后台处理进程已中断（{why}），{_nothing_written(job.kind)}，{again}"
    fields = {"state": state, "stage": stage, "detail": detail, "finished_at": now}
    if state == JobState.CANCELLED:
        fields["cancelled_at"] = now
    MemberJob.objects.filter(pk=pk).update(**fields)
    audit.record(
        actor=None,
        action="members.job_interrupted",
        obj=job,
        before={"state": job.state, "stage": job.stage},
        after={"state": state},
        note=detail,
    )
    return 1


# --- files past their retention -------------------------------------------------------------------


def job_files_sweep(*, now=None) -> dict:
    """Remove the stored files (upload, workbook) of jobs that ended more than
    ``file_days()`` days ago, through ``core.files``; each job row stays, marked
    ``files_expired_at``. One transaction per job, so a failure leaves the others done.
    Answers the counts (no personal data)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=file_days())
    revealed_cutoff = now - dt.timedelta(minutes=revealed_file_minutes())
    due = (
        MemberJob.objects.filter(state__in=FINISHED_JOB_STATES, files_expired_at__isnull=True)
        .filter(
            Q(finished_at__lt=cutoff)
            | Q(kind=JobKind.EXPORT, reveal=True, finished_at__lt=revealed_cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    jobs_done = files_removed = 0
    for pk in list(due):
        with transaction.atomic():
            job = (
                MemberJob.objects.select_for_update(of=("self",))
                .select_related("source", "result")
                .filter(pk=pk, files_expired_at__isnull=True)
                .first()
            )
            if job is None:
                continue
            removed = [f for f in (job.source, job.result) if f is not None]
            _expire_files(job, now, f"后台任务{job.pk}的文件超过保留期限")
            jobs_done += 1
            files_removed += len(removed)
    return {"jobs": jobs_done, "files": files_removed, "days": file_days()}


def file_expired_message(job: MemberJob) -> str:
    again = "，如需名册请重新导出" if job.kind == JobKind.EXPORT else ""
    if job.kind == JobKind.EXPORT and job.reveal:
        when = timezone.localtime(job.files_expired_at).strftime("%Y-%m-%d %H:%M")
        if job.file_taken_at is not None:
            return f"含完整号码的导出文件只能下载一次，已于{when}下载并从服务器删除{again}"
        return (
            f"含完整号码的导出文件须在生成后{revealed_file_minutes()}分钟内下载，"
            f"已于{when}删除{again}"
        )
    when = timezone.localtime(job.files_expired_at).strftime("%Y-%m-%d")
    return f"文件已超过保留期限（{file_days()}天），已于{when}清理{again}"


def _expire_files(job: MemberJob, now, note: str, **extra) -> None:
    for stored in (job.source, job.result):
        if stored is not None:
            files.file_delete(actor=None, stored=stored, note=note)
    MemberJob.objects.filter(pk=job.pk).update(
        source=None, result=None, files_expired_at=now, **extra
    )


class FileGone(Exception):
    """The workbook is no longer there: ``message`` says why (answered 410)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def export_file_take(*, actor, job: MemberJob) -> tuple[bytes, str]:
    """The workbook of ``actor``'s export ``job`` as (content, name).

    A masked export's workbook may be fetched again until the retention sweep removes it. A
    revealed export's (whole ID and phone numbers) is handed over once, within
    ``revealed_file_minutes()`` of the job's end: the stored file is removed as it is handed
    over (audited), so a second fetch, a shared link or a browser history entry finds 410.
    ``FileGone`` when removed; ``Http404`` while not written yet."""
    now = timezone.now()
    expired_note = ""
    with transaction.atomic():
        locked = (
            MemberJob.objects.select_for_update(of=("self",))
            .select_related("result")
            .filter(pk=job.pk, actor=actor, kind=JobKind.EXPORT)
            .first()
        )
        if locked is None:
            raise Http404("未找到")
        if locked.files_expired_at is None and locked.result_id and locked.reveal:
            limit = dt.timedelta(minutes=revealed_file_minutes())
            if locked.finished_at is not None and locked.finished_at + limit < now:
                expired_note = (
                    f"导出任务{locked.pk}含完整号码的文件超过{revealed_file_minutes()}分钟未下载"
                )
                _expire_files(locked, now, expired_note)
        if expired_note or locked.files_expired_at is not None:
            locked.refresh_from_db()
            gone = file_expired_message(locked)
        else:
            gone = ""
            if not locked.result_id:
                raise Http404("文件尚未生成")
            content, name = files.file_read(locked.result), locked.result.name
            if locked.reveal:
                _expire_files(
                    locked,
                    now,
                    f"导出任务{locked.pk}含完整号码的文件已下载（一次性）",
                    file_taken_at=now,
                )
    if gone:  # raised after the commit, so an expiry found here stays done
        raise FileGone(gone)
    return content, name


# --- reading --------------------------------------------------------------------------------------
