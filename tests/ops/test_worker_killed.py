"""The worker really killed mid-task (issue 19): ``dangjian worker`` runs as its own OS
process against a database file, takes a member import, is held inside the import's write
transaction after rows went in, and is sent SIGKILL. The next ``dangjian worker`` finds the
task its dead predecessor left running: the import is reported as interrupted (the state and
the Chinese message its starter sees), and no member row of the half-done write is left.

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
from dangjian.core.models import AuditEntry
from dangjian.members import jobs
from dangjian.members.models import JobState, Member
from tests import world as world_mod
from tests.members.helpers import xlsx
from tests.members.test_excel import HEADER, row

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

    held = subprocess.Popen(
        [sys.executable, "-c", HELD_WORKER],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(tmp_path / "held", held)
        # Inside the write: its rows are in the worker's open transaction, seen by nobody else.
        if connection.vendor == "sqlite":
            with sqlite3.connect(database) as peek:
                (count,) = peek.execute("SELECT count(*) FROM members_member").fetchone()
                (state,) = peek.execute(
                    "SELECT state FROM members_memberjob WHERE id = ?", [job.pk]
                ).fetchone()
            assert count == members_before and state == JobState.RUNNING
        held.send_signal(signal.SIGKILL)
    finally:
        if held.poll() is None:
            held.kill()
        held.wait(timeout=10)
        if held.stderr is not None:
            held.stderr.close()
    assert held.returncode == -signal.SIGKILL
    dead_id = f"{worker.worker_id().rpartition(':')[0]}:{held.pid}"

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
