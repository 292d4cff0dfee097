"""Console pages of the member registry, included by the console under ``members/``."""

from django.urls import path

from dangjian.members import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.member_new, name="new"),
    path("export/", views.member_export, name="export"),
    path("import/", views.member_import, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("stats/", views.member_stats, name="stats"),
    path("checkins/", views.checkin_list, name="checkins"),
    path("transfers/", views.transfer_list, name="transfers"),
    path(
        "transfers/<int:transfer_id>/transition/",
        views.transfer_transition,
        name="transition",
    ),
    path("mobile/<int:registration_id>/end/", views.mobile_end, name="mobile_end"),
    path("options/orgs/", views.org_options, name="org_options"),
    path("options/areas/", views.area_options, name="area_options"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/edit/", views.member_edit, name="edit"),
    path("<int:member_id>/reveal/", views.member_reveal, name="reveal"),
    path("<int:member_id>/transfer/", views.member_transfer, name="transfer"),
    path("<int:member_id>/mobile/", views.member_mobile, name="mobile"),
]
