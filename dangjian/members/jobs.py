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
``members.tasks.job_files_sweep_task``, or ``manage.py members_job_files_sweep``; both in
``job_runs``); the job row
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

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import audit, files, scope
from dangjian.core.errors import Conflict
from dangjian.members import excel, services
from dangjian.members.job_runs import (
    CANCELLING_LABEL,
    STAGE_LABELS,
    STALE_LABEL,
    _cancel_detail,
    background_bytes,
    background_max_rows,
    background_rows,
    is_stale,
)
from dangjian.members.models import FINISHED_JOB_STATES, JobKind, JobState, MemberJob
from dangjian.members.services.fields import _actor_name


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


def job_list(user, *, kind: str | None = None):
    """The user's own jobs, newest first."""
    qs = MemberJob.objects.visible_to(user, scope.PERSONAL).select_related("result", "source")
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
