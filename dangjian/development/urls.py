"""Console pages of member development, included by the console under ``development/``."""

from django.urls import path

from dangjian.development import views

app_name = "development"
urlpatterns = [
    path("", views.applicant_list, name="list"),
    path("new/", views.applicant_new, name="new"),
    path("board/", views.board, name="board"),
    path("board/targets/", views.target_set, name="target_set"),
    path("<int:applicant_id>/", views.applicant_detail, name="detail"),
    path("<int:applicant_id>/transition/", views.applicant_transition, name="transition"),
]
