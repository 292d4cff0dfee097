"""The registry's Excel import and export under /api/v1/members/, and their background jobs."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from ninja import File, Form, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile

from dangjian.core.api import ERRORS, ErrorOut, Schema, paginate
from dangjian.core.api import iso as _iso
from dangjian.core.downloads import attachment
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.members import excel, job_runs, jobs, services
from dangjian.members.api.schemas import ExportParams, Labelled, MemberFilters
from dangjian.members.models import (
    JobKind,
    MemberJob,
)

router = Router(tags=["党员"])
EXPORT_BY_POST = "导出请用POST请求发起（请求体为筛选条件），GET请求不会导出"

# --- Excel ---------------------------------------------------------------------------------------


class ImportColumnOut(Schema):
    key: str
    header: str
    required: bool
    aliases: list[str]
    help: str
    options: list[str]


class ImportInfoOut(Schema):
    columns: list[ImportColumnOut]
    modes: list[Labelled]
    max_rows: int
    background_rows: int
    background_bytes: int


class ImportErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportReportOut(Schema):
    created: int
    total: int
    bad_rows: int
    mode: str
    detail: str
    errors: list[ImportErrorOut]
    ignored_columns: list[str]
    created_ids: list[int]


@router.get("/import", response={200: ImportInfoOut, **ERRORS})
def import_info(request):
    """The columns an import understands, with their aliases: what a client needs to match
    the columns of a user's file (send the matching as ``columns`` with the upload)."""
    return {
        "columns": [
            {
                "key": c.key,
                "header": c.header,
                "required": c.required,
                "aliases": list(c.aliases),
                "help": c.help,
                "options": c.options(),
            }
            for c in excel.COLUMNS
        ],
        "modes": [
            {"code": "all_or_nothing", "label": "全部成功才导入"},
            {"code": "skip_bad", "label": "跳过错误行"},
        ],
        # ``POST /import`` takes up to ``max_rows`` in the request; ``POST /imports/`` runs in
        # the background, and the console sends files over these thresholds there.
        "max_rows": excel.MAX_IMPORT_ROWS,
        "background_rows": job_runs.background_rows(),
        "background_bytes": job_runs.background_bytes(),
    }


@router.get("/import/template", response={200: None, **ERRORS})
def import_template(request):
    return attachment(excel.template_bytes(), "党员导入模板.xlsx")


@router.post("/import", response={200: ImportReportOut, **ERRORS})
def import_members(
    request,
    file: File[UploadedFile] = None,
    mode: Form[str] = "all_or_nothing",
    columns: Form[str] = "",
):
    """Upload an .xlsx (multipart ``file``); ``mode``: ``all_or_nothing`` or ``skip_bad``;
    ``columns``: optional JSON object mapping the file's column names to ours."""
    mapping = {}
    if columns.strip():
        try:
            mapping = json.loads(columns)
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise ValidationError(
                {"columns": ['列对应关系应为JSON对象，如{"公民身份号码": "身份证号"}']}
            )
    if file is None:
        raise ValidationError({"file": ["请上传Excel文件（.xlsx）"]})
    if file.size > excel.MAX_IMPORT_BYTES:
        raise ValidationError({"file": ["文件不能超过10MB，请拆分后分批导入"]})
    return services.members_import(
        actor=request.auth, content=file.read(), mode=mode, columns=mapping
    )


@router.post("/export", response={200: None, **ERRORS})
def export_members(request, data: ExportParams):
    """The filtered list as .xlsx (a JSON body with the list's filters); masked unless
    ``reveal`` is true and the user may reveal; audited; the exporter's name in the file.
    Started by POST only, so a cross-site ``<img>`` or link cannot start one."""
    args = data.dict()
    reveal_all = args.pop("reveal")
    content, _count = services.members_export(
        actor=request.auth, filters=MemberFilters(**args).selector_args(), reveal=reveal_all
    )
    return attachment(content, "党员名册.xlsx", stamp=True)


@router.get("/export", response={405: ErrorOut}, include_in_schema=False)
def export_members_by_get(request):
    raise HttpError(405, EXPORT_BY_POST)


# --- background imports and exports ---------------------------------------------------------------


class JobOut(Schema):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    stage: str
    stage_label: str
    rows_done: int
    rows_total: int
    percent: int
    finished: bool
    detail: str
    mode: str
    reveal: bool
    report: dict
    file_name: str | None
    file_url: str | None
    created_at: str
    started_at: str | None
    heartbeat_at: str | None
    stale: bool
    finished_at: str | None
    can_cancel: bool
    cancel_requested: bool
    cancelled_by_name: str | None
    cancelled_at: str | None
    file_expired: bool
    # A revealed export's workbook: downloaded once, within minutes of the end.
    file_once: bool
    files_expired_at: str | None


class ExportJobIn(MemberFilters):
    reveal: bool = False


def job_out(job: MemberJob) -> dict:
    url = None
    if job.result_id or (job.kind == JobKind.EXPORT and job.files_expired_at is not None):
        # An expired workbook keeps its address: the download answers 410 with the reason.
        url = f"/api/v1/members/{job.kind}s/{job.pk}/file"
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": job.get_kind_display(),
        "state": job.state,
        "state_label": job.get_state_display(),
        "stage": job.stage,
        "stage_label": jobs.stage_label(job),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "finished": job.finished,
        "detail": job.detail,
        "mode": job.mode,
        "reveal": job.reveal,
        "report": job.report or {},
        "file_name": job.result.name if job.result_id else None,
        "file_url": url,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "heartbeat_at": _iso(job.heartbeat_at),
        "stale": job_runs.is_stale(job),
        "finished_at": _iso(job.finished_at),
        "can_cancel": jobs.can_cancel(job),
        "cancel_requested": job.cancel_requested_at is not None,
        "cancelled_by_name": job.cancelled_by_name or None,
        "cancelled_at": _iso(job.cancelled_at),
        "file_expired": job.files_expired_at is not None,
        "file_once": job.kind == JobKind.EXPORT and job.reveal,
        "files_expired_at": _iso(job.files_expired_at),
    }


def _cancel(request, job_id: int, kind: str) -> dict:
    job = jobs.job_get(request.auth, _pk(job_id), kind)
    return job_out(jobs.job_cancel(actor=request.auth, job=job))


@router.post("/imports/", response={200: JobOut, **ERRORS})
def start_import(
    request,
    file: File[UploadedFile] = None,
    mode: Form[str] = "all_or_nothing",
    columns: Form[str] = "",
):
    """Import in the background, whatever the size: the file is stored, the job queued;
    answers the job (poll ``GET /imports/{id}`` for its progress and its report)."""
    job = jobs.import_job_start(actor=request.auth, upload=file, mode=mode, columns=columns)
    return job_out(jobs.job_get(request.auth, job.pk))


@router.get("/imports/", response={200: page_schema(JobOut), **ERRORS})
def list_imports(request):
    return paginate(request, jobs.job_list(request.auth, kind=JobKind.IMPORT), job_out)


@router.get("/imports/{int:job_id}", response={200: JobOut, **ERRORS})
def import_job(request, job_id: int):
    return job_out(jobs.job_get(request.auth, _pk(job_id), JobKind.IMPORT))


@router.post("/imports/{int:job_id}/cancel", response={200: JobOut, **ERRORS})
def cancel_import(request, job_id: int):
    """Cancel a queued or running import: a queued one at once (``state`` "cancelled"); a
    running one stops at its next batch (``cancel_requested``, then "cancelled") with nothing
    imported. An ended job: 409."""
    return _cancel(request, job_id, JobKind.IMPORT)


@router.post("/exports/", response={200: JobOut, **ERRORS})
def start_export(request, data: ExportJobIn):
    """Export in the background (same filters as the list, ``reveal`` as the export);
    answers the job; the workbook is at ``file_url`` once it is done."""
    args = data.dict()
    reveal_all = args.pop("reveal")
    job = jobs.export_job_start(
        actor=request.auth, filters=MemberFilters(**args).selector_args(), reveal=reveal_all
    )
    return job_out(jobs.job_get(request.auth, job.pk))


@router.get("/exports/", response={200: page_schema(JobOut), **ERRORS})
def list_exports(request):
    return paginate(request, jobs.job_list(request.auth, kind=JobKind.EXPORT), job_out)


@router.get("/exports/{int:job_id}", response={200: JobOut, **ERRORS})
def export_job(request, job_id: int):
    return job_out(jobs.job_get(request.auth, _pk(job_id), JobKind.EXPORT))


@router.post("/exports/{int:job_id}/cancel", response={200: JobOut, **ERRORS})
def cancel_export(request, job_id: int):
    """Cancel a queued or running export (as an import's cancel); an ended job: 409."""
    return _cancel(request, job_id, JobKind.EXPORT)


@router.get("/exports/{int:job_id}/file", response={200: None, 410: ErrorOut, **ERRORS})
def export_job_file(request, job_id: int):
    """The workbook; 410 once the retention sweep has removed it. A revealed export's
    workbook (whole numbers) is handed over once, within ``MEMBERS_REVEALED_FILE_MINUTES``
    (30) of the job's end: a second fetch answers 410."""
    job = jobs.job_get(request.auth, _pk(job_id), JobKind.EXPORT)
    try:
        content, name = job_runs.export_file_take(actor=request.auth, job=job)
    except job_runs.FileGone as exc:
        raise HttpError(410, exc.message) from None
    return attachment(content, name)
