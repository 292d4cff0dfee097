from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "内核"

    def ready(self):
        from django.db.models.signals import post_migrate

        from dangjian.core import (
            retention,  # registers the retention setting's check
            worker,  # noqa: F401  (declares its notification kind)
        )
        from dangjian.core.models import LedgerAccount
        from dangjian.core.treemodel import register_path_copy

        register_path_copy(LedgerAccount, "area_path", "area")
        register_path_copy(LedgerAccount, "org_path", "org")
        post_migrate.connect(retention.sync_after_migrate, sender=self)
