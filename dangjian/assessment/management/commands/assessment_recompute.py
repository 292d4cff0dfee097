import json

from django.core.management.base import BaseCommand

from dangjian.assessment.recompute import assessment_recompute
from dangjian.assessment.tasks import assessment_nightly


class Command(BaseCommand):
    help = "考核重算：评星定级等（每晚由 cron 执行；--enqueue 交给后台任务进程）"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=0, help="年度（默认今年）")
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")

    def handle(self, *args, year=0, enqueue=False, **options):
        if enqueue:
            result = assessment_nightly.enqueue(year=year)
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        out = assessment_recompute(year=year or None)
        self.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
