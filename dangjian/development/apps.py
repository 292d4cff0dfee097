from django.apps import AppConfig


class DevelopmentConfig(AppConfig):
    name = "dangjian.development"
    label = "development"
    verbose_name = "发展党员"

    def ready(self):
        from dangjian.core.treemodel import register_path_copy
        from dangjian.development.models import Applicant, DevelopmentTarget

        register_path_copy(Applicant, "org_path", "org")
        register_path_copy(Applicant, "area_path", "area")
        register_path_copy(DevelopmentTarget, "org_path", "org")
        register_path_copy(DevelopmentTarget, "area_path", "area")
        from dangjian.development import todos

        todos.declare()
