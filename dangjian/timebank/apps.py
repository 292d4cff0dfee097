from django.apps import AppConfig


class TimebankConfig(AppConfig):
    name = "dangjian.timebank"
    label = "timebank"
    verbose_name = "时间银行"

    def ready(self):
        from dangjian.core.treemodel import register_path_copy
        from dangjian.timebank import todos
        from dangjian.timebank.models import (
            Order,
            Participation,
            Rider,
            Station,
            TalentOffer,
            VolunteerTeam,
        )

        for model in (Order, Participation, Rider, Station, TalentOffer, VolunteerTeam):
            register_path_copy(model, "area_path", "area")
        register_path_copy(Participation, "org_path", "org")
        todos.declare_all()
