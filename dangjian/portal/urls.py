"""The mobile pages under /m/. Each module includes its own URLconf here."""

from django.urls import include, path

from dangjian.portal import accounts_views, inbox_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("todos/", inbox_views.todos, name="todos"),
    path("notifications/", inbox_views.notifications, name="notifications"),
    path("notifications/read/", inbox_views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/<int:notification_id>/open/",
        inbox_views.notification_open,
        name="notification_open",
    ),
    path("cases/", include("dangjian.portal.cases_urls")),
    path("development/", include("dangjian.portal.development_urls")),
    path("orglife/", include("dangjian.portal.orglife_urls")),
    path("dues/", include("dangjian.portal.dues_urls")),
    path("points/", include("dangjian.portal.points_urls")),
    path("assessment/", include("dangjian.portal.assessment_urls")),
    path("timebank/", include("dangjian.portal.timebank_urls")),
    path("register/", accounts_views.register, name="register"),
    path("registrations/", accounts_views.registrations, name="registrations"),
    path(
        "registrations/<int:registration_id>/",
        accounts_views.decide,
        name="registration_decide",
    ),
]
