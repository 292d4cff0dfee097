"""Starting an export needs members.view and members.export; one queued or running export job
per user (409 for a second one), in the API and in the console."""

from __future__ import annotations

import pytest

from dangjian.core.models import AuditEntry
from dangjian.members import job_runs
from dangjian.members.models import JobState, MemberJob
from tests.members.helpers import id_no, member
from tests.members.test_jobs import DATABASE
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db

BUSY = "您已有一个导出任务正在排队或进行中，请等待其完成或取消后再发起新的导出"


def audit_count() -> int:
    return AuditEntry.objects.filter(action__in=("members.export", "members.export_job")).count()


@pytest.mark.parametrize("who", ["resident", "member", "grid", "nobody"])
def test_export_needs_view_and_export(world, api, settings, who):
    settings.TASKS = DATABASE
    member(world.users["street"], world.orgs["grid_branch"], name="名册甲")
    before = audit_count()
    r = api.post(world.users[who], "/api/v1/members/exports/", {})
    assert r.status_code == 403, r.content
    assert r.json() == {"detail": "您没有导出党员名册的权限"}
    r = api.post(world.users[who], "/api/v1/members/export")
    assert r.status_code == 403 and r.json() == {"detail": "您没有导出党员名册的权限"}
    assert MemberJob.objects.count() == 0 and audit_count() == before


def test_secretary_and_staff_may_export(world, api, settings):
    settings.TASKS = DATABASE
    for who in ("community", "street"):
        r = api.post(world.users[who], "/api/v1/members/exports/", {})
        assert r.status_code == 200, r.content
        assert r.json()["state"] == "queued"
    assert MemberJob.objects.filter(kind="export").count() == 2


def test_one_export_job_at_a_time(world, api, settings):
    settings.TASKS = DATABASE
    u, other = world.users["street"], world.users["county"]
    member(u, world.orgs["grid_branch"], name="名册甲")
    first = api.post(u, "/api/v1/members/exports/", {}).json()
    assert first["state"] == "queued"
    r = api.post(u, "/api/v1/members/exports/", {"q": "名册"})
    assert r.status_code == 409 and r.json() == {"detail": BUSY}
    assert MemberJob.objects.filter(actor=u, kind="export").count() == 1
    # Another user is not held up by it.
    assert api.post(other, "/api/v1/members/exports/", {}).status_code == 200
    # Running still counts; once it has ended (done, cancelled) a new one may start.
    MemberJob.objects.filter(pk=first["id"]).update(state=JobState.RUNNING)
    assert api.post(u, "/api/v1/members/exports/", {}).status_code == 409
    MemberJob.objects.filter(pk=first["id"]).update(state=JobState.QUEUED)
    r = api.post(u, f"/api/v1/members/exports/{first['id']}/cancel", {})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    second = api.post(u, "/api/v1/members/exports/", {})
    assert second.status_code == 200 and second.json()["state"] == "queued"
    job_runs.run_job(second.json()["id"])
    assert MemberJob.objects.get(pk=second.json()["id"]).state == JobState.DONE
    assert api.post(u, "/api/v1/members/exports/", {}).status_code == 200
    assert MemberJob.objects.filter(actor=u, kind="export").count() == 3


def test_console_export_start_refused_while_one_runs(world, client, settings):
    settings.TASKS = DATABASE
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_ROWS": 1}
    u = world.users["street"]
    for i, n in enumerate(("名册甲", "名册乙"), start=1):
        member(u, world.orgs["grid_branch"], name=n, id_number=id_no("19800101", i))
    client.login(username=u.username, password=PASSWORD)
    r = client.post("/members/export/")
    job = MemberJob.objects.get(actor=u, kind="export")
    assert r.status_code == 302 and r["Location"] == f"/members/jobs/{job.pk}/"
    r = client.post("/members/export/", follow=True)
    assert r.redirect_chain[-1][0] == "/members/jobs/"
    assert BUSY in r.content.decode()
    assert MemberJob.objects.filter(actor=u, kind="export").count() == 1
    # A resident has no console pages at all: sent to the phone home, no job.
    resident = world.users["resident"]
    client.logout()
    client.login(username=resident.username, password=PASSWORD)
    r = client.post("/members/export/")
    assert r.status_code == 302 and r["Location"] == "/m/"
    assert MemberJob.objects.filter(actor=resident).count() == 0
    # Staff without the right (a grid worker): the 403 page, no job.
    grid = world.users["grid"]
    client.logout()
    client.login(username=grid.username, password=PASSWORD)
    assert client.post("/members/export/").status_code == 403
    assert MemberJob.objects.filter(actor=grid).count() == 0
