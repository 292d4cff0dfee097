"""Mobile pages of organizational life, included by the portal under ``orglife/``."""

from django.urls import path

from dangjian.portal import orglife_views

app_name = "orglife"
urlpatterns = [
    path("", orglife_views.upcoming, name="upcoming"),
    path("attendance/", orglife_views.attendance, name="attendance"),
    path("checkin/<str:token>/", orglife_views.checkin, name="checkin"),
    path("sessions/<int:session_id>/", orglife_views.session, name="session"),
    path("sessions/<int:session_id>/rate/", orglife_views.rate, name="rate"),
]
