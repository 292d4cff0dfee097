from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self):
        from dangjian.accounts.models import (
            Department,
            GridInvitation,
            Registration,
            User,
            grants_moved,
        )
        from dangjian.core.treemodel import register_move_hook, register_path_copy

        register_path_copy(User, "area_path", "area")
        register_path_copy(Department, "area_path", "area")
        register_path_copy(GridInvitation, "area_path", "area")
        register_path_copy(Registration, "area_path", "area")
        # A move rewrites the paths of granted nodes: their holders' grants are read afresh.
        register_move_hook(grants_moved)
        from dangjian.accounts import todos

        todos.declare()
