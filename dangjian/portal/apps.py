from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dangjian.portal"
    label = "portal"
    verbose_name = "手机端"
