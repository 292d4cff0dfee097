"""The mobile pages under /m/. Each module includes its own URLconf here."""

from django.urls import include, path

from dangjian.portal import accounts_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", include("dangjian.portal.cases_urls")),
    path("development/", include("dangjian.portal.development_urls")),
    path("orglife/", include("dangjian.portal.orglife_urls")),
    path("dues/", include("dangjian.portal.dues_urls")),
    path("timebank/", include("dangjian.portal.timebank_urls")),
    path("register/", accounts_views.register, name="register"),
    path("registrations/", accounts_views.registrations, name="registrations"),
    path(
        "registrations/<int:registration_id>/",
        accounts_views.decide,
        name="registration_decide",
    ),
]
