"""Console pages of organizational life, included by the console under ``orglife/``."""

from django.urls import path

from dangjian.orglife import views
from dangjian.web.urls import file_paths

app_name = "orglife"
urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("compliance/", views.compliance_board, name="compliance"),
    path("compliance/branch/<int:org_id>/", views.compliance_branch, name="branch"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/mark/", views.session_mark, name="mark"),
    path("sessions/<int:session_id>/checkin-qr/", views.session_checkin_qr, name="checkin_qr"),
    path("sessions/<int:session_id>/qr/", views.session_checkin_screen, name="qr"),
    path(
        "sessions/<int:session_id>/mark-present/",
        views.session_mark_present,
        name="mark_present",
    ),
    path("sessions/<int:session_id>/minutes/", views.session_minutes, name="minutes"),
    path("sessions/<int:session_id>/transition/", views.session_transition, name="transition"),
    *file_paths(
        "sessions/<int:session_id>/photos/",
        views.session_photo_upload,
        views.session_photo,
        names=("photo_upload", "photo"),
    ),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("plans/<int:plan_id>/items/new/", views.plan_item_new, name="plan_item_new"),
    path("plans/items/<int:item_id>/", views.plan_item_edit, name="plan_item"),
    path("plans/items/<int:item_id>/delete/", views.plan_item_delete, name="plan_item_delete"),
]
