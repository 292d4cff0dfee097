from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "dangjian.points"
    label = "points"
    verbose_name = "积分"

    def ready(self):
        from dangjian.core import todo
        from dangjian.core.treemodel import register_path_copies
        from dangjian.points import todos

        register_path_copies(self.label)

        todo.declare(
            "points.review",
            label=_("待评议的积分申报"),
            items=todos.review_items,
            count=todos.review_count,
            module=_("积分"),
        )
