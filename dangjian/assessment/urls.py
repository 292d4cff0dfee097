"""Console pages of 考核, included by the console under ``assessment/``."""

from django.urls import path

from dangjian.assessment import views

app_name = "assessment"
urlpatterns = [
    path("flags/", views.flag_list, name="flags"),
    path("flags/new/", views.flag_add, name="flag_add"),
    path("rankings/", views.ranking_list, name="rankings"),
    path("rankings/<int:ranking_id>/", views.ranking_page, name="ranking"),
    path("rankings/<int:ranking_id>/confirm/", views.ranking_confirm, name="ranking_confirm"),
    path("rectifications/", views.rectification_list, name="rectifications"),
    path(
        "rectifications/<int:rectification_id>/",
        views.rectification_page,
        name="rectification",
    ),
    path("orgs/<int:org_id>/", views.org_page, name="org"),
    path("warnings/", views.warning_list, name="warnings"),
    path("settings/", views.settings_page, name="settings"),
    path("recompute/", views.recompute, name="recompute"),
]
