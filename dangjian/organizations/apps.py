from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "dangjian.organizations"
    label = "organizations"
    verbose_name = "党组织"

    def ready(self):
        from dangjian.core.treemodel import register_path_copy
        from dangjian.organizations.models import PartyOrg

        register_path_copy(PartyOrg, "area_path", "area")
