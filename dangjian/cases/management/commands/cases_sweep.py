from django.core.management.base import BaseCommand

from dangjian.cases import services
from dangjian.cases.tasks import sla_sweep_task


class Command(BaseCommand):
    help = "事件时限巡检：临期催办、超期标记（--enqueue 交给后台任务进程）"

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")
        parser.add_argument(
            "--every", type=int, default=0, help="每隔若干分钟自动再次执行（与 --enqueue 同用）"
        )

    def handle(self, *args, enqueue=False, every=0, **options):
        if enqueue:
            result = sla_sweep_task.enqueue(reschedule_minutes=max(every, 0))
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        result = services.sla_sweep()
        self.stdout.write(f"临期催办{result['chased']}件，超期{result['overdue']}件")
