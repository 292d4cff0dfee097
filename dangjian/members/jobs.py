"""Large imports and exports as background jobs (``MemberJob``), run by the worker.

Above a threshold (settings ``DANGJIAN["MEMBERS_BACKGROUND_ROWS"]``, default 2,000 rows, and
``DANGJIAN["MEMBERS_BACKGROUND_BYTES"]``, default 1 MB) the console's import and export run
as django-tasks tasks (``members.tasks``); the API's ``/members/imports/`` and
``/members/exports/`` always do. The uploaded file is stored first (``core.files``) and the
export's filters are kept encrypted on the job, so the task's arguments carry only the job's
id. The job row holds the progress (rows done of the total, and the stage), the report of bad
rows and the result file. A job is its creator's own: nobody else reads it.

A job that has not ended can be cancelled by whoever may see it (``job_cancel``): a queued job
at once; a running one is asked to stop, and its task checks between batches (every
``IMPORT_PROGRESS_EVERY`` rows while checking, between the insert batches while writing,
every ``EXPORT_PROGRESS_EVERY`` rows of an export) and stops there. The import's write is one
transaction, so a stop inside it rolls it back whole: a cancelled import has written nothing,
in either mode. An ended job's stored files (the upload, the workbook) are removed after
``DANGJIAN["MEMBERS_JOB_FILE_DAYS"]`` days (default 7) by ``job_files_sweep`` (the task
``members.tasks.job_files_sweep_task``, or ``manage.py members_job_files_sweep``); the job row
stays, marked ``files_expired_at``, and its download answers 410.

A worker that dies (killed, the machine restarted) leaves its job running for ever: the job's
``heartbeat_at`` is set at its start and at each progress step, and a running job without one
for ``DANGJIAN["MEMBERS_JOB_STALE_MINUTES"]`` minutes (default 30) is taken for dead. The same
sweep ends it (``stale_jobs_sweep``: failed, or cancelled when a cancel was asked), a cancel of
it ends it at once, and its page says so meanwhile. A database transaction dies with its
process, so such an import has written nothing. Should the worker still be alive after all,
its next checkpoint finds the job ended and it stops, rolling back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import audit, files, scope
from dangjian.core.errors import Conflict
from dangjian.members import excel, services
from dangjian.members.models import FINISHED_JOB_STATES, JobKind, JobState, MemberJob
from dangjian.members.services.fields import _actor_name

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


def background_rows() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def background_bytes() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_BYTES", DEFAULT_BACKGROUND_BYTES))


def background_max_rows() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_MAX_ROWS", DEFAULT_BACKGROUND_MAX_ROWS))


def file_days() -> int:
    """How many days an ended job's stored files are kept."""
    return int(settings.DANGJIAN.get("MEMBERS_JOB_FILE_DAYS", DEFAULT_FILE_DAYS))


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


def import_is_large(content: bytes) -> bool:
    """Whether an import file should run in the background: over the size threshold, or more
    data rows than the row threshold (the sheet's dimensions, its cells unread). Raises
    ValidationError (422) when a file under the size threshold passes a reading limit."""
    if len(content) > background_bytes():
        return True  # import_job_start sizes it through the guard
    return excel.sheet_height(content, max_rows=background_max_rows()) - 1 > background_rows()


def export_is_large(count: int) -> bool:
    return count > background_rows()


# --- starting -------------------------------------------------------------------------------------


def _parse_columns(columns) -> dict:
    if columns in (None, "", {}):
        return {}
    if isinstance(columns, str):
        try:
            columns = json.loads(columns)
        except ValueError:
            columns = None
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise ValidationError(
            {"columns": ['列对应关系应为JSON对象，如{"公民身份号码": "身份证号"}']}
        )
    for value in columns.values():
        if excel.normalize_header(value) not in excel._HEADER_INDEX:
            raise ValidationError({"columns": [f"列对应关系中的“{value}”不是可导入的列"]})
    return columns


def _enqueue(job: MemberJob) -> MemberJob:
    from dangjian.members import tasks

    task = tasks.run_member_job
    result = task.enqueue(job.pk)
    # The immediate backend has run the job already; the database backend queues it.
    MemberJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def import_job_start(*, actor, upload, mode: str = "all_or_nothing", columns=None) -> MemberJob:
    """Store the uploaded workbook and queue its import; answers the job (already finished
    when tasks run immediately)."""
    services.check_import_mode(mode)
    if not scope.reach_of(actor, "members.manage").org_paths:
        raise scope.Forbidden("您没有导入党员的权限")
    mapping = _parse_columns(columns)
    if upload is None:
        raise ValidationError({"file": ["请上传Excel文件（.xlsx）"]})
    if upload.size is not None and upload.size > excel.MAX_IMPORT_BYTES:
        raise ValidationError({"file": ["文件不能超过10MB，请拆分后分批导入"]})
    upload.seek(0)  # sized through core.excel's guard before anything is stored
    height = excel.sheet_height(
        upload.read(excel.MAX_IMPORT_BYTES + 1), max_rows=background_max_rows()
    )
    with transaction.atomic():
        stored = files.file_store(actor=actor, upload=upload, kinds=("xlsx",), field="file")
        job = MemberJob.objects.create(
            kind=JobKind.IMPORT,
            actor=actor,
            source=stored,
            mode=mode,
            columns=mapping,
            stage="queued",
            rows_total=max(0, height - 1),
        )
        audit.record(
            actor=actor,
            action="members.import_job",
            obj=job,
            after={"file": stored.pk, "mode": mode, "rows": job.rows_total},
            note=f"后台导入党员（文件{stored.name}）",
        )
    return _enqueue(job)


def _jsonable(filters: dict) -> dict:
    out = {}
    for key, value in filters.items():
        if value in (None, "", False):
            continue
        out[key] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def export_job_start(*, actor, filters: dict, reveal: bool = False) -> MemberJob:
    """Check the filters and the right to reveal now, then queue the export; answers the
    job. The filters are kept encrypted on the job (a search may be an ID number)."""
    qs = services.check_export(actor=actor, filters=filters, reveal=reveal)
    total = qs.count()
    with transaction.atomic():
        # One export at a time per user: the user's row is locked so two starts queue up.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        if MemberJob.objects.filter(
            kind=JobKind.EXPORT, actor=actor, state__in=(JobState.QUEUED, JobState.RUNNING)
        ).exists():
            raise Conflict("您已有一个导出任务正在排队或进行中，请等待其完成或取消后再发起新的导出")
        job = MemberJob.objects.create(
            kind=JobKind.EXPORT,
            actor=actor,
            filters=json.dumps(_jsonable(filters), ensure_ascii=False),
            reveal=reveal,
            stage="queued",
            rows_total=total,
        )
        audit.record(
            actor=actor,
            action="members.export_job",
            obj=job,
            org_path=services.export_org_path(actor, filters),
            after={"rows": total, "reveal": reveal},
            note="后台导出党员名册",
        )
    return _enqueue(job)


# --- running (in the worker) ----------------------------------------------------------------------


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


def job_cancel(*, actor, job: MemberJob) -> MemberJob:
    """Cancel a job that has not ended. Whoever may see the job (``job_get``: today its
    creator) may cancel it. A queued job is cancelled at once (its task, when the worker picks
    it up, finds it cancelled and does nothing); a running job is asked to stop and its task
    stops at the next batch, writing nothing (``run_job``). An ended job: ``Conflict``.

    On SQLite (the embedded default) an import's write holds the database's only write lock
    until it commits, so a cancel could neither be recorded nor seen before the import ends;
    it is refused at once with the reason instead of waiting on the lock."""
    job = job_get(actor, job.pk)
    writing = job.state == JobState.RUNNING and job.stage == "write"
    # A stale job's dead worker holds no lock: its cancel ends it at once, on SQLite too.
    if connection.vendor == "sqlite" and writing and not is_stale(job):
        raise Conflict("任务正在写入数据，此阶段无法中断，请等待其完成")
    return _job_cancel(actor=actor, job=job)


@transaction.atomic
def _job_cancel(*, actor, job: MemberJob) -> MemberJob:
    locked = MemberJob.objects.select_for_update().get(pk=job.pk)
    if locked.state in FINISHED_JOB_STATES:
        if locked.state == JobState.CANCELLED:
            raise Conflict("该任务已取消")
        raise Conflict(f"该任务已结束（{locked.get_state_display()}），不能取消")
    now = timezone.now()
    stale = is_stale(locked, now)
    if locked.cancel_requested_at is not None and not stale:  # asked: the task is stopping
        return job_get(actor, job.pk)
    name = _actor_name(actor)
    fields = {
        "cancel_requested_at": now,
        "cancelled_by": actor,
        "cancelled_by_name": name,
    }
    if locked.state == JobState.QUEUED or stale:
        # A stale job's worker is gone and its transaction with it: nothing will stop it
        # at a checkpoint, so the cancel ends it here.
        fields.update(
            state=JobState.CANCELLED,
            stage="cancelled",
            cancelled_at=now,
            finished_at=now,
            detail=_cancel_detail(locked.kind, name, now, interrupted=stale),
        )
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save(update_fields=list(fields))
    audit.record(
        actor=actor,
        action="members.job_cancel",
        obj=locked,
        before={"state": job.state},
        after={"state": locked.state, "cancel_requested": True},
        note="取消后台任务" if locked.state == JobState.CANCELLED else "请求取消运行中的后台任务",
    )
    return job_get(actor, job.pk)


def can_cancel(job: MemberJob) -> bool:
    return not job.finished and (job.cancel_requested_at is None or is_stale(job))


# --- jobs whose worker died -----------------------------------------------------------------------


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
        with transaction.atomic():
            job = MemberJob.objects.select_for_update().filter(pk=pk).first()
            if job is None or not is_stale(job, now):
                continue
            if job.cancel_requested_at is not None:
                state, stage = JobState.CANCELLED, "cancelled"
                detail = _cancel_detail(
                    job.kind, job.cancelled_by_name, job.cancel_requested_at, interrupted=True
                )
            else:
                state, stage = JobState.FAILED, "failed"
                again = "请重新导入" if job.kind == JobKind.IMPORT else "请重新导出"
                detail = (
                    f"后台处理进程已中断（超过{stale_minutes()}分钟没有进展），"
                    f"{_nothing_written(job.kind)}，{again}"
                )
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
            ended += 1
    return {"jobs": ended, "minutes": stale_minutes()}


# --- files past their retention -------------------------------------------------------------------


def job_files_sweep(*, now=None) -> dict:
    """Remove the stored files (upload, workbook) of jobs that ended more than
    ``file_days()`` days ago, through ``core.files``; each job row stays, marked
    ``files_expired_at``. One transaction per job, so a failure leaves the others done.
    Answers the counts (no personal data)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=file_days())
    due = (
        MemberJob.objects.filter(
            state__in=FINISHED_JOB_STATES, finished_at__lt=cutoff, files_expired_at__isnull=True
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
            for stored in removed:
                files.file_delete(
                    actor=None, stored=stored, note=f"后台任务{job.pk}的文件超过保留期限"
                )
            MemberJob.objects.filter(pk=job.pk).update(
                source=None, result=None, files_expired_at=now
            )
            jobs_done += 1
            files_removed += len(removed)
    return {"jobs": jobs_done, "files": files_removed, "days": file_days()}


def file_expired_message(job: MemberJob) -> str:
    when = timezone.localtime(job.files_expired_at).strftime("%Y-%m-%d")
    again = "，如需名册请重新导出" if job.kind == JobKind.EXPORT else ""
    return f"文件已超过保留期限（{file_days()}天），已于{when}清理{again}"


# --- reading --------------------------------------------------------------------------------------


def job_list(user, *, kind: str | None = None):
    """The user's own jobs, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return MemberJob.objects.none()
    qs = MemberJob.objects.filter(actor_id=user.pk).select_related("result", "source")
    if kind:
        if kind not in JobKind.values:
            raise ValidationError({"kind": ["取值不在允许范围内"]})
        qs = qs.filter(kind=kind)
    return qs


def job_get(user, pk: int, kind: str | None = None) -> MemberJob:
    """One of the user's own jobs; anyone else's is 404."""
    job = job_list(user).filter(pk=pk).first()
    if job is None or (kind and job.kind != kind):
        raise Http404("未找到")
    return job


def stage_label(job: MemberJob) -> str:
    if is_stale(job):
        return STALE_LABEL
    if job.cancelling:
        return CANCELLING_LABEL
    return STAGE_LABELS.get(job.stage, job.stage or "")
