from django.core.management.base import BaseCommand, CommandError

from dangjian.core import ledger


class Command(BaseCommand):
    help = "校验台账：重算余额和哈希链 (dangjian ledger verify [--ledger dues|points|timebank])"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--ledger", choices=list(ledger.LEDGERS), default=None)

    def handle(self, *args, **opts):
        problems = ledger.verify(opts["ledger"])
        if problems:
            for p in problems:
                self.stderr.write(str(p))
            raise CommandError(f"台账校验发现{len(problems)}处问题")
        self.stdout.write("台账校验通过：余额与分录一致，哈希链完整。")
