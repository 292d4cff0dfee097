"""The mobile pages under /m/. Each module includes its own URLconf here."""

from django.urls import path

from dangjian.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
]
