from django.apps import AppConfig


class OrglifeConfig(AppConfig):
    name = "dangjian.orglife"
    label = "orglife"
    verbose_name = "组织生活"

    def ready(self):
        from dangjian.core.treemodel import register_path_copy
        from dangjian.orglife.models import Attendance, Base, Plan, Session, SessionOrg

        for model in (Session, SessionOrg, Attendance, Plan, Base):
            register_path_copy(model, "org_path", "org")
        register_path_copy(Base, "area_path", "area")
