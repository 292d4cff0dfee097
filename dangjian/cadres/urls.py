"""Console pages of the cadres: no namespace of their own; the console mounts them in the
``members`` namespace beside the registry's pages (``console:members:cadres``), under
``/members/cadres/``."""

from django.urls import path

from dangjian.cadres import views

urlpatterns = [
    path("cadres/", views.cadre_list, name="cadres"),
    path("cadres/new/", views.cadre_new, name="cadre_new"),
    path("cadres/<int:cadre_id>/edit/", views.cadre_edit, name="cadre_edit"),
    path("cadres/<int:cadre_id>/end/", views.cadre_end, name="cadre_end"),
    path("cadres/reserves/", views.reserve_list, name="reserves"),
    path("cadres/mentorships/", views.mentorship_list, name="mentorships"),
]
