from django.core.management.base import BaseCommand

from dangjian.core import retention


class Command(BaseCommand):
    help = (
        "清理超过保留期限的审计记录 (dangjian audit_purge [--dry-run])：只删除早于"
        "AUDIT_RETENTION_MONTHS个自然月（不少于6个月，默认12个月）的记录"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计，不删除")

    def handle(self, *args, **opts):
        result = retention.audit_purge(dry_run=opts["dry_run"])
        cutoff = result["cutoff"].strftime("%Y-%m-%d %H:%M:%S UTC")
        verb = "可清理" if opts["dry_run"] else "已清理"
        self.stdout.write(
            f"审计记录保留{result['months']}个月：{verb}{cutoff}之前的记录{result['deleted']}条。"
        )
