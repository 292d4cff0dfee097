"""Console pages of the dues module, included by the console under ``dues/``."""

from django.urls import path

from dangjian.dues import views

app_name = "dues"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("pay-batch/", views.pay_batch, name="pay_batch"),
    path("members/<int:member_id>/", views.member_page, name="member"),
    path("members/<int:member_id>/pay/", views.pay, name="pay"),
    path("payments/<int:payment_id>/receipt/", views.receipt, name="receipt"),
    path("payments/<int:payment_id>/reverse/", views.reverse, name="reverse"),
    path(
        "hardships/<int:hardship_id>/transition/",
        views.hardship_transition,
        name="hardship_transition",
    ),
    path("remittances/", views.remittance_list, name="remittances"),
    path("remittances/new/", views.remittance_new, name="remittance_new"),
    path("funds/", views.funds_page, name="funds"),
]
