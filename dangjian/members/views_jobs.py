"""Console pages of the background imports and exports (``members.jobs``): the user's jobs,
one job's page with its progress (refreshed by htmx every 2 seconds until the job ends), its
report of bad rows, the download of the workbook and the cancel button. A job is its
creator's own (404 for anyone else)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.downloads import attachment
from dangjian.core.errors import Conflict
from dangjian.core.scope import scoped_object
from dangjian.members import job_runs, jobs, tables
from dangjian.members.views import PAGE_SIZE, REPORT_ERRORS_SHOWN, _render
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

POLL_SECONDS = 2


def _job_context(job) -> dict:
    errors = (job.report or {}).get("errors") or []
    return {
        "job": job,
        "stage_label": jobs.stage_label(job),
        "errors_shown": errors[:REPORT_ERRORS_SHOWN],
        "errors_cut": len(errors) > REPORT_ERRORS_SHOWN,
        "errors_count": len(errors),
        "limit": REPORT_ERRORS_SHOWN,
        "poll_seconds": POLL_SECONDS,
        "revealed_minutes": job_runs.revealed_file_minutes(),
        "can_cancel": jobs.can_cancel(job),
        "file_expired": (
            job_runs.file_expired_message(job) if job.files_expired_at is not None else ""
        ),
    }


def _with_stage(rows):
    for job in rows:
        job.stage_text = jobs.stage_label(job)
    return rows


@console_view
@L.exportable
def job_list(request):
    """The user's own jobs (sortable; the export form's POST writes them)."""
    listed = L.listing_of(request, tables.JOBS)
    qs = listed.order(jobs.job_list(request.user))
    if listed.exporting:
        return listed.export(qs, prepare=_with_stage)
    page = paginate(request, qs, PAGE_SIZE)
    _with_stage(page.object_list)
    return _render(
        request,
        "members/jobs.html",
        {"page": page, "file_days": job_runs.file_days(), "listing": listed},
    )


@console_view
@require_GET
@scoped_object("job_id", jobs.job_get)
def job_detail(request, job):
    return _render(request, "members/job.html", _job_context(job))


@console_view
@require_GET
@scoped_object("job_id", jobs.job_get)
def job_progress(request, job):
    """The progress block alone, for the page's htmx poll."""
    return _render(request, "members/_job_progress.html", _job_context(job))


@console_view
@require_POST
@scoped_object("job_id", jobs.job_get)
def job_cancel(request, job):
    try:
        job = jobs.job_cancel(actor=request.user, job=job)
    except Conflict as exc:
        messages.error(request, f"未能取消：{exc.message}")
    else:
        if job.finished:
            messages.success(request, "任务已取消")
        else:
            what = "不会导入任何数据" if job.kind == "import" else "不会生成名册文件"
            messages.success(request, f"已请求取消：任务将在当前批次处理完后停止，{what}")
    return redirect("console:members:job", job.pk)


@console_view
@require_http_methods(["GET", "POST"])
@scoped_object("job_id", jobs.job_get)
def job_file(request, job):
    """The workbook. A revealed export's is handed over once (by the page's POST form, so no
    link or prefetch uses it up) and removed: a GET of it answers 405."""
    if job.reveal and request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if job.kind != "export":  # an import's upload is not handed back
        raise Http404("未找到")
    try:
        content, name = job_runs.export_file_take(actor=request.user, job=job)
    except job_runs.FileGone as exc:
        messages.error(request, exc.message)
        return redirect("console:members:job", job.pk)
    return attachment(content, name)
