"""Care (帮扶) at /members/care/."""

from django.urls import path

from . import care_views

urlpatterns = [
    path("", care_views.care_list_view, name="care_list"),
    path("export/", care_views.care_export_view, name="care_export"),
    path("member/<int:pk>/new/", care_views.care_create_view, name="care_create"),
    path("<int:pk>/edit/", care_views.care_edit_view, name="care_edit"),
]
