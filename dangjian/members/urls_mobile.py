"""Mobile members (mounted at /members/mobile/, in the `members` namespace)."""

from django.urls import path

from . import mobile_views as views

urlpatterns = [
    path("", views.mobile_list_view, name="mobile_list"),
    path("outflow/new/", views.mobile_pick_view, name="mobile_pick"),
    path("outflow/new/<int:pk>/", views.mobile_outflow_create_view, name="mobile_outflow_create"),
    path("inflow/new/", views.mobile_inflow_create_view, name="mobile_inflow_create"),
    path("<int:pk>/", views.mobile_detail_view, name="mobile_detail"),
    path("<int:pk>/contacts/", views.mobile_contact_view, name="mobile_contact"),
    path("<int:pk>/end/", views.mobile_end_view, name="mobile_end"),
]
