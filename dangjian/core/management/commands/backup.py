from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import backup


class Command(BaseCommand):
    help = "备份数据库和存储的文件到一个带日期的归档（不含密钥）：dangjian backup [--output 目录]"

    def add_arguments(self, parser):
        parser.add_argument("--output", default=None, help="归档存放目录（默认 var/backups）")

    def handle(self, *args, **opts):
        try:
            archive = backup.backup(Path(opts["output"]) if opts["output"] else None)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"备份完成：{archive}")
