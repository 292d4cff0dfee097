from django.urls import include, path

from dangjian.cadres import urls as cadres_urls
from dangjian.console import audit_views, holiday_views, org_approval_views, tree_views, views
from dangjian.members import urls as members_urls

app_name = "console"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("", views.home, name="home"),
    path("areas/", tree_views.area_list, name="area_list"),
    path("areas/<int:node_id>/", tree_views.area_detail, name="area_detail"),
    path("areas/<int:node_id>/children/", tree_views.area_children, name="area_children"),
    path("orgs/", tree_views.org_list, name="org_list"),
    path("orgs/<int:node_id>/", tree_views.org_detail, name="org_detail"),
    path("orgs/<int:node_id>/approval/", org_approval_views.org_approval, name="org_approval"),
    path("orgs/<int:node_id>/children/", tree_views.org_children, name="org_children"),
    # The cadres app's pages share the members namespace and prefix (/members/cadres/...).
    path(
        "members/",
        include(([*members_urls.urlpatterns, *cadres_urls.urlpatterns], members_urls.app_name)),
    ),
    path("development/", include("dangjian.development.urls")),
    path("cases/", include("dangjian.cases.urls")),
    path("orglife/", include("dangjian.orglife.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("audit/", audit_views.audit_list, name="audit"),
    path("audit/<int:entry_id>/reveal/", audit_views.audit_reveal, name="audit_reveal"),
    path("holidays/", holiday_views.holidays, name="holidays"),
    path("account/", views.account, name="account"),
    path("users/", include("dangjian.accounts.urls")),
]
