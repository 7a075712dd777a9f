from django.urls import path

from . import views

app_name = "oversight"

urlpatterns = [
    # Blind-spot cases (盲点); each action on a case is its own POST route.
    path("cases/", views.case_list_view, name="case_list"),
    path("cases/<int:pk>/", views.case_detail_view, name="case_detail"),
    path("cases/<int:pk>/note/", views.case_note_view, name="case_note"),
    path("cases/<int:pk>/assign/", views.case_assign_view, name="case_assign"),
    path("cases/<int:pk>/close/", views.case_close_view, name="case_close"),
    path("cases/<int:pk>/reopen/", views.case_reopen_view, name="case_reopen"),
    # Scan runs, and starting one.
    path("scans/", views.scan_list_view, name="scan_list"),
    path("scans/start/", views.scan_start_view, name="scan_start"),
    # The reminder centre: the reminder's id travels in the body, so only the user's own is found.
    path("reminders/", views.reminder_list_view, name="reminder_list"),
    path("reminders/read/", views.reminder_read_view, name="reminder_read"),
    path("reminders/read-all/", views.reminder_read_all_view, name="reminder_read_all"),
]
