"""The ``dangjian`` console command: demo, serve, seed, worker, createadmin (and any manage.py
command)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()


def _manage(*args: str, **options) -> None:
    from django.core.management import call_command

    call_command(*args, **options)


def serve(host: str, port: int) -> None:
    from dangjian.server import serve as serve_processes

    serve_processes(host, port)


# The periodic sweeps and their period in minutes: the cases' SLA chase/overdue notices; the
# member jobs' expired files and jobs whose worker died; forgotten failed-login counts; the
# points collected from their sources; expired time-bank orders; deadline notifications; the
# dashboard's roll-ups of the month; the assessment's nightly recomputation.
SWEEPS = (
    ("dangjian.cases.tasks.sla_sweep_task", 30),
    ("dangjian.members.tasks.job_files_sweep_task", 60),
    ("dangjian.accounts.tasks.login_throttle_sweep_task", 360),
    ("dangjian.points.tasks.collect_task", 60),
    ("dangjian.timebank.tasks.expire_sweep_task", 15),
    ("dangjian.core.tasks.notify_deadlines_task", 60),
    ("dangjian.dashboard.tasks.rollups_refresh_task", 30),
    ("dangjian.assessment.tasks.assessment_nightly", 1440),
    ("dangjian.core.tasks.interrupted_tasks_sweep_task", 10),
)


def schedule_sweeps() -> list[str]:
    """Queue each periodic sweep (each run queues its next) unless one is already waiting or
    running; answers the task paths queued now. Only with the database task backend (another
    backend has no queue to wait in)."""
    from django.conf import settings
    from django.utils.module_loading import import_string
    from django_tasks_db.models import DBTaskResult

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return []
    from dangjian.core.worker import interrupted_tasks_sweep

    interrupted_tasks_sweep()  # a sweep left RUNNING by a dead worker would never be queued
    queued = []
    for path, minutes in SWEEPS:
        waiting = DBTaskResult.objects.filter(task_path=path, status__in=["READY", "RUNNING"])
        if not waiting.exists():
            import_string(path).enqueue(reschedule_minutes=minutes)
            queued.append(path)
    return queued


def run_worker(args: list[str]) -> None:
    """``db_worker`` named ``<host>:<pid>`` (so a later sweep can tell it died), after ending
    the tasks that dead workers left running (``core.worker``)."""
    from django.conf import settings

    from dangjian.core import worker

    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        worker.interrupted_tasks_sweep()
    if not any(a == "--worker-id" or a.startswith("--worker-id=") for a in args):
        args = [*args, "--worker-id", worker.worker_id()]
    _manage("db_worker", *args)


def demo() -> None:
    from django.conf import settings

    # Demo mode: the published demo password is accepted and granting accounts need no
    # second factor (docs/deploy.md: never in production). The worker inherits it.
    os.environ.setdefault("DANGJIAN_DEMO_MODE", "1")
    _django()
    _manage("migrate", "--no-input", verbosity=0)
    _manage("collectstatic", "--no-input", verbosity=0)
    from dangjian.territory.models import Area

    scale = os.environ.get("DEMO_SCALE", "small")
    if not Area.objects.exists():
        _manage("seed", "--scale", scale)
    schedule_sweeps()
    host, port = "127.0.0.1", int(os.environ.get("PORT", "8000"))
    worker = subprocess.Popen([sys.executable, "-m", "dangjian.cli", "worker"])
    password = settings.DANGJIAN["DEMO_PASSWORD"]
    print(f"\n党建引领基层治理平台 已启动: http://{host}:{port}/")
    print(f"接口文档: http://{host}:{port}/api/v1/docs")
    print(f"演示账号 (密码 {password}):")
    from dangjian.demo.accounts import DEMO_ACCOUNTS

    for username, label in DEMO_ACCOUNTS:
        print(f"  {username:16s} {label}")
    print("按 Ctrl+C 停止。\n", flush=True)
    try:
        serve(host, port)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    if command == "demo":
        demo()
    elif command == "serve":
        _django()
        port = int(argv[1]) if len(argv) > 1 else int(os.environ.get("PORT", "8000"))
        host = os.environ.get("HOST", "127.0.0.1")
        print(f"http://{host}:{port}/", flush=True)
        serve(host, port)
    elif command == "worker":
        _django()
        run_worker(argv[1:])
    elif command in ("help", "-h", "--help"):
        print(
            "用法: dangjian <命令>\n"
            "  demo                 迁移数据库、载入演示城市(若为空)并启动网站和后台任务\n"
            "  serve [端口]         启动网站（进程数取 DANGJIAN_WEB_PROCESSES，默认每核一个，至多4个）\n"
            "  worker               启动后台任务进程\n"
            "  seed --scale small|city  生成演示数据\n"
            "  createroot           新部署：建立根区域及根党组织\n"
            "  createadmin          创建系统管理员\n"
            "  ledger verify        校验台账余额和哈希链\n"
            "  audit verify         校验审计记录哈希链（被修改、删除或绕过系统写入的记录）\n"
            "  其他 Django 管理命令同 manage.py"
        )
    else:
        _django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["dangjian", *argv])


if __name__ == "__main__":
    main()
