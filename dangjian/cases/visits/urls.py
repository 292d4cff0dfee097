"""Console pages of household visits, included by ``cases.urls`` under ``visits/``."""

from django.urls import path

from dangjian.cases.visits import views as visit_views

app_name = "visits"
urlpatterns = [
    path("", visit_views.visit_list, name="list"),
    path("new/", visit_views.visit_new, name="new"),
]
