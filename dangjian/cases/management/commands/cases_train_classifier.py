from django.core.management.base import BaseCommand

from dangjian.cases.classification import classifier
from dangjian.cases.tasks import classifier_train_task


class Command(BaseCommand):
    help = "用已结案事件训练事件分类模型（--enqueue 交给后台任务进程）"

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")
        parser.add_argument(
            "--every", type=int, default=0, help="每隔若干分钟自动再次训练（与 --enqueue 同用）"
        )
        parser.add_argument(
            "--min-events", type=int, default=None, help="至少需要的已结案事件数（默认取设置）"
        )

    def handle(self, *args, enqueue=False, every=0, min_events=None, **options):
        if enqueue:
            result = classifier_train_task.enqueue(reschedule_minutes=max(every, 0))
            self.stdout.write(f"已加入后台任务：{result.id}")
            return
        row = classifier.train(min_events=min_events)
        if row is None:
            needed = (
                min_events
                if min_events is not None
                else classifier.setting("CASES_CLASSIFIER_MIN_EVENTS")
            )
            self.stdout.write(
                f"已结案事件{classifier.labelled_count()}件，少于{needed}件，暂用关键词规则"
            )
            return
        ev = row.evaluation
        self.stdout.write(
            f"已训练分类模型v{row.version}：样本{row.samples}件，类别{row.classes}个，"
            f"词表{row.vocabulary}个；留出集{ev.get('holdout')}件，"
            f"模型准确率{ev.get('model')}，关键词规则准确率{ev.get('keywords')}"
        )
