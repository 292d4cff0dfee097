"""A member import (request, background job, console upload) refuses a workbook over the
reading limits with 422 naming the limit, before calamine opens it and before anything is
stored or queued: the 1.6 KB file with cells A1 and XFD1048576 would otherwise make calamine
allocate the dense grid and abort the web process."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core import files
from dangjian.core.models import AuditEntry, StoredFile
from dangjian.members import jobs
from dangjian.members.models import JobKind, JobState, Member, MemberJob
from tests.members.helpers import upload, xlsx
from tests.members.test_excel import HEADER, row
from tests.xlsx_craft import calamine_forbidden, cells_xml, corner_bomb, workbook

pytestmark = pytest.mark.django_db

ROWS_20010 = "文件行数超过上限（20010行），请拆分后分批导入"
COLUMNS_100 = "文件列数超过上限（100列），请删除多余的列后重新上传"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def nothing_written(audits_before: int) -> None:
    assert Member.objects.count() == 0
    assert MemberJob.objects.count() == 0
    assert StoredFile.objects.count() == 0
    assert audits() == audits_before


def audits() -> int:
    """Audit rows other than the API test client's token."""
    return AuditEntry.objects.exclude(action="token.issue").count()


def test_request_import_refuses_the_bombs_with_the_limit(world, api, monkeypatch):
    u = world.users["street"]
    opened = calamine_forbidden(monkeypatch)
    audits_before = audits()
    # A small file: the console and the size check first ask whether it should go to the
    # background; both answers run through the guard (the background's row cap is 500000).
    r = upload(api, u, "/api/v1/members/import", corner_bomb())
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == [ROWS_20010]
    # The smaller variant: its 25000 rows pass the background's cap, not the request's.
    r = upload(api, u, "/api/v1/members/import", corner_bomb("OJ25000"))
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == [ROWS_20010]
    r = upload(api, u, "/api/v1/members/import", corner_bomb("OJ2000"))
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == [COLUMNS_100]
    assert opened == []
    nothing_written(audits_before)


def test_request_import_row_cap_on_both_sides(world, api, monkeypatch):
    from dangjian.members import excel

    monkeypatch.setattr(excel, "MAX_IMPORT_ROWS", 2)
    u = world.users["street"]
    # 2 + 10 rows (the header may stand in any of the first ten) is the most the file spans.
    r = upload(api, u, "/api/v1/members/import", workbook(cells_xml(["A1", "A12"])))
    assert r.status_code == 422 and "表头" in r.json()["detail"]  # read, then found headless
    opened = calamine_forbidden(monkeypatch)
    r = upload(api, u, "/api/v1/members/import", workbook(cells_xml(["A1", "A13"])))
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == ["文件行数超过上限（12行），请拆分后分批导入"]
    assert opened == [] and Member.objects.count() == 0


def test_background_import_refuses_the_bombs_before_storing(world, api, settings, monkeypatch):
    settings.TASKS = IMMEDIATE
    u = world.users["street"]
    opened = calamine_forbidden(monkeypatch)
    audits_before = audits()
    r = upload(api, u, "/api/v1/members/imports/", corner_bomb())
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == ["文件行数超过上限（500010行），请拆分后分批导入"]
    r = upload(api, u, "/api/v1/members/imports/", corner_bomb("OJ25000"))
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == [COLUMNS_100]
    assert opened == []
    nothing_written(audits_before)


def test_background_row_cap_on_both_sides(world, api, settings, monkeypatch):
    settings.TASKS = IMMEDIATE
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_MAX_ROWS": 3}
    u = world.users["street"]
    ok = xlsx([HEADER, row("甲", 1), row("乙", 2), row("丙", 3)])
    body = upload(api, u, "/api/v1/members/imports/", ok).json()
    assert (body["state"], body["rows_total"]) == ("done", 3)
    assert Member.objects.count() == 3
    opened = calamine_forbidden(monkeypatch)
    r = upload(api, u, "/api/v1/members/imports/", workbook(cells_xml(["A1", "A14"])))
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == ["文件行数超过上限（13行），请拆分后分批导入"]
    assert opened == [] and MemberJob.objects.count() == 1


def test_a_stored_bomb_fails_its_job_without_calamine(world, settings, monkeypatch):
    """A file stored before the guard (or by another path) is refused by the job's read."""
    settings.TASKS = IMMEDIATE
    u = world.users["street"]
    stored = files.file_store_bytes(
        actor=u, name="m.xlsx", content=corner_bomb(), kinds=("xlsx",), field="file"
    )
    job = MemberJob.objects.create(
        kind=JobKind.IMPORT, actor=u, source=stored, stage="queued", mode="all_or_nothing"
    )
    opened = calamine_forbidden(monkeypatch)
    from dangjian.members.tasks import run_member_job

    assert run_member_job.call(job.pk)["state"] == JobState.FAILED
    job.refresh_from_db()
    assert job.detail.startswith("文件行数超过上限（500010行）")
    assert opened == [] and Member.objects.count() == 0


def test_console_upload_shows_the_limit_and_writes_nothing(world, client, monkeypatch):
    u = world.users["street"]
    client.force_login(u)
    opened = calamine_forbidden(monkeypatch)
    audits_before = audits()
    for content, message in (
        (corner_bomb(), "文件行数超过上限（500010行）"),
        (corner_bomb("OJ25000"), "文件列数超过上限（100列）"),
    ):
        r = client.post(
            "/members/import/",
            {"file": SimpleUploadedFile("m.xlsx", content), "mode": "skip_bad"},
        )
        assert r.status_code == 200
        assert message in r.content.decode()
    assert opened == []
    nothing_written(audits_before)


def test_the_size_check_goes_through_the_guard(settings, monkeypatch):
    opened = calamine_forbidden(monkeypatch)
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_ROWS": 2}
    assert jobs.import_is_large(workbook(cells_xml(["A1", "A3"]))) is False
    assert jobs.import_is_large(workbook(cells_xml(["A1", "A4"]))) is True
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        jobs.import_is_large(corner_bomb())
    assert info.value.message_dict == {"file": ["文件行数超过上限（500010行），请拆分后分批导入"]}
    assert opened == []
