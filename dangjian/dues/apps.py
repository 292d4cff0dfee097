from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "dangjian.dues"
    label = "dues"
    verbose_name = "党费"

    def ready(self):
        from dangjian.core.treemodel import register_path_copy
        from dangjian.dues.models import DuesRemittance

        register_path_copy(DuesRemittance, "from_org_path", "org")
        from dangjian.dues import todos

        todos.declare()
