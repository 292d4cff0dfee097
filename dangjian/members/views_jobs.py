"""Console pages of the background imports and exports (``members.jobs``): the user's jobs,
one job's page with its progress (refreshed by htmx every 2 seconds until the job ends), its
report of bad rows and the download of the workbook. A job is its creator's own (404 for
anyone else)."""

from __future__ import annotations

from django.http import Http404
from django.views.decorators.http import require_GET

from dangjian.console.decorators import console_view
from dangjian.console.paging import paginate
from dangjian.core import files
from dangjian.members import jobs
from dangjian.members.views import PAGE_SIZE, REPORT_ERRORS_SHOWN, _pk, _render

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
    }


@console_view
@require_GET
def job_list(request):
    page = paginate(request, jobs.job_list(request.user), PAGE_SIZE)
    for job in page.object_list:
        job.stage_text = jobs.stage_label(job)
    return _render(request, "members/jobs.html", {"page": page})


@console_view
@require_GET
def job_detail(request, job_id: int):
    job = jobs.job_get(request.user, _pk(job_id))
    return _render(request, "members/job.html", _job_context(job))


@console_view
@require_GET
def job_progress(request, job_id: int):
    """The progress block alone, for the page's htmx poll."""
    job = jobs.job_get(request.user, _pk(job_id))
    return _render(request, "members/_job_progress.html", _job_context(job))


@console_view
@require_GET
def job_file(request, job_id: int):
    job = jobs.job_get(request.user, _pk(job_id))
    if not job.result_id:
        raise Http404("文件尚未生成")
    response = files.file_response(job.result, as_attachment=True)
    response["Cache-Control"] = "no-store"
    return response
