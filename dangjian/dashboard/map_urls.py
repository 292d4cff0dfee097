"""Console pages of the one map, the big screen and the statistical reports (included by the
console's URLs)."""

from django.urls import path

from dangjian.dashboard import views_map, views_reports

app_name = "map"
urlpatterns = [
    path("map/", views_map.map_page, name="map"),
    path("screen/", views_map.screen_page, name="screen"),
    path("reports/", views_reports.report_list, name="reports"),
    path("reports/<slug:table>/", views_reports.report_detail, name="report"),
]
