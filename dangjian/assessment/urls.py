"""Console pages of 考核, included by the console under ``assessment/``."""

from django.urls import path

from dangjian.assessment import views, views_evidence, views_projects, views_rating
from dangjian.web.urls import file_paths

app_name = "assessment"
urlpatterns = [
    # 评星定级 (star rating) and secretary projects
    path("", views_rating.rating_list, name="ratings"),
    path("publish/", views_rating.publish, name="publish"),
    path("ratings/<int:rating_id>/", views_rating.rating_detail, name="rating"),
    path("ratings/<int:rating_id>/objections/", views_rating.objection_file, name="objection_file"),
    path(
        "objections/<int:objection_id>/handle/",
        views_rating.objection_handle,
        name="objection_handle",
    ),
    path("schemes/", views_rating.scheme_list, name="schemes"),
    path("schemes/<int:scheme_id>/", views_rating.scheme_edit, name="scheme"),
    path("scores/", views_rating.score_list, name="scores"),
    # Evidence files of a hand score and of a situation found by hand
    *file_paths(
        "scores/<int:score_id>/files/",
        views_evidence.score_file_upload,
        views_evidence.score_file,
        names=("score_files", "score_file"),
    ),
    *file_paths(
        "flags/<int:flag_id>/files/",
        views_evidence.flag_file_upload,
        views_evidence.flag_file,
        names=("flag_files", "flag_file"),
    ),
    path("projects/", views_projects.project_list, name="projects"),
    path("projects/new/", views_projects.project_new, name="project_new"),
    path("projects/<int:project_id>/", views_projects.project_detail, name="project"),
    path("reviews/<int:review_id>/", views_projects.review_record, name="review"),
    # 软弱涣散 (weak and lax organizations), rectification, member warnings
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
    # One button recomputes everything of the year (recompute.STEPS).
    path("recompute/", views.recompute, name="recompute"),
]
