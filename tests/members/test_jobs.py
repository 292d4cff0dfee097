"""Large imports and exports as background jobs: the threshold, the job row with its progress
and report, the stored files, the task's arguments (ids only), the API and the console page."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from python_calamine import CalamineWorkbook

from dangjian.core import crypto
from dangjian.core.models import AuditEntry
from dangjian.members import excel, job_runs, jobs, services
from dangjian.members.models import JobState, Member, MemberJob
from tests.members.helpers import bad_check, id_no, member, upload, xlsx
from tests.members.test_excel import HEADER, row

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def small_threshold(settings):
    """Background above 2 rows (and tasks run at once unless a test says otherwise)."""
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_ROWS": 2}
    settings.TASKS = IMMEDIATE
    return settings


def sheet(content: bytes) -> list[list]:
    return (
        CalamineWorkbook.from_filelike(io.BytesIO(content))
        .get_sheet_by_index(0)
        .to_python(skip_empty_area=False)
    )


def three_rows(bad: bool = False) -> bytes:
    third = row("丙", 3)
    if bad:
        third = row("丙", 3, 身份证号=bad_check(id_no("19800101", 3)))
    return xlsx([HEADER, row("甲", 1), row("乙", 2), third])


def test_the_threshold_counts_rows_and_bytes(settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_ROWS": 2}
    assert not jobs.import_is_large(xlsx([HEADER, row("甲", 1), row("乙", 2)]))
    assert jobs.import_is_large(three_rows())
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_BYTES": 100}
    assert jobs.import_is_large(xlsx([HEADER, row("甲", 1)]))
    assert not jobs.export_is_large(2) and jobs.export_is_large(3)


def test_api_import_is_queued_with_ids_only_then_run_by_the_worker(world, api, settings):
    settings.TASKS = DATABASE
    u = world.users["street"]
    r = upload(api, u, "/api/v1/members/imports/", three_rows(), mode="all_or_nothing")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["state_label"], body["rows_total"], body["percent"]) == (
        "queued",
        "排队中",
        3,
        0,
    )
    assert body["finished"] is False and body["stage_label"] == "等待后台处理"
    job = MemberJob.objects.get(pk=body["id"])
    # The file was stored first; the task carries the job's id and nothing else.
    assert job.source is not None and job.source.content_type.endswith("spreadsheetml.sheet")
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.args_kwargs == {"args": [job.pk], "kwargs": {}}
    assert id_no("19800101", 1) not in json.dumps(task.args_kwargs)
    assert Member.objects.count() == 0
    # The worker runs it; the progress moves through the stages.
    seen = []
    real = job_runs._update

    def spy(job_id, **fields):
        seen.append((fields.get("stage"), fields.get("rows_done")))
        real(job_id, **fields)

    job_runs._update = spy
    try:
        from dangjian.members.tasks import run_member_job

        assert run_member_job.call(job.pk)["state"] == "done"
    finally:
        job_runs._update = real
    stages = [s for s, _ in seen if s]
    assert stages[:3] == ["read", "check", "write"] and stages[-1] == "done", seen
    body = api.get(u, f"/api/v1/members/imports/{job.pk}").json()
    assert (body["state"], body["percent"], body["rows_done"]) == ("done", 100, 3)
    assert body["report"]["created"] == 3 and body["report"]["errors"] == []
    assert Member.objects.count() == 3
    assert AuditEntry.objects.filter(action="member.create").count() == 3
    assert AuditEntry.objects.filter(action="members.import_job").count() == 1
    # A second run of the same job does nothing.
    assert job_runs.run_job(job.pk)["skipped"] is True
    assert Member.objects.count() == 3


def test_bad_rows_are_reported_on_the_job(world, api, small_threshold):
    u = world.users["street"]
    r = upload(api, u, "/api/v1/members/imports/", three_rows(bad=True), mode="all_or_nothing")
    body = r.json()
    assert body["state"] == "done" and body["report"]["created"] == 0
    assert (
        body["report"]["errors"]
        == [{"row": 4, "column": "身份证号", "message": "身份证号码校验位错误"}]
        or body["report"]["errors"][0]["row"] == 4
    ), body
    assert "未导入任何数据" in body["detail"]
    assert Member.objects.count() == 0
    body = upload(api, u, "/api/v1/members/imports/", three_rows(bad=True), mode="skip_bad").json()
    assert body["report"]["created"] == 2 and body["report"]["bad_rows"] == 1
    assert Member.objects.count() == 2


def test_a_broken_file_fails_the_job_with_the_reason(world, api, small_threshold):
    u = world.users["street"]
    content = xlsx([["姓名", "民族"], ["甲", "汉族"], ["乙", "汉族"], ["丙", "汉族"]])
    body = upload(api, u, "/api/v1/members/imports/", content).json()
    assert body["state"] == "failed" and body["state_label"] == "失败"
    assert "缺少必填列" in body["detail"]
    assert body["report"]["errors"][0]["column"] == "文件"
    # Not a workbook at all: refused before any job, naming the field.
    r = upload(api, u, "/api/v1/members/imports/", b"%PDF-1.4 not a sheet", name="x.xlsx")
    assert r.status_code == 422 and "文件类型不符" in r.json()["errors"]["file"][0]
    r = upload(api, u, "/api/v1/members/imports/", three_rows(), mode="all")
    assert r.status_code == 422 and "mode" in r.json()["errors"]
    r = upload(api, u, "/api/v1/members/imports/", three_rows(), columns="[1]")
    assert r.status_code == 422 and "columns" in r.json()["errors"]
    assert MemberJob.objects.count() == 1


def test_the_background_path_has_no_request_row_limit(world, api, small_threshold, monkeypatch):
    monkeypatch.setattr(excel, "MAX_IMPORT_ROWS", 2)
    u = world.users["street"]
    info = api.get(u, "/api/v1/members/import").json()
    assert (info["max_rows"], info["background_rows"]) == (2, 2)
    assert info["background_bytes"] == job_runs.DEFAULT_BACKGROUND_BYTES
    r = upload(api, u, "/api/v1/members/import", three_rows())
    assert r.status_code == 422 and "一次最多导入2行" in r.json()["errors"]["file"][0]
    body = upload(api, u, "/api/v1/members/imports/", three_rows()).json()
    assert body["state"] == "done" and body["report"]["created"] == 3


def test_import_jobs_need_the_right(world, api, small_threshold):
    r = upload(api, world.users["member"], "/api/v1/members/imports/", three_rows())
    assert r.status_code == 403
    assert upload(api, None, "/api/v1/members/imports/", three_rows()).status_code == 401
    assert MemberJob.objects.count() == 0


def test_export_job_writes_a_workbook_opened_back(world, api, small_threshold):
    u = world.users["street"]
    people = [
        member(u, world.orgs["grid_branch"], name=n, id_number=id_no("19800101", i))
        for i, n in enumerate(("出口甲", "出口乙", "出口丙"), start=1)
    ]
    r = api.post(u, "/api/v1/members/exports/", {})
    body = r.json()
    assert r.status_code == 200 and body["state"] == "done", body
    assert (body["rows_total"], body["rows_done"], body["report"]) == (3, 3, {"count": 3})
    assert body["file_url"] == f"/api/v1/members/exports/{body['id']}/file"
    f = api.get(u, body["file_url"])
    assert f.status_code == 200 and "attachment" in f["Content-Disposition"]
    rows = sheet(f.content)
    names = sorted(x[0] for x in rows[1:] if x[0] and not str(x[0]).startswith("导出人"))
    assert names == ["出口丙", "出口乙", "出口甲"]
    assert people[0].id_number not in str(rows)  # masked
    assert crypto.mask("id_number", people[0].id_number) in str(rows)
    assert rows[-1][0].startswith("导出人：t-street")
    assert AuditEntry.objects.filter(action="members.export").latest("id").after["count"] == 3


def test_export_filters_are_kept_encrypted(world, api, settings):
    settings.TASKS = DATABASE
    u = world.users["street"]
    number = id_no("19800101", 7)
    member(u, world.orgs["grid_branch"], name="出口丁", id_number=number)
    body = api.post(u, "/api/v1/members/exports/", {"q": number}).json()
    assert body["state"] == "queued" and body["rows_total"] == 1
    with connection.cursor() as cur:
        cur.execute("SELECT filters FROM members_memberjob WHERE id = %s", [body["id"]])
        raw = cur.fetchone()[0]
    assert number not in raw and raw
    task = DBTaskResult.objects.get(pk=MemberJob.objects.get(pk=body["id"]).task_id)
    assert number not in json.dumps(task.args_kwargs)
    job_runs.run_job(body["id"])
    body = api.get(u, f"/api/v1/members/exports/{body['id']}").json()
    assert body["state"] == "done" and body["report"] == {"count": 1}
    # Bad filters and a reveal without the right are refused at once.
    r = api.post(u, "/api/v1/members/exports/", {"status": "nope"})
    assert r.status_code == 422
    r = api.post(world.users["member"], "/api/v1/members/exports/", {"reveal": True})
    assert r.status_code == 403


def test_jobs_are_their_creators_own(world, api, small_threshold):
    from django.test import Client

    client = Client()
    u = world.users["street"]
    member(u, world.orgs["grid_branch"], name="出口甲")
    imp = upload(api, u, "/api/v1/members/imports/", three_rows()).json()
    exp = api.post(u, "/api/v1/members/exports/", {}).json()
    other = world.users["county"]
    assert api.get(other, f"/api/v1/members/imports/{imp['id']}").status_code == 404
    assert api.get(other, f"/api/v1/members/exports/{exp['id']}").status_code == 404
    assert api.get(other, f"/api/v1/members/exports/{exp['id']}/file").status_code == 404
    assert api.get(u, f"/api/v1/members/exports/{imp['id']}").status_code == 404  # kind
    assert api.get(other, "/api/v1/members/imports/").json()["count"] == 0
    assert api.get(u, "/api/v1/members/imports/").json()["count"] == 1
    client.force_login(other)
    for path in ("", "progress/", "file/"):
        assert client.get(f"/members/jobs/{exp['id']}/{path}").status_code == 404


def _count(api, user, path):
    api.get(user, path)
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(user, path, page_size=50)
    assert r.status_code == 200
    return len(ctx.captured_queries), r.json()["count"]


def test_job_lists_do_not_grow_with_rows(world, api, small_threshold):
    from django.test import Client

    client = Client()  # the console's session apart from the API client's tokens
    u = world.users["street"]
    member(u, world.orgs["grid_branch"], name="出口甲")
    api.post(u, "/api/v1/members/exports/", {})
    upload(api, u, "/api/v1/members/imports/", three_rows())
    few_e, _ = _count(api, u, "/api/v1/members/exports/")
    few_i, _ = _count(api, u, "/api/v1/members/imports/")
    client.force_login(u)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/members/jobs/").status_code == 200
    few_c = len(ctx.captured_queries)
    for _ in range(4):
        api.post(u, "/api/v1/members/exports/", {})
    for i in range(4):
        upload(api, u, "/api/v1/members/imports/", xlsx([HEADER, row("丁", 10 + i)]))
    many_e, n_e = _count(api, u, "/api/v1/members/exports/")
    many_i, n_i = _count(api, u, "/api/v1/members/imports/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/members/jobs/").status_code == 200
    assert (n_e, n_i) == (5, 5)
    assert (few_e, few_i) == (many_e, many_i) and few_e <= 6, (few_e, many_e)
    assert len(ctx.captured_queries) == few_c, (few_c, len(ctx.captured_queries))


def test_console_import_over_the_threshold_goes_to_the_job_page(world, client, small_threshold):
    u = world.users["street"]
    client.force_login(u)
    r = client.post(
        "/members/import/",
        {"file": SimpleUploadedFile("m.xlsx", three_rows(bad=True)), "mode": "skip_bad"},
    )
    job = MemberJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/members/jobs/{job.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert "已完成" in page and 'id="import-errors"' in page and "第4行" in page
    assert 'hx-trigger="every' not in page  # finished: no more polling
    assert Member.objects.count() == 2
    # Small files still import in the request.
    r = client.post(
        "/members/import/",
        {"file": SimpleUploadedFile("m.xlsx", xlsx([HEADER, row("戊", 20)])), "mode": "skip_bad"},
    )
    assert r.status_code == 200 and MemberJob.objects.count() == 1


def test_the_job_page_polls_while_the_job_runs(world, client, settings):
    settings.TASKS = DATABASE
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_ROWS": 2}
    u = world.users["street"]
    client.force_login(u)
    r = client.post(
        "/members/import/",
        {"file": SimpleUploadedFile("m.xlsx", three_rows()), "mode": "all_or_nothing"},
    )
    job = MemberJob.objects.get()
    assert job.state == JobState.QUEUED
    page = client.get(r["Location"]).content.decode()
    assert f'hx-get="/members/jobs/{job.pk}/progress/"' in page
    assert 'hx-trigger="every 2s"' in page and "排队中" in page
    job_runs.run_job(job.pk)
    part = client.get(f"/members/jobs/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in part and "3 / 3" in part and "已完成" in part


def test_console_export_over_the_threshold_offers_the_download(world, client, small_threshold):
    u = world.users["street"]
    for i in range(3):
        member(u, world.orgs["grid_branch"], name=f"出口{i}", id_number=id_no("19800101", i + 1))
    client.force_login(u)
    r = client.post("/members/export/")
    job = MemberJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/members/jobs/{job.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert 'id="job-download"' in page
    f = client.get(f"/members/jobs/{job.pk}/file/")
    rows = sheet(f.content)
    assert len([x for x in rows[1:] if x[0] and not str(x[0]).startswith("导出人")]) == 3
    # Two rows: still written in the request.
    r = client.post("/members/export/?q=出口1")
    assert r.status_code == 200 and r["Content-Type"].endswith("spreadsheetml.sheet")


def test_the_import_reports_progress_through_its_stages(world):
    u = world.users["street"]
    seen = []
    services.members_import(
        actor=u,
        content=three_rows(),
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert seen[0] == ("check", 0, 3) and seen[-1] == ("write", 3, 3)


def test_a_job_runs_with_the_rights_of_its_creator_at_run_time(world, api, settings):
    settings.TASKS = DATABASE
    u = world.users["street"]
    job_id = upload(api, u, "/api/v1/members/imports/", three_rows()).json()["id"]
    type(u).objects.filter(pk=u.pk).update(is_active=False)
    assert job_runs.run_job(job_id)["state"] == "failed"
    job = MemberJob.objects.get(pk=job_id)
    assert job.detail == "发起人的账号已停用" and job.finished_at is not None
    assert Member.objects.count() == 0
