"""Mobile pages of the two-colour warnings, included by the portal under ``assessment/``."""

from django.urls import path

from dangjian.portal import assessment_views

app_name = "assessment"
urlpatterns = [
    path("warnings/", assessment_views.my_warnings, name="mine"),
    path("warnings/branch/", assessment_views.branch_warnings, name="branch"),
]
