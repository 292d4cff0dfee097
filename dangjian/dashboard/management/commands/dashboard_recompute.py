import re

from django.core.management.base import BaseCommand, CommandError

from dangjian.dashboard.rollups import engine, stale
from dangjian.dashboard.tasks import rollups_refresh_task

SHOWN = 50


class Command(BaseCommand):
    help = (
        "从原始数据重算一张图的指标汇总并报告与已存数据的差异"
        "（--check 只比对不写入，有差异时退出码为1；--enqueue 交给后台任务进程）"
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12, help="重算最近若干个月（默认12）")
        parser.add_argument("--month", default="", help="只重算某月，格式 YYYY-MM")
        parser.add_argument("--check", action="store_true", help="只比对，不写入")
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")
        parser.add_argument(
            "--every", type=int, default=0, help="每隔若干分钟自动再次执行（与 --enqueue 同用）"
        )

    def handle(self, *args, months=12, month="", check=False, enqueue=False, every=0, **opts):
        if not 1 <= months <= 120:
            raise CommandError("--months 应在1至120之间")
        if enqueue:
            result = rollups_refresh_task.enqueue(months=months, reschedule_minutes=max(every, 0))
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        if month:
            m = re.match(r"^(\d{4})-(0[1-9]|1[0-2])$", month)
            if not m or not 2000 <= int(m.group(1)) <= 2100:
                raise CommandError("--month 格式应为 YYYY-MM")
            ms = [int(m.group(1)) * 100 + int(m.group(2))]
        else:
            ms = engine.window(months)
        whole = not check and not month and months >= stale.WINDOW
        seq = stale.last_seq() if whole else 0
        diffs = engine.recompute(ms, check=check)
        if whole:
            stale.advance(seq)  # the whole window rebuilt: the refresh reads on from here
        for d in diffs[:SHOWN]:
            self.stdout.write(
                f"{d.month} 区域{d.area_id} {d.code}: 已存 {d.stored!r} 重算 {d.computed!r}"
            )
        if len(diffs) > SHOWN:
            self.stdout.write(f"……另有{len(diffs) - SHOWN}处差异")
        verb = "比对" if check else "重算"
        self.stdout.write(f"{verb}{len(ms)}个月，差异{len(diffs)}处")
        if check and diffs:
            raise SystemExit(1)
