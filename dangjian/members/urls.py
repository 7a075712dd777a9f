from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.member_list_view, name="member_list"),
    path("export/", views.member_export_view, name="member_export"),
    path("new/", views.member_create_view, name="member_create"),
    path("unmask-log/", views.unmask_log_view, name="unmask_log"),
    path("<int:pk>/", views.member_detail_view, name="member_detail"),
    path("<int:pk>/edit/", views.member_edit_view, name="member_edit"),
    path("<int:pk>/unmask/", views.member_unmask_view, name="member_unmask"),
]
