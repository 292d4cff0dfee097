"""Console pages of the points module, included by the console under ``points/``."""

from django.urls import path

from dangjian.points import views

app_name = "points"
urlpatterns = [
    path("", views.scheme_list, name="schemes"),
    path("schemes/<int:scheme_id>/", views.scheme_page, name="scheme"),
    path("review/", views.review, name="review"),
    path("awards/", views.award_list, name="awards"),
    path("redemptions/", views.redemption_list, name="redemptions"),
    path("awards/<int:award_id>/transition/", views.award_transition, name="award_transition"),
    path("counter/", views.counter, name="counter"),
]
