"""Mobile pages of the dues module, included by the portal under ``dues/``."""

from django.urls import path

from dangjian.portal import dues_views

app_name = "dues"
urlpatterns = [
    path("", dues_views.my_dues, name="mine"),
    path("receipts/<int:payment_id>/", dues_views.receipt, name="receipt"),
]
