"""Console pages of the dashboard, included by the console under ``dashboard/``."""

from django.urls import path

from dangjian.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("compliance/", views.compliance, name="compliance"),
    path("arrears/", views.arrears, name="arrears"),
]
