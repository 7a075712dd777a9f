"""Pages of organizational life, mounted at /life/ (namespace `orglife`)."""

from django.urls import path

from . import views

app_name = "orglife"

urlpatterns = [
    path("", views.meeting_list_view, name="meeting_list"),
    path("meetings/new/", views.meeting_create_view, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail_view, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit_view, name="meeting_edit"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance_view, name="meeting_attendance"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel_view, name="meeting_cancel"),
    path("meetings/<int:pk>/print/", views.meeting_print_view, name="meeting_print"),
    path("meetings/<int:pk>/attachments/", views.attachment_upload_view, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download_view, name="attachment_download"),
    path("attachments/<int:pk>/delete/", views.attachment_delete_view, name="attachment_delete"),
    path("rules/", views.rule_list_view, name="rule_list"),
    path("rules/edit/", views.rule_edit_view, name="rule_edit"),
    path("compliance/", views.compliance_view, name="compliance"),
    path("compliance/export/", views.compliance_export_view, name="compliance_export"),
    path("tasks/", views.task_list_view, name="task_list"),
    path("tasks/new/", views.task_create_view, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail_view, name="task_detail"),
    path("tasks/<int:pk>/done/", views.task_done_view, name="task_done"),
    path("tasks/<int:pk>/cancel/", views.task_cancel_view, name="task_cancel"),
]
