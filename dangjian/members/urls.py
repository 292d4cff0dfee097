"""Console pages of the member registry, included by the console under ``members/``."""

from django.urls import path

from dangjian.members import (
    views,
    views_committee,
    views_elections,
    views_jobs,
    views_more,
    views_sanctions,
    views_transfers,
)

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.member_new, name="new"),
    path("export/", views.member_export, name="export"),
    path("import/", views.member_import, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("stats/", views.member_stats, name="stats"),
    path("jobs/", views_jobs.job_list, name="jobs"),
    path("jobs/<int:job_id>/", views_jobs.job_detail, name="job"),
    path("jobs/<int:job_id>/progress/", views_jobs.job_progress, name="job_progress"),
    path("jobs/<int:job_id>/file/", views_jobs.job_file, name="job_file"),
    path("jobs/<int:job_id>/cancel/", views_jobs.job_cancel, name="job_cancel"),
    path("checkins/", views.checkin_list, name="checkins"),
    path("checkins/<int:checkin_id>/", views_more.checkin_detail, name="checkin"),
    path("committees/<int:org_id>/", views_committee.committee_page, name="committee"),
    path(
        "committees/<int:org_id>/postpone/",
        views_elections.committee_postpone,
        name="committee_postpone",
    ),
    path("committees/<int:org_id>/seats/", views_elections.committee_seat_add, name="seat_add"),
    path(
        "committees/<int:org_id>/seats/<int:seat_id>/end/",
        views_elections.committee_seat_end,
        name="seat_end",
    ),
    path("elections/", views_elections.elections_due, name="elections_due"),
    path("committees/import/", views_elections.committees_import, name="committees_import"),
    path(
        "committees/import/template/",
        views_elections.committees_import_template,
        name="committees_import_template",
    ),
    path("transfers/", views_transfers.transfer_list, name="transfers"),
    path(
        "transfers/<int:transfer_id>/transition/",
        views_transfers.transfer_transition,
        name="transition",
    ),
    path("mobile/<int:registration_id>/end/", views.mobile_end, name="mobile_end"),
    path("options/orgs/", views.org_options, name="org_options"),
    path("options/areas/", views.area_options, name="area_options"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/edit/", views.member_edit, name="edit"),
    path("<int:member_id>/photo/", views_more.member_photo, name="photo"),
    path("<int:member_id>/photo/upload/", views_more.member_photo_upload, name="photo_upload"),
    path("<int:member_id>/photo/remove/", views_more.member_photo_remove, name="photo_remove"),
    path("<int:member_id>/reveal/", views.member_reveal, name="reveal"),
    path("<int:member_id>/transfer/", views_transfers.member_transfer, name="transfer"),
    path("<int:member_id>/mobile/", views.member_mobile, name="mobile"),
    path("<int:member_id>/sanctions/", views_sanctions.sanction_new, name="sanction_new"),
    path(
        "<int:member_id>/sanctions/<int:sanction_id>/revoke/",
        views_sanctions.sanction_revoke,
        name="sanction_revoke",
    ),
]
