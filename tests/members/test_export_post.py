"""Exports of the member registry are started by POST (issue 19): a cross-site ``<img>`` or a
link cannot start one, a GET answers 405 and writes nothing; the console's form carries the
CSRF token. A revealed export's workbook (whole numbers) is handed over once, within
``MEMBERS_REVEALED_FILE_MINUTES`` of its end, then removed; a masked one may be fetched again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dangjian.core import files
from dangjian.core.models import AuditEntry
from dangjian.members.models import MemberJob
from tests.members.helpers import id_no, member
from tests.members.test_jobs import sheet

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def background(settings):
    """Exports over 2 rows in the background, run at once."""
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_ROWS": 2}
    settings.TASKS = IMMEDIATE
    return settings


def _people(world, n: int = 3):
    u = world.users["street"]
    return [
        member(u, world.orgs["grid_branch"], name=f"名册{i}", id_number=id_no("19800101", i + 1))
        for i in range(n)
    ]


def _exports() -> int:
    return AuditEntry.objects.filter(action__in=("members.export", "members.export_job")).count()


def test_the_api_export_is_a_post_and_a_get_answers_405(world, api):
    people = _people(world, 1)
    u = world.users["street"]
    r = api.get(u, "/api/v1/members/export", reveal="true")
    assert r.status_code == 405
    assert r.json() == {"detail": "导出请用POST请求发起（请求体为筛选条件），GET请求不会导出"}
    assert _exports() == 0
    r = api.post(u, "/api/v1/members/export", {"reveal": True, "q": "名册0"})
    assert r.status_code == 200 and r["Cache-Control"].startswith("private, no-store")
    assert people[0].id_number in str(sheet(r.content))
    # Filters in a body of the wrong type are refused by field, in Chinese.
    r = api.post(u, "/api/v1/members/export", {"reveal": "yes please"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["reveal"]


def test_the_console_export_needs_a_post_with_the_csrf_token(world):
    _people(world, 1)
    u = world.users["street"]
    c = Client(enforce_csrf_checks=True)
    c.force_login(u)
    # What a cross-site <img src="/members/export/?reveal=1"> would send: refused, no export.
    assert c.get("/members/export/?reveal=1").status_code == 405
    # A cross-site form post has no token: refused.
    assert c.post("/members/export/", {"reveal": "1"}).status_code == 403
    assert _exports() == 0
    page = c.get("/members/?q=名册").content.decode()
    form = page.split('action="/members/export/?q=%E5%90%8D%E5%86%8C"', 1)[1].split("</form>")[0]
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    r = c.post("/members/export/?q=名册", {"csrfmiddlewaretoken": token})
    assert r.status_code == 200 and r["Content-Type"].endswith("spreadsheetml.sheet")
    assert _exports() == 1


def test_a_revealed_background_export_is_downloaded_once(
    world, api, background, django_capture_on_commit_callbacks
):
    people = _people(world)
    u = world.users["street"]
    body = api.post(u, "/api/v1/members/exports/", {"reveal": True}).json()
    assert body["state"] == "done" and body["file_once"] is True
    stored = MemberJob.objects.get(pk=body["id"]).result
    with django_capture_on_commit_callbacks(execute=True):
        first = api.get(u, body["file_url"])
    assert first.status_code == 200 and first["Cache-Control"].startswith("private, no-store")
    assert people[0].id_number in str(sheet(first.content))
    # Handed over: the stored file is gone (audited), a second fetch is told why.
    assert not files.path_of(stored).exists()
    assert AuditEntry.objects.filter(action="file.delete", object_id=str(stored.pk)).exists()
    again = api.get(u, body["file_url"])
    assert again.status_code == 410
    assert again.json()["detail"].startswith("含完整号码的导出文件只能下载一次，已于")
    job = api.get(u, f"/api/v1/members/exports/{body['id']}").json()
    assert job["file_expired"] is True and job["file_name"] is None


def test_a_revealed_export_not_fetched_in_time_is_removed(world, api, background):
    _people(world)
    u = world.users["street"]
    body = api.post(u, "/api/v1/members/exports/", {"reveal": True}).json()
    MemberJob.objects.filter(pk=body["id"]).update(
        finished_at=timezone.now() - dt.timedelta(minutes=31)
    )
    r = api.get(u, body["file_url"])
    assert r.status_code == 410
    assert r.json()["detail"].startswith("含完整号码的导出文件须在生成后30分钟内下载")
    assert MemberJob.objects.get(pk=body["id"]).result_id is None


def test_the_retention_sweep_removes_revealed_workbooks_after_minutes(world, api, background):
    from dangjian.members import job_runs

    _people(world)
    u = world.users["street"]
    revealed = api.post(u, "/api/v1/members/exports/", {"reveal": True}).json()
    MemberJob.objects.filter(pk=revealed["id"]).update(
        finished_at=timezone.now() - dt.timedelta(minutes=40)
    )
    masked = api.post(u, "/api/v1/members/exports/", {}).json()
    MemberJob.objects.filter(pk=masked["id"]).update(
        finished_at=timezone.now() - dt.timedelta(minutes=40)
    )
    assert job_runs.job_files_sweep()["jobs"] == 1
    assert MemberJob.objects.get(pk=revealed["id"]).files_expired_at is not None
    assert MemberJob.objects.get(pk=masked["id"]).files_expired_at is None


def test_a_masked_export_may_be_fetched_again(world, api, background):
    _people(world)
    u = world.users["street"]
    body = api.post(u, "/api/v1/members/exports/", {}).json()
    assert body["file_once"] is False
    assert api.get(u, body["file_url"]).status_code == 200
    assert api.get(u, body["file_url"]).status_code == 200


def test_the_console_hands_a_revealed_workbook_over_once_by_post(world, background):
    _people(world)
    u = world.users["street"]
    c = Client()
    c.force_login(u)
    r = c.post("/members/export/", {"reveal": "1"})
    job = MemberJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/members/jobs/{job.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert 'id="job-file-once"' in page and "只能下载一次" in page
    assert c.get(f"/members/jobs/{job.pk}/file/").status_code == 405  # no link uses it up
    got = c.post(f"/members/jobs/{job.pk}/file/")
    assert got.status_code == 200 and got["Content-Type"].endswith("spreadsheetml.sheet")
    r = c.post(f"/members/jobs/{job.pk}/file/", follow=True)
    assert "含完整号码的导出文件只能下载一次" in r.content.decode()
