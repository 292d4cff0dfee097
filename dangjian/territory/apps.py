from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "dangjian.territory"
    label = "territory"
    verbose_name = "治理区域"

    def ready(self):
        from dangjian.core.treemodel import register_path_copy
        from dangjian.territory.models import Household

        register_path_copy(Household, "area_path", "area")
