from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "dangjian.assessment"
    label = "assessment"
    verbose_name = "考核"

    def ready(self):
        from dangjian.assessment import todos
        from dangjian.core.treemodel import register_path_copies

        register_path_copies(self.label)
        todos.declare()
