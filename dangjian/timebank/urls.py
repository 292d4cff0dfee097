"""Console pages of the time bank, included by the console under ``timebank/``."""

from django.urls import path

from dangjian.timebank import import_views, talent_views, views

app_name = "timebank"
urlpatterns = [
    path("", views.orders, name="orders"),
    path("orders/<int:order_id>/", views.order_page, name="order"),
    path("orders/<int:order_id>/act/", views.order_act, name="order_act"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:team_id>/", views.team_page, name="team"),
    path("talents/", talent_views.talents, name="talents"),
    path("talents/<int:talent_id>/", talent_views.talent_page, name="talent"),
    path("talents/<int:talent_id>/active/", talent_views.talent_active, name="talent_active"),
    path("stations/", views.stations, name="stations"),
    *(
        path(f"{kind}/import/{tail}", view, {"kind": kind}, name=f"{kind}_import{suffix}")
        for kind in import_views.KINDS
        for tail, view, suffix in (
            ("", import_views.import_page, ""),
            ("template/", import_views.import_template, "_template"),
        )
    ),
    path("riders/", views.rider_list, name="riders"),
    path("riders/<int:rider_id>/assistant/", views.rider_assistant, name="rider_assistant"),
    path("hours/", views.hours, name="hours"),
]
