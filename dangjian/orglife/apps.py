from django.apps import AppConfig


class OrglifeConfig(AppConfig):
    name = "dangjian.orglife"
    label = "orglife"
    verbose_name = "组织生活"

    def ready(self):
        from dangjian.core.audit import register_seal
        from dangjian.core.treemodel import register_path_copy
        from dangjian.orglife.models import Attendance, Base, Plan, Session, SessionOrg

        for model in (Session, SessionOrg, Attendance, Plan, Base):
            register_path_copy(model, "org_path", "org")
        register_path_copy(Base, "area_path", "area")
        register_seal("orglife.session", rating_seal)
        from dangjian.orglife import todos

        todos.declare()


def rating_seal(session, action: str, actor):
    """A participant's rating of a session is sealed: reviewers see the score, not who."""
    if action == "orglife.rating.submit":
        return True, ()
    return None
