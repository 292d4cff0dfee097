from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self):
        from dangjian.accounts.models import Department, User
        from dangjian.core.treemodel import register_path_copy

        register_path_copy(User, "area_path", "area")
        register_path_copy(Department, "area_path", "area")
