"""Mobile pages of member development, included by the portal under ``development/``."""

from django.urls import path

from dangjian.portal import development_views

app_name = "development"
urlpatterns = [
    path("", development_views.progress, name="progress"),
]
