from django.core.management.base import BaseCommand

from dangjian.members import job_runs
from dangjian.members.tasks import job_files_sweep_task


class Command(BaseCommand):
    help = "清理超过保留期限的党员后台导入导出文件，结束处理进程已中断的任务（--enqueue 交给后台任务进程）"

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            help="每隔若干分钟自动再次执行（与 --enqueue 同用，如 1440 为每天）",
        )

    def handle(self, *args, enqueue=False, every=0, **options):
        if enqueue:
            result = job_files_sweep_task.enqueue(reschedule_minutes=max(every, 0))
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        result = job_runs.job_files_sweep()
        stale = job_runs.stale_jobs_sweep()
        self.stdout.write(
            f"清理后台任务{result['jobs']}个，删除文件{result['files']}个"
            f"（保留期限{result['days']}天）；结束已中断的任务{stale['jobs']}个"
            f"（超过{stale['minutes']}分钟没有进展）"
        )
