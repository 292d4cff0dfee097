"""Console pages of assessment, included by the console under ``assessment/``."""

from django.urls import path

from dangjian.assessment import views, views_projects

app_name = "assessment"
urlpatterns = [
    path("", views.rating_list, name="ratings"),
    path("recompute/", views.recompute, name="recompute"),
    path("publish/", views.publish, name="publish"),
    path("ratings/<int:rating_id>/", views.rating_detail, name="rating"),
    path("ratings/<int:rating_id>/objections/", views.objection_file, name="objection_file"),
    path("objections/<int:objection_id>/handle/", views.objection_handle, name="objection_handle"),
    path("schemes/", views.scheme_list, name="schemes"),
    path("schemes/<int:scheme_id>/", views.scheme_edit, name="scheme"),
    path("scores/", views.score_list, name="scores"),
    path("projects/", views_projects.project_list, name="projects"),
    path("projects/<int:project_id>/", views_projects.project_detail, name="project"),
    path("reviews/<int:review_id>/", views_projects.review_record, name="review"),
]
