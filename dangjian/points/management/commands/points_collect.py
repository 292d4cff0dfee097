from django.core.management.base import BaseCommand

from dangjian.points import services
from dangjian.points.tasks import collect_task


class Command(BaseCommand):
    help = "积分自动采集：从组织生活、党费、事件、走访等来源汇总积分（--enqueue 交给后台任务进程）"

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")
        parser.add_argument(
            "--every", type=int, default=0, help="每隔若干分钟自动再次执行（与 --enqueue 同用）"
        )

    def handle(self, *args, enqueue=False, every=0, **options):
        if enqueue:
            result = collect_task.enqueue(reschedule_minutes=max(every, 0))
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        made = services.collect()
        for source, n in made.items():
            self.stdout.write(f"{source}：新增积分{n}笔")
        self.stdout.write(f"合计新增{sum(made.values())}笔")
