from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dangjian.dashboard"
    label = "dashboard"
    verbose_name = "全市一张图"

    def ready(self):
        from dangjian.core.treemodel import register_path_copies

        register_path_copies(self.label)
