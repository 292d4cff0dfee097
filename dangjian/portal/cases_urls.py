"""Mobile pages of the grid event closed loop, included by the portal under ``cases/``."""

from django.urls import path

from dangjian.portal import cases_views

app_name = "cases"
urlpatterns = [
    path("", cases_views.mine, name="mine"),
    path("report/", cases_views.report, name="report"),
    path("report/check/", cases_views.report_check, name="report_check"),
    path("grid/", cases_views.grid_events, name="grid"),
    path("visits/", cases_views.visits_mine, name="visits"),
    path("visits/new/", cases_views.visit_new, name="visit_new"),
    path("<int:event_id>/", cases_views.detail, name="detail"),
    path("<int:event_id>/rate/", cases_views.rate, name="rate"),
    path("<int:event_id>/me-too/", cases_views.me_too, name="me_too"),
]
