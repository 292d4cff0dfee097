"""The mobile pages under /m/. Each module includes its own URLconf here."""

from django.urls import include, path

from dangjian.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", include("dangjian.portal.cases_urls")),
    path("development/", include("dangjian.portal.development_urls")),
    path("orglife/", include("dangjian.portal.orglife_urls")),
    path("dues/", include("dangjian.portal.dues_urls")),
]
