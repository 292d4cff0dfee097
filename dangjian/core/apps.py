from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "内核"

    def ready(self):
        from dangjian.core.models import LedgerAccount
        from dangjian.core.treemodel import register_path_copy

        register_path_copy(LedgerAccount, "area_path", "area")
        register_path_copy(LedgerAccount, "org_path", "org")
