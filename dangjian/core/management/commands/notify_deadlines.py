from django.core.management.base import BaseCommand

from dangjian.core import notify
from dangjian.core.tasks import notify_deadlines_task


class Command(BaseCommand):
    help = "期限提醒巡检：临近期限、已过期限的通知（--enqueue 交给后台任务进程）"

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")
        parser.add_argument(
            "--every", type=int, default=0, help="每隔若干分钟自动再次执行（与 --enqueue 同用）"
        )

    def handle(self, *args, enqueue=False, every=0, **options):
        if enqueue:
            result = notify_deadlines_task.enqueue(reschedule_minutes=max(every, 0))
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        result = notify.sweep()
        total = sum(result.values())
        self.stdout.write(f"新发出期限提醒{total}条")
