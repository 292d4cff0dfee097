"""Cancelling background imports and exports (queued: at once; running: at the next batch,
nothing written) and the retention of their stored files (removed by the sweep, the job row
kept, the download answering 410)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dangjian.core import files
from dangjian.core.models import AuditEntry, StoredFile
from dangjian.members import excel, job_runs, jobs
from dangjian.members.models import JobState, Member, MemberJob
from dangjian.members.services import imports
from tests.members.helpers import id_no, member, upload, xlsx
from tests.members.test_excel import HEADER, row

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued(settings):
    """Jobs stay queued until a test runs them (as the worker would)."""
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_ROWS": 2}
    settings.TASKS = DATABASE
    return settings


def three_rows() -> bytes:
    return xlsx([HEADER, row("甲", 1), row("乙", 2), row("丙", 3)])


def console(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def cancel_when(monkeypatch, user, job_id: int, when) -> None:
    """Cancel the job, as another request would, the moment the worker records a progress
    update for which ``when(fields)`` holds."""
    real = job_runs._update
    fired = []

    def spy(pk, **fields):
        if not fired and when(fields):
            fired.append(True)
            jobs.job_cancel(actor=user, job=MemberJob(pk=job_id))
        real(pk, **fields)

    monkeypatch.setattr(job_runs, "_update", spy)


# --- cancelling -----------------------------------------------------------------------------------


def test_a_queued_import_is_cancelled_at_once_and_never_runs(world, api, queued):
    u = world.users["street"]
    body = upload(api, u, "/api/v1/members/imports/", three_rows()).json()
    assert body["state"] == "queued" and body["can_cancel"] is True
    r = api.post(u, f"/api/v1/members/imports/{body['id']}/cancel", {})
    assert r.status_code == 200, r.content
    got = r.json()
    assert (got["state"], got["state_label"], got["finished"]) == ("cancelled", "已取消", True)
    assert got["cancelled_by_name"] == "t-street" and got["cancelled_at"].endswith("+08:00")
    assert got["can_cancel"] is False and "已由t-street于" in got["detail"]
    assert "未导入任何数据" in got["detail"]
    entry = AuditEntry.objects.get(action="members.job_cancel")
    assert entry.actor_id == u.pk and entry.after["state"] == "cancelled"
    # The worker picks the task up later: it finds the job cancelled and does nothing.
    from dangjian.members.tasks import run_member_job

    assert run_member_job.call(body["id"])["skipped"] is True
    assert Member.objects.count() == 0
    assert MemberJob.objects.get(pk=body["id"]).state == JobState.CANCELLED
    # A second cancel, and a cancel of a finished job: 409 with the reason, nothing changed.
    r = api.post(u, f"/api/v1/members/imports/{body['id']}/cancel", {})
    assert r.status_code == 409 and r.json()["detail"] == "该任务已取消"
    done = upload(api, u, "/api/v1/members/imports/", three_rows()).json()
    job_runs.run_job(done["id"])
    r = api.post(u, f"/api/v1/members/imports/{done['id']}/cancel", {})
    assert r.status_code == 409 and r.json()["detail"] == "该任务已结束（已完成），不能取消"
    assert MemberJob.objects.get(pk=done["id"]).state == JobState.DONE
    # Someone else's job reads 404; the wrong kind too.
    other = world.users["county"]
    assert api.post(other, f"/api/v1/members/imports/{done['id']}/cancel", {}).status_code == 404
    assert api.post(u, f"/api/v1/members/exports/{done['id']}/cancel", {}).status_code == 404


def test_a_running_import_stops_between_check_batches(world, api, queued, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_PROGRESS_EVERY", 1)
    u = world.users["street"]
    job_id = upload(api, u, "/api/v1/members/imports/", three_rows()).json()["id"]
    # The cancel comes while the file is being checked: the job is running, so it is asked
    # to stop; the next batch's checkpoint stops it.
    cancel_when(monkeypatch, u, job_id, lambda f: f.get("stage") == "check")
    assert job_runs.run_job(job_id)["state"] == "cancelled"
    body = api.get(u, f"/api/v1/members/imports/{job_id}").json()
    assert (body["state"], body["state_label"], body["stage_label"]) == (
        "cancelled",
        "已取消",
        "已取消",
    )
    assert body["cancelled_by_name"] == "t-street" and body["cancel_requested"] is True
    assert body["rows_done"] < 3 and body["finished_at"]
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.filter(action__in=["members.import", "member.create"]).exists()


def test_a_cancel_inside_the_write_rolls_the_whole_import_back(world, api, queued, monkeypatch):
    """All or nothing: the write is one transaction; a stop between its insert batches (one
    row per batch here) leaves no member, category or audit row behind."""
    monkeypatch.setattr(imports, "IMPORT_BATCH", 1)
    u = world.users["street"]
    job_id = upload(api, u, "/api/v1/members/imports/", three_rows(), mode="all_or_nothing")
    job_id = job_id.json()["id"]
    written_when_checked = []
    real_checkpoint = job_runs._checkpoint

    def counting(pk):
        check = real_checkpoint(pk)

        def wrapped():
            written_when_checked.append(Member.objects.count())
            check()

        return wrapped

    monkeypatch.setattr(job_runs, "_checkpoint", counting)
    cancel_when(monkeypatch, u, job_id, lambda f: f.get("stage") == "write")
    assert job_runs.run_job(job_id)["state"] == "cancelled"
    assert max(written_when_checked) >= 1  # the stop came after rows had gone in ...
    assert Member.objects.count() == 0  # ... and took them all back out
    assert not AuditEntry.objects.filter(action__in=["members.import", "member.create"]).exists()
    job = MemberJob.objects.get(pk=job_id)
    assert job.state == JobState.CANCELLED and job.report == {}
    assert "未导入任何数据" in job.detail


def test_a_running_export_stops_without_a_file(world, api, queued, monkeypatch):
    monkeypatch.setattr(excel, "EXPORT_PROGRESS_EVERY", 1)
    u = world.users["street"]
    for i in range(3):
        member(u, world.orgs["grid_branch"], name=f"出口{i}", id_number=id_no("19800101", i + 1))
    job_id = api.post(u, "/api/v1/members/exports/", {}).json()["id"]
    files_before = StoredFile.objects.count()
    cancel_when(monkeypatch, u, job_id, lambda f: f.get("stage") == "export")
    assert job_runs.run_job(job_id)["state"] == "cancelled"
    body = api.get(u, f"/api/v1/members/exports/{job_id}").json()
    assert body["state"] == "cancelled" and body["file_url"] is None
    assert "未生成名册文件" in body["detail"]
    assert StoredFile.objects.count() == files_before
    assert not AuditEntry.objects.filter(action="members.export").exists()
    assert api.get(u, f"/api/v1/members/exports/{job_id}/file").status_code == 404


def test_a_cancel_after_the_last_batch_lets_the_job_finish(world, api, queued, monkeypatch):
    """The export was written (and audited) before the cancel came: it ends done, saying so."""
    u = world.users["street"]
    member(u, world.orgs["grid_branch"], name="出口甲")
    job_id = api.post(u, "/api/v1/members/exports/", {}).json()["id"]
    cancel_when(monkeypatch, u, job_id, lambda f: f.get("stage") == "store")
    assert job_runs.run_job(job_id)["state"] == "done"
    body = api.get(u, f"/api/v1/members/exports/{job_id}").json()
    assert body["cancel_requested"] is True and body["file_url"] and body["can_cancel"] is False
    assert "未能取消" in body["detail"]
    assert api.get(u, body["file_url"]).status_code == 200


def test_cancel_in_the_console(world, queued):
    u = world.users["street"]
    c = console(u)
    r = c.post("/members/import/", {"file": _upload(three_rows()), "mode": "all_or_nothing"})
    job = MemberJob.objects.get()
    page = c.get(r["Location"]).content.decode()
    assert 'id="job-cancel"' in page and f'action="/members/jobs/{job.pk}/cancel/"' in page
    assert c.get(f"/members/jobs/{job.pk}/cancel/").status_code == 405
    r = c.post(f"/members/jobs/{job.pk}/cancel/")
    assert r.status_code == 302 and r["Location"] == f"/members/jobs/{job.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert "任务已取消" in page and "已取消" in page and 'id="job-cancel"' not in page
    assert "取消人：t-street" in page and 'hx-trigger="every' not in page
    # Again: refused with the reason, not an error page.
    page = c.post(f"/members/jobs/{job.pk}/cancel/", follow=True).content.decode()
    assert "未能取消：该任务已取消" in page
    assert "已取消" in c.get("/members/jobs/").content.decode()
    # Someone else: 404, the job untouched.
    assert console(world.users["county"]).post(f"/members/jobs/{job.pk}/cancel/").status_code == 404


def test_a_running_job_shows_it_is_stopping(world, queued):
    u = world.users["street"]
    c = console(u)
    c.post("/members/import/", {"file": _upload(three_rows()), "mode": "all_or_nothing"})
    job = MemberJob.objects.get()
    MemberJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, stage="check")
    c.post(f"/members/jobs/{job.pk}/cancel/")
    part = c.get(f"/members/jobs/{job.pk}/progress/").content.decode()
    assert "正在取消" in part and "t-street于" in part and 'id="job-cancel"' not in part
    assert "hx-trigger" in part  # still polling until the task stops
    assert MemberJob.objects.get(pk=job.pk).state == JobState.RUNNING


def test_the_write_of_an_import_on_sqlite_is_not_waited_on(world, api, queued):
    """The embedded default's import write holds SQLite's one write lock: a cancel then is
    refused at once with the reason (PostgreSQL records it and the write stops)."""
    from django.db import connection

    u = world.users["street"]
    job_id = upload(api, u, "/api/v1/members/imports/", three_rows()).json()["id"]
    MemberJob.objects.filter(pk=job_id).update(state=JobState.RUNNING, stage="write")
    r = api.post(u, f"/api/v1/members/imports/{job_id}/cancel", {})
    if connection.vendor == "sqlite":
        assert r.status_code == 409 and "此阶段无法中断" in r.json()["detail"]
        assert MemberJob.objects.get(pk=job_id).cancel_requested_at is None
    else:
        assert r.status_code == 200 and r.json()["cancel_requested"] is True


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("m.xlsx", content)


# --- retention of the stored files ----------------------------------------------------------------


def _age(job_id: int, days: int) -> None:
    MemberJob.objects.filter(pk=job_id).update(
        finished_at=MemberJob.objects.get(pk=job_id).finished_at - dt.timedelta(days=days)
    )


def test_expired_files_are_removed_and_the_download_says_so(
    world, api, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_JOB_FILE_DAYS": 7}
    u = world.users["street"]
    member(u, world.orgs["grid_branch"], name="出口甲")
    exp = api.post(u, "/api/v1/members/exports/", {}).json()
    workbook = xlsx([HEADER, row("留存", 41)])
    imp = upload(api, u, "/api/v1/members/imports/", workbook).json()
    # A second import of the very same workbook, still young, shares the bytes on disk.
    young = upload(api, u, "/api/v1/members/imports/", workbook).json()
    assert exp["state"] == imp["state"] == "done"
    result = MemberJob.objects.get(pk=exp["id"]).result
    source = MemberJob.objects.get(pk=imp["id"]).source
    young_source = MemberJob.objects.get(pk=young["id"]).source
    assert source.sha256 == young_source.sha256
    _age(exp["id"], 6)
    _age(imp["id"], 8)
    with django_capture_on_commit_callbacks(execute=True):
        assert job_runs.job_files_sweep() == {"jobs": 1, "files": 1, "days": 7}
    # The import's upload: row gone, bytes kept (the young job still names them).
    assert not StoredFile.objects.filter(pk=source.pk).exists()
    assert files.path_of(young_source).exists() and files.file_read(young_source)
    _age(exp["id"], 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert job_runs.job_files_sweep()["jobs"] == 1
        assert job_runs.job_files_sweep()["jobs"] == 0  # once only
    assert not StoredFile.objects.filter(pk=result.pk).exists()
    assert not files.path_of(result).exists()  # nothing else had those bytes
    assert AuditEntry.objects.filter(action="file.delete").count() == 2
    # The job rows stay, saying what happened.
    body = api.get(u, f"/api/v1/members/exports/{exp['id']}").json()
    assert body["state"] == "done" and body["file_expired"] is True
    assert body["report"] == {"count": 1} and body["file_name"] is None
    r = api.get(u, body["file_url"])
    assert r.status_code == 410
    assert (
        r.json()["detail"].startswith("文件已超过保留期限（7天）")
        and "重新导出" in r.json()["detail"]
    )
    assert api.get(u, f"/api/v1/members/imports/{imp['id']}").json()["file_expired"] is True
    # The console: the page tells, the old download link lands there with the message.
    c = console(u)
    page = c.get(f"/members/jobs/{exp['id']}/").content.decode()
    assert 'id="job-file-expired"' in page and 'id="job-download"' not in page
    r = c.get(f"/members/jobs/{exp['id']}/file/", follow=True)
    assert r.status_code == 200 and "文件已超过保留期限" in r.content.decode()


def test_the_sweep_runs_from_the_command_and_the_worker(world, api, settings):
    settings.TASKS = IMMEDIATE
    u = world.users["street"]
    member(u, world.orgs["grid_branch"], name="出口甲")
    exp = api.post(u, "/api/v1/members/exports/", {}).json()
    _age(exp["id"], 30)
    out = io.StringIO()
    call_command("members_job_files_sweep", stdout=out)
    assert "清理后台任务1个，删除文件1个（保留期限7天）" in out.getvalue()
    assert MemberJob.objects.get(pk=exp["id"]).files_expired_at is not None
    # Queued for the worker, each run queueing the next one a day later.
    settings.TASKS = DATABASE
    call_command("members_job_files_sweep", "--enqueue", "--every", "1440", stdout=out)
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [], "kwargs": {"reschedule_minutes": 1440}}
    from dangjian.members.tasks import job_files_sweep_task

    assert job_files_sweep_task.call(reschedule_minutes=1440)["jobs"] == 0
    later = DBTaskResult.objects.exclude(pk=task.pk).get()
    assert later.run_after is not None


# --- a worker that died -------------------------------------------------------------------------


def _running(job_id: int, minutes_ago: int, stage: str = "check") -> None:
    """The job as a worker left it ``minutes_ago`` minutes ago, in ``stage``."""
    then = timezone.now() - dt.timedelta(minutes=minutes_ago)
    MemberJob.objects.filter(pk=job_id).update(
        state=JobState.RUNNING, stage=stage, started_at=then, heartbeat_at=then
    )


def test_a_job_whose_worker_died_is_ended_by_the_sweep(world, api, queued):
    u = world.users["street"]
    dead = upload(api, u, "/api/v1/members/imports/", three_rows()).json()["id"]
    alive = upload(api, u, "/api/v1/members/imports/", three_rows()).json()["id"]
    _running(dead, 31)
    _running(alive, 29)
    body = api.get(u, f"/api/v1/members/imports/{dead}").json()
    assert body["state"] == "running" and body["stage_label"] == job_runs.STALE_LABEL
    assert body["stale"] is True and body["can_cancel"] is True and body["heartbeat_at"]
    part = console(u).get(f"/members/jobs/{dead}/progress/").content.decode()
    assert job_runs.STALE_LABEL in part and 'id="job-cancel"' in part
    assert api.get(u, f"/api/v1/members/imports/{alive}").json()["stage_label"] == "检查数据"
    out = io.StringIO()
    call_command("members_job_files_sweep", stdout=out)
    assert "结束已中断的任务1个（超过30分钟没有进展）" in out.getvalue()
    body = api.get(u, f"/api/v1/members/imports/{dead}").json()
    assert (body["state"], body["finished"], body["can_cancel"]) == ("failed", True, False)
    assert body["detail"] == "后台处理进程已中断（超过30分钟没有进展），未导入任何数据，请重新导入"
    assert MemberJob.objects.get(pk=alive).state == JobState.RUNNING
    entry = AuditEntry.objects.get(action="members.job_interrupted")
    assert entry.actor_id is None and entry.object_id == str(dead)
    assert entry.before == {"state": "running", "stage": "check"}


def test_a_cancel_of_a_job_whose_worker_died_ends_it_at_once(world, api, queued):
    """Even in the write stage on SQLite: the dead worker holds no lock any more."""
    u = world.users["street"]
    job_id = upload(api, u, "/api/v1/members/imports/", three_rows()).json()["id"]
    _running(job_id, 45, stage="write")
    r = api.post(u, f"/api/v1/members/imports/{job_id}/cancel", {})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["finished"]) == ("cancelled", True)
    assert "未导入任何数据（后台处理进程已中断）" in body["detail"]
    assert AuditEntry.objects.get(action="members.job_cancel").after["state"] == "cancelled"


def test_a_cancel_asked_before_the_worker_died_is_ended_by_the_sweep(world, api, queued):
    u = world.users["street"]
    job_id = api.post(u, "/api/v1/members/exports/", {}).json()["id"]
    _running(job_id, 5, stage="export")
    assert api.post(u, f"/api/v1/members/exports/{job_id}/cancel", {}).json()["cancel_requested"]
    _running(job_id, 40, stage="export")  # and then nothing more from the worker
    assert job_runs.stale_jobs_sweep()["jobs"] == 1
    job = MemberJob.objects.get(pk=job_id)
    assert (job.state, job.stage) == (JobState.CANCELLED, "cancelled")
    assert job.detail.endswith("未生成名册文件（后台处理进程已中断）") and job.cancelled_at


def test_a_worker_alive_after_all_stops_at_its_next_checkpoint(world, api, queued, monkeypatch):
    """The sweep ended the job while its worker was only slow: the worker's next checkpoint
    finds the job ended, stops and writes nothing, and the job keeps the sweep's ending."""
    monkeypatch.setattr(imports, "IMPORT_PROGRESS_EVERY", 1)
    u = world.users["street"]
    job_id = upload(api, u, "/api/v1/members/imports/", three_rows()).json()["id"]
    real = job_runs._update

    def slow(pk, **fields):
        real(pk, **fields)
        if fields.get("stage") == "check" and fields.get("rows_done"):
            _running(pk, 60)
            assert job_runs.stale_jobs_sweep()["jobs"] == 1

    monkeypatch.setattr(job_runs, "_update", slow)
    assert job_runs.run_job(job_id) == {"job": job_id, "ended_elsewhere": True}
    job = MemberJob.objects.get(pk=job_id)
    assert job.state == JobState.FAILED and "后台处理进程已中断" in job.detail
    assert Member.objects.count() == 0


def test_a_running_job_beats(world, api, queued):
    u = world.users["street"]
    job_id = upload(api, u, "/api/v1/members/imports/", three_rows()).json()["id"]
    before = timezone.now()
    assert job_runs.run_job(job_id)["state"] == "done"
    job = MemberJob.objects.get(pk=job_id)
    assert job.heartbeat_at >= before and job.heartbeat_at >= job.started_at
