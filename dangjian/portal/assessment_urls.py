"""Mobile pages of assessment (warnings, star rating), included by the portal under
``assessment/``."""

from django.urls import path

from dangjian.portal import assessment_views

app_name = "assessment"
urlpatterns = [
    path("warnings/", assessment_views.my_warnings, name="mine"),
    path("warnings/branch/", assessment_views.branch_warnings, name="branch"),
    path("ratings/", assessment_views.ratings, name="ratings"),
    path("ratings/<int:rating_id>/", assessment_views.rating_page, name="rating"),
    path(
        "ratings/<int:rating_id>/objections/",
        assessment_views.objection_file,
        name="objection_file",
    ),
]
