from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "dangjian.cases"
    label = "cases"
    verbose_name = "网格事件"

    def ready(self):
        from dangjian.cases.models import Event, VisitRecord, VisitTeam
        from dangjian.core.treemodel import register_path_copy

        register_path_copy(Event, "area_path", "area")
        register_path_copy(Event, "dispatch_area_path", "area")
        register_path_copy(VisitTeam, "area_path", "area")
        register_path_copy(VisitRecord, "area_path", "area")
