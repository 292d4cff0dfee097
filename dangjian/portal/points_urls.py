"""Mobile pages of the points module, included by the portal under ``points/``."""

from django.urls import path

from dangjian.portal import points_views

app_name = "points"
urlpatterns = [
    path("", points_views.my_points, name="mine"),
    path("catalogue/", points_views.catalogue, name="catalogue"),
    path("catalogue/<int:item_id>/redeem/", points_views.redeem, name="redeem"),
    path("receipts/<int:redemption_id>/", points_views.receipt, name="receipt"),
    path("boards/", points_views.boards, name="boards"),
]
