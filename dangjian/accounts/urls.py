"""Console pages of users, grants, departments and residents' registration, included by the
console under ``users/``."""

from django.urls import path

from dangjian.accounts import views, views_more

app_name = "accounts"
urlpatterns = [
    path("", views.user_list, name="users"),
    path("new/", views.user_create, name="user_create"),
    path("import/", views.user_import, name="user_import"),
    path("import/template/", views.user_import_template, name="user_import_template"),
    path("<int:user_id>/", views.user_detail, name="user_detail"),
    path("<int:user_id>/edit/", views.user_edit, name="user_edit"),
    path("<int:user_id>/reset-password/", views.user_reset_password, name="user_reset"),
    path("<int:user_id>/active/", views.user_active, name="user_active"),
    path("<int:user_id>/grants/", views.grant_add, name="grant_add"),
    path("grants/<int:grant_id>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("departments/", views_more.department_list, name="departments"),
    path("departments/<int:department_id>/", views_more.department_edit, name="department_edit"),
    path("registrations/", views_more.registration_list, name="registrations"),
    path(
        "registrations/<int:registration_id>/",
        views_more.registration_decide,
        name="registration_decide",
    ),
    path("invitations/", views_more.invitation_list, name="invitations"),
]
