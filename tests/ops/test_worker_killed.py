"""The worker really killed mid-task (issue 19): ``dangjian worker`` runs as its own OS
process against a database file, takes a member import, is held inside the import's write
transaction after rows went in, and is sent SIGKILL. The next ``dangjian worker`` finds the
task its dead predecessor left running: the import is reported as interrupted (the state and
the Chinese message its starter sees), and no member row of the half-done write is left.

Every other kind of task (``core.worker.declared()``: the member jobs, each periodic sweep, the
assessment recompute, the roll-up refresh, ...) is killed for real as well, all with one kill:
one worker takes one task of each kind through its own claim, one after another, and is held
as each starts (``task_started``: claimed, ``RUNNING`` under its id, the task's code next);
killed there, the sweep the next worker runs first reports each as interrupted by what its kind
declared. One process and one kill keep it to seconds; the same worker id, row state and sweep
are what a kill inside any one of them leaves (tests/ops/test_interrupted_tasks.py checks each
kind's report on its own, the member import above a kill deep inside a write).

The database the worker uses is the test's own: on SQLite the migrated in-memory test database
is copied to a file for the worker and copied back for the checks; on PostgreSQL the worker
connects to the test database. The hold is a marker file: the held worker's checkpoint (called
between the write's insert batches, inside its transaction) touches it and then waits.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tasks_db.models import DBTaskResult

from dangjian.core import worker
from dangjian.core.models import AuditEntry, Notification
from dangjian.members import jobs
from dangjian.members.models import JobState, Member
from tests import world as world_mod
from tests.members.helpers import xlsx
from tests.members.test_excel import HEADER, row
from tests.ops.test_interrupted_tasks import _enqueue

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
]

ROOT = Path(__file__).resolve().parents[2]

# The project's worker command (``dangjian.cli worker``), held inside the import's write:
# one row per insert batch, and the checkpoint after the first batch touches the marker and
# waits there, the transaction open, until the process is killed.
HELD_WORKER = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
import django
django.setup()
from django.db import connection
from dangjian.members import job_runs
from dangjian.members.models import Member
from dangjian.members.services import imports

imports.IMPORT_BATCH = 1
real_checkpoint = job_runs._checkpoint

def held(pk):
    check = real_checkpoint(pk)

    def wrapped():
        check()
        if connection.in_atomic_block and Member.objects.exists():
            open(os.environ["HOLD_MARKER"], "w").close()
            while True:
                time.sleep(1)

    return wrapped

job_runs._checkpoint = held
from dangjian.cli import main
main(["worker", "--interval", "0.2", "--no-startup-delay"])
"""


# The project's worker, held as each task starts: while another task waits, the same worker
# takes it (the loop of ``db_worker`` once more, under the same worker id), so it ends up
# holding one task of every kind queued; then it waits until it is killed.
HELD_AT_EVERY_TASK = """
import os, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
import django
django.setup()
from django_tasks_db.compat import task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from dangjian.core import worker

def held(sender, task_result, **kwargs):
    if DBTaskResult.objects.ready().exists():
        Worker(
            queue_names=["*"], interval=0, batch=True, backend_name="default",
            startup_delay=False, max_tasks=1, worker_id=worker.worker_id(),
            excluded_queue_names=[],
        ).run()
    open(os.environ["HOLD_MARKER"], "w").close()
    while True:
        time.sleep(1)

task_started.connect(held, weak=False)
from dangjian.cli import main
main(["worker", "--interval", "0.2", "--no-startup-delay"])
"""


def _env(tmp_path: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DANGJIAN_TASK_BACKEND", "DANGJIAN_SQLITE_PATH")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="dangjian.settings",
        DANGJIAN_VAR_DIR=str(tmp_path / "var"),
        DANGJIAN_FILES_DIR=str(settings.DANGJIAN["FILES_DIR"]),
        DANGJIAN_PII_KEYS_DIR=str(settings.DANGJIAN["PII_KEYS_DIR"]),
        DANGJIAN_LOG_DIR="",
        HOLD_MARKER=str(tmp_path / "held"),
        PYTHONPATH=str(ROOT),
    )
    if connection.vendor == "sqlite":
        env["DANGJIAN_SQLITE_PATH"] = str(tmp_path / "db.sqlite3")
    else:
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    return env


def _to_file(path: Path) -> None:
    """The test database, as it stands, into the worker's file (SQLite only)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()


def _from_file(path: Path) -> None:
    """The worker's file back into the test database, for the checks (SQLite only)."""
    if connection.vendor == "sqlite":
        source = sqlite3.connect(path)
        source.backup(connection.connection)
        source.close()


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the worker ended ({proc.returncode}) before the hold")
        if time.monotonic() > deadline:
            raise AssertionError("the worker never reached the import's write")
        time.sleep(0.1)


def _killed(script: str, env: dict, tmp_path: Path, while_held=None) -> str:
    """Run ``script`` (a held worker) until it holds, call ``while_held`` (a look inside while
    it holds), SIGKILL it: its worker id."""
    held = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(tmp_path / "held", held)
        if while_held is not None:
            while_held()
        held.send_signal(signal.SIGKILL)
    finally:
        if held.poll() is None:
            held.kill()
        held.wait(timeout=10)
        if held.stderr is not None:
            held.stderr.close()
    assert held.returncode == -signal.SIGKILL
    return f"{worker.worker_id().rpartition(':')[0]}:{held.pid}"


def test_a_worker_killed_inside_an_import_leaves_it_interrupted_and_nothing_written(
    tmp_path, settings, client
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    w = world_mod.build()
    actor = w.users["street"]
    content = xlsx([HEADER, row("甲", 1), row("乙", 2), row("丙", 3)])
    job = jobs.import_job_start(
        actor=actor, upload=SimpleUploadedFile("members.xlsx", content), mode="all_or_nothing"
    )
    assert job.state == JobState.QUEUED
    members_before = Member.objects.count()
    env = _env(tmp_path)
    database = tmp_path / "db.sqlite3"
    _to_file(database)

    def inside_the_write():
        # Its rows are in the worker's open transaction, seen by nobody else.
        if connection.vendor == "sqlite":
            with sqlite3.connect(database) as peek:
                (count,) = peek.execute("SELECT count(*) FROM members_member").fetchone()
                (state,) = peek.execute(
                    "SELECT state FROM members_memberjob WHERE id = ?", [job.pk]
                ).fetchone()
            assert count == members_before and state == JobState.RUNNING

    dead_id = _killed(HELD_WORKER, env, tmp_path, while_held=inside_the_write)

    # The next worker (the command an operator or systemd starts again) ends the dead task.
    again = subprocess.run(
        [sys.executable, "-m", "dangjian.cli", "worker", "--batch", "--no-startup-delay"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    _from_file(database)

    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.stage == "failed"
    assert job.detail == "后台处理进程已中断（进程已退出），未导入任何数据，请重新导入"
    assert Member.objects.count() == members_before  # the half-done write was rolled back
    assert not AuditEntry.objects.filter(action__in=["members.import", "member.create"]).exists()
    # What the person who started it sees.
    seen = world_mod.ApiClient(client).get(actor, f"/api/v1/members/imports/{job.pk}").json()
    assert seen["state"] == "failed" and seen["detail"] == job.detail

    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "FAILED" and task.worker_ids == [dead_id]
    assert task.exception_class_path == worker.INTERRUPTED_CLASS
    assert task.traceback == (
        f"后台任务“党员名册导入导出”已中断：后台处理进程（{dead_id}）已退出，任务没有完成"
    )
    assert AuditEntry.objects.filter(
        action="core.task_interrupted", object_id=str(task.pk)
    ).exists()
    assert AuditEntry.objects.filter(action="members.job_interrupted").count() == 1


def test_one_worker_killed_holding_every_kind_of_task_leaves_each_interrupted(tmp_path, settings):
    from dangjian.assessment.tasks import assessment_nightly

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    w = world_mod.build()
    kinds = sorted(worker.declared())
    queued, job = {}, None
    for path in kinds:
        if path == "dangjian.assessment.tasks.assessment_nightly":  # started from the console
            queued[path] = assessment_nightly.enqueue(year=2026, actor_id=w.users["admin"].pk).id
        else:
            result, started = _enqueue(path, w)
            queued[path], job = result.pk, started or job
    assert job is not None and len(queued) == len(kinds) >= 10
    database = tmp_path / "db.sqlite3"
    _to_file(database)

    dead_id = _killed(HELD_AT_EVERY_TASK, _env(tmp_path), tmp_path)
    _from_file(database)
    rows = DBTaskResult.objects.filter(pk__in=queued.values())
    # Each taken by the one worker through its own claim, and left running when it died.
    assert {(r.task_path, r.status) for r in rows} == {(p, "RUNNING") for p in kinds}
    assert all(r.worker_ids == [dead_id] for r in rows)

    # What the next worker does first (``cli.run_worker``).
    periodic = len(kinds) - 2  # all but the member job and the console's recompute
    assert worker.interrupted_tasks_sweep() == {"interrupted": len(kinds), "requeued": periodic}
    for path, pk in queued.items():
        row = DBTaskResult.objects.get(pk=pk)
        assert row.status == "FAILED", path
        assert row.exception_class_path == worker.INTERRUPTED_CLASS
        assert row.traceback == (
            f"后台任务“{worker.task_label(path)}”已中断：后台处理进程（{dead_id}）已退出，任务没有完成"
        )
        assert AuditEntry.objects.filter(action="core.task_interrupted", object_id=str(pk)).exists()
    # The periodic sweeps are queued again; the member job and the person who started the
    # recompute are told.
    again = DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True)
    assert len(again) == periodic and set(again) < set(kinds)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.detail.startswith("后台处理进程已中断（进程已退出）")
    note = Notification.objects.get(recipient=w.users["admin"], kind="core.task_interrupted")
    assert note.title == "后台任务“考核评价夜间重算”已中断"
    assert worker.interrupted_tasks_sweep()["interrupted"] == 0  # reported once
