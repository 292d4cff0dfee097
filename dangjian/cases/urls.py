"""Console pages of the grid event closed loop, included by the console under ``cases/``."""

from django.urls import include, path

from dangjian.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
    path("classes/", views.taxonomy, name="taxonomy"),
    path("metrics/", views.metrics, name="metrics"),
    path("metrics/export/", views.metrics_export, name="metrics_export"),
    path("visits/", include("dangjian.cases.visit_urls")),
    path("<int:event_id>/", views.event_detail, name="detail"),
    path("<int:event_id>/transition/", views.event_transition, name="transition"),
    path("<int:event_id>/attachments/", views.event_attach, name="attach"),
    path("<int:event_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
