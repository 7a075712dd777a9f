"""Relationship transfers and introduction letters (mounted at /members/transfers/, in the
`members` namespace). Each action on a letter is its own POST route."""

from django.urls import path

from . import transfer_views as views

urlpatterns = [
    path("", views.transfer_list_view, name="transfer_list"),
    path("incoming/", views.transfer_incoming_view, name="transfer_incoming"),
    path("new/", views.transfer_pick_view, name="transfer_pick"),
    path("out/new/<int:pk>/", views.transfer_out_create_view, name="transfer_out_create"),
    path("within/new/<int:pk>/", views.transfer_within_create_view, name="transfer_within_create"),
    path("in/new/", views.transfer_in_create_view, name="transfer_in_create"),
    path("<int:pk>/", views.transfer_detail_view, name="transfer_detail"),
    path("<int:pk>/report/", views.transfer_report_view, name="transfer_report"),
    path("<int:pk>/return/", views.transfer_return_view, name="transfer_return"),
    path("<int:pk>/cancel/", views.transfer_cancel_view, name="transfer_cancel"),
    path("<int:pk>/reissue/", views.transfer_reissue_view, name="transfer_reissue"),
    path("<int:pk>/register/", views.transfer_register_view, name="transfer_register"),
    path("<int:pk>/print/", views.transfer_print_view, name="transfer_print"),
]
