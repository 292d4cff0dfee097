"""Console pages of the grid event closed loop, included by the console under ``cases/``."""

from django.urls import include, path

from dangjian.cases import intake_views, views
from dangjian.web.urls import file_paths

app_name = "cases"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
    path("batch/dispatch/", views.event_batch_dispatch, name="batch_dispatch"),
    path("new/", intake_views.intake, name="intake"),
    path("new/check/", intake_views.intake_check, name="intake_check"),
    path("classes/", views.taxonomy, name="taxonomy"),
    path("metrics/", views.metrics, name="metrics"),
    path("metrics/export/", views.metrics_export, name="metrics_export"),
    path("visits/", include("dangjian.cases.visits.urls")),
    path("<int:event_id>/", views.event_detail, name="detail"),
    path("<int:event_id>/transition/", views.event_transition, name="transition"),
    *file_paths(
        "<int:event_id>/attachments/",
        views.event_attach,
        views.attachment,
        names=("attach", "attachment"),
        file_id="attachment_id",
    ),
]
