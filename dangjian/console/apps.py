from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "dangjian.console"
    label = "console"
    verbose_name = "管理控制台"
