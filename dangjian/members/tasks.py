"""Background work of the member registry, run by ``dangjian worker`` (django-tasks).

``run_member_job`` runs one large import or export (``members.jobs``). Its only argument is the
job's id: the file and the filters are on the job row, so no personal data sits in the task
queue.
"""

from __future__ import annotations

from django_tasks import task

from dangjian.members import jobs


@task()
def run_member_job(job_id: int) -> dict:
    return jobs.run_job(job_id)
