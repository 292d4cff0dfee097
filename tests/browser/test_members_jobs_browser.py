"""A large member import in real Chromium: the upload goes to the background, the job page
polls its progress through htmx every 2 seconds and shows the report once the worker is done,
without a reload."""

import re

import pytest

from tests import world as world_mod

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_the_job_page_follows_a_background_import(live_server, page, settings):
    from dangjian.members import job_runs
    from dangjian.members.models import JobState, Member, MemberJob
    from tests.members.helpers import bad_check, id_no, xlsx
    from tests.members.test_excel import HEADER, row

    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BACKGROUND_ROWS": 2}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    w = world_mod.build()
    # t-street can grant roles: a second factor is required (issue 14)
    totp = world_mod.enrol_totp(w.users["street"])
    content = xlsx(
        [
            HEADER,
            row("甲", 1),
            row("乙", 2),
            row("丙", 3, 身份证号=bad_check(id_no("19800101", 3))),
        ]
    )
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/members/import/")
    page.fill("input[name=username]", "t-street")
    page.fill("input[name=password]", world_mod.PASSWORD)
    page.fill("input[name=otp]", world_mod.next_code(totp))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/members/import/")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "members.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": content,
            }
        ],
    )
    page.check("input[name=mode][value=skip_bad]")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/members/jobs/\d+/$"))
    job = MemberJob.objects.get()
    assert job.state == JobState.QUEUED
    assert "排队中" in page.locator("#job-state").inner_text()

    job_runs.run_job(job.pk)  # the worker's turn
    page.locator("#job-state", has_text="已完成").wait_for()
    assert "已导入2行" in page.locator("#job-state").inner_text() or "导入2行" in (
        page.locator("#job-progress").inner_text()
    )
    assert "第4行" in page.locator("#import-errors").inner_text()
    assert "3 / 3" in page.locator("#job-rows").inner_text()
    assert Member.objects.count() == 2
