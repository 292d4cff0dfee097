"""Mobile pages of the time bank, included by the portal under ``timebank/``."""

from django.urls import path

from dangjian.portal import timebank_views

app_name = "timebank"
urlpatterns = [
    path("", timebank_views.home, name="home"),
    path("order/", timebank_views.order_new, name="order"),
    path("orders/<int:order_id>/", timebank_views.detail, name="detail"),
    path("orders/<int:order_id>/act/", timebank_views.act, name="act"),
    path("hours/", timebank_views.hours, name="hours"),
    path("talents/", timebank_views.talents, name="talents"),
    path("rider/", timebank_views.rider, name="rider"),
]
