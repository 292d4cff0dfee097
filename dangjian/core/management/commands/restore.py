from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import backup


class Command(BaseCommand):
    help = "从备份归档恢复到空数据库和空文件目录，并校验行数、台账和审计链：dangjian restore 归档"

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, **opts):
        try:
            summary = backup.restore(Path(opts["archive"]))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"恢复完成：{summary['tables']}张表共{summary['rows']}行，{summary['files']}个文件；"
            "台账和审计链校验通过。"
        )
