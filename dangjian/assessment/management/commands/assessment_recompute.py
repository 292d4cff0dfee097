from django.core.management.base import BaseCommand
from django.utils import timezone

from dangjian.assessment.recompute import assessment_recompute
from dangjian.assessment.tasks import assessment_nightly


class Command(BaseCommand):
    help = (
        "考核重算：评星定级、软弱涣散情形、县(区)排名、党员双色预警"
        "（--enqueue 交给后台任务进程，--every 分钟数 定期再次执行）"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="年度（默认今年）")
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")
        parser.add_argument(
            "--every", type=int, default=0, help="每隔若干分钟自动再次执行（与 --enqueue 同用）"
        )

    def handle(self, *args, year=None, enqueue=False, every=0, **options):
        year = year or timezone.localdate().year
        if enqueue:
            result = assessment_nightly.enqueue(year=year, reschedule_minutes=max(every, 0))
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        for name, step in assessment_recompute(year=year)["steps"].items():
            self.stdout.write(
                f"{name}：{step['result']}（{step['seconds']}秒，CPU {step['cpu_seconds']}秒）"
            )
