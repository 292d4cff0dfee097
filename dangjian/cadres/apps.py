from django.apps import AppConfig


class CadresConfig(AppConfig):
    name = "dangjian.cadres"
    label = "cadres"
    verbose_name = "村(社区)干部"

    def ready(self):
        from dangjian.cadres.models import Cadre, MentorPair, ReserveCadre
        from dangjian.core.treemodel import register_path_copy

        for model in (Cadre, ReserveCadre, MentorPair):
            register_path_copy(model, "area_path", "area")
