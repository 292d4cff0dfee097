from django.urls import include, path

from dangjian.accounts import security_views
from dangjian.cadres import urls as cadres_urls
from dangjian.console import (
    area_admin_views,
    audit_views,
    holiday_views,
    inbox_views,
    org_admin_views,
    org_approval_views,
    tree_views,
    views,
)
from dangjian.members import urls as members_urls
from dangjian.territory.imports import urls as area_import_urls

app_name = "console"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("", inbox_views.home, name="home"),
    path("todos/", inbox_views.todo_list, name="todos"),
    path("todos/counts/", inbox_views.inbox_counts, name="inbox_counts"),
    path("notifications/", inbox_views.notification_list, name="notifications"),
    path("notifications/menu/", inbox_views.notification_menu, name="notification_menu"),
    path("notifications/read/", inbox_views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/<int:notification_id>/open/",
        inbox_views.notification_open,
        name="notification_open",
    ),
    path(
        "notifications/preferences/",
        inbox_views.notification_preferences,
        name="notification_preferences",
    ),
    path("areas/", tree_views.area_list, name="area_list"),
    path("areas/", include(area_import_urls)),
    path("areas/<int:node_id>/", area_admin_views.area_detail, name="area_detail"),
    path("areas/<int:node_id>/children/", tree_views.area_children, name="area_children"),
    path("areas/<int:node_id>/new/", area_admin_views.area_child_new, name="area_child_new"),
    path("areas/<int:node_id>/edit/", area_admin_views.area_edit, name="area_edit"),
    path("areas/<int:node_id>/move/", area_admin_views.area_move, name="area_move"),
    path("areas/<int:node_id>/merge/", area_admin_views.area_merge, name="area_merge"),
    path("areas/<int:node_id>/close/", area_admin_views.area_close, name="area_close"),
    path("areas/<int:node_id>/reopen/", area_admin_views.area_reopen, name="area_reopen"),
    path("orgs/", tree_views.org_list, name="org_list"),
    path("orgs/<int:node_id>/", tree_views.org_detail, name="org_detail"),
    path("orgs/<int:node_id>/approval/", org_approval_views.org_approval, name="org_approval"),
    path("orgs/<int:node_id>/children/", tree_views.org_children, name="org_children"),
    path("orgs/<int:node_id>/new/", org_admin_views.org_create, name="org_create"),
    path("orgs/<int:node_id>/edit/", org_admin_views.org_edit, name="org_edit"),
    path("orgs/<int:node_id>/kind/", org_admin_views.org_change_kind, name="org_change_kind"),
    path("orgs/<int:node_id>/dissolve/", org_admin_views.org_dissolve, name="org_dissolve"),
    path("orgs/import/", org_admin_views.org_import, name="org_import"),
    path("orgs/import/template/", org_admin_views.org_import_template, name="org_import_template"),
    # The cadres app's pages share the members namespace and prefix (/members/cadres/...).
    path(
        "members/",
        include(([*members_urls.urlpatterns, *cadres_urls.urlpatterns], members_urls.app_name)),
    ),
    path("development/", include("dangjian.development.urls")),
    path("cases/", include("dangjian.cases.urls")),
    path("orglife/", include("dangjian.orglife.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("points/", include("dangjian.points.urls")),
    path("assessment/", include("dangjian.assessment.urls")),
    path("timebank/", include("dangjian.timebank.urls")),
    path("dashboard/", include("dangjian.dashboard.urls")),
    # The one map, the big screen and the statistical reports (dashboard app).
    path("", include("dangjian.dashboard.map_urls")),
    path("audit/", audit_views.audit_list, name="audit"),
    path("audit/<int:entry_id>/reveal/", audit_views.audit_reveal, name="audit_reveal"),
    path("holidays/", holiday_views.holidays, name="holidays"),
    path("account/", views.account, name="account"),
    # Login security (issue 14): the unlock button the users pages include.
    path("users/<int:user_id>/unlock/", security_views.user_unlock, name="user_unlock"),
    path("users/", include("dangjian.accounts.urls")),
]
