"""Large imports and exports as background jobs (``MemberJob``), run by the worker.

Above a threshold (settings ``DANGJIAN["MEMBERS_BACKGROUND_ROWS"]``, default 2,000 rows, and
``DANGJIAN["MEMBERS_BACKGROUND_BYTES"]``, default 1 MB) the console's import and export run
as django-tasks tasks (``members.tasks``); the API's ``/members/imports/`` and
``/members/exports/`` always do. The uploaded file is stored first (``core.files``) and the
export's filters are kept encrypted on the job, so the task's arguments carry only the job's
id. The job row holds the progress (rows done of the total, and the stage), the report of bad
rows and the result file. A job is its creator's own: nobody else reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, files, scope
from dangjian.members import excel, services
from dangjian.members.models import JobKind, JobState, MemberJob

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
}


def background_rows() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def background_bytes() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_BYTES", DEFAULT_BACKGROUND_BYTES))


def background_max_rows() -> int:
    return int(settings.DANGJIAN.get("MEMBERS_BACKGROUND_MAX_ROWS", DEFAULT_BACKGROUND_MAX_ROWS))


def import_is_large(content: bytes) -> bool:
    """Whether an import file should run in the background: over the size threshold, or more
    data rows than the row threshold (the sheet's dimensions, its cells unread)."""
    if len(content) > background_bytes():
        return True
    return excel.sheet_height(content) - 1 > background_rows()


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
    with transaction.atomic():
        stored = files.file_store(actor=actor, upload=upload, kinds=("xlsx",), field="file")
        job = MemberJob.objects.create(
            kind=JobKind.IMPORT,
            actor=actor,
            source=stored,
            mode=mode,
            columns=mapping,
            stage="queued",
            rows_total=max(0, excel.sheet_height(files.file_read(stored)) - 1),
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
            after={"rows": total, "reveal": reveal},
            note="后台导出党员名册",
        )
    return _enqueue(job)


# --- running (in the worker) ----------------------------------------------------------------------


def _update(job_id: int, **fields) -> None:
    MemberJob.objects.filter(pk=job_id).update(**fields)


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


def run_job(job_id: int) -> dict:
    """Run one queued job to its end; answers a small summary (no personal data)."""
    job = MemberJob.objects.select_related("actor", "source").filter(pk=job_id).first()
    if job is None or job.state != JobState.QUEUED:
        return {"job": job_id, "skipped": True}
    _update(job.pk, state=JobState.RUNNING, stage="read", started_at=timezone.now())
    actor = job.actor
    try:
        if not actor.is_active:
            raise PermissionDenied("发起人的账号已停用")
        if job.kind == JobKind.IMPORT:
            _run_import(job, actor)
        else:
            _run_export(job, actor)
    except ValidationError as exc:
        detail, errors = _messages(exc)
        _fail(job, detail, {"errors": errors})
    except (PermissionDenied, scope.Forbidden, Http404) as exc:
        _fail(job, str(exc) or "您已没有执行此操作的权限")
    except Exception:
        logger.exception("member job %s failed", job.pk)
        _fail(job, "后台处理时发生系统错误，请稍后重试或联系管理员")
    job.refresh_from_db()
    return {"job": job.pk, "state": job.state, "rows": job.rows_done}


def _run_import(job: MemberJob, actor) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        _update(job.pk, stage=stage, rows_done=done, rows_total=total)

    report = services.members_import(
        actor=actor,
        content=files.file_read(job.source),
        mode=job.mode,
        columns=job.columns,
        max_rows=background_max_rows(),
        progress=progress,
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


def _run_export(job: MemberJob, actor) -> None:
    filters = json.loads(job.filters or "{}")

    def progress(done: int) -> None:
        _update(job.pk, stage="export", rows_done=done)

    content, count = services.members_export(
        actor=actor, filters=filters, reveal=job.reveal, progress=progress
    )
    _update(job.pk, stage="store", rows_done=count, rows_total=count)
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
    return STAGE_LABELS.get(job.stage, job.stage or "")
