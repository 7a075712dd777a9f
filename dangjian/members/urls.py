from django.urls import include, path

from . import development_views, views

app_name = "members"

urlpatterns = [
    path("", views.member_list_view, name="member_list"),
    path("export/", views.member_export_view, name="member_export"),
    path("new/", views.member_create_view, name="member_create"),
    path("me/", views.my_record_view, name="my_record"),
    # The member page's tabs, each loaded when first opened (staff by pk; a member's own record).
    path("me/tab/relationship/", views.my_tab_relationship_view, name="my_tab_relationship"),
    path("me/tab/life/", views.my_tab_life_view, name="my_tab_life"),
    path("me/tab/dues/", views.my_tab_dues_view, name="my_tab_dues"),
    path("me/tab/care/", views.my_tab_care_view, name="my_tab_care"),
    path("unmask-log/", views.unmask_log_view, name="unmask_log"),
    path("import/", views.import_start_view, name="import_start"),
    path("import/template/", views.import_template_view, name="import_template"),
    path("import/history/", views.import_history_view, name="import_history"),
    path("import/<int:pk>/", views.import_batch_view, name="import_batch"),
    path("import/<int:pk>/progress/", views.import_progress_view, name="import_progress"),
    path("import/<int:pk>/confirm/", views.import_confirm_view, name="import_confirm"),
    path("import/<int:pk>/errors/", views.import_errors_view, name="import_errors"),
    # The development pipeline (发展党员); each step is its own POST route.
    path("development/", development_views.development_list_view, name="development_list"),
    path("development/new/", development_views.development_create_view, name="development_create"),
    path("development/rules/", development_views.development_rules_view, name="development_rules"),
    path("development/rules/edit/", development_views.development_rules_edit_view, name="development_rules_edit"),
    path("development/<int:pk>/", development_views.development_detail_view, name="development_detail"),
    path("development/<int:pk>/activist/", development_views.development_activist_view, name="development_activist"),
    path("development/<int:pk>/candidate/", development_views.development_candidate_view, name="development_candidate"),
    path("development/<int:pk>/admit/", development_views.development_admit_view, name="development_admit"),
    path("development/<int:pk>/extend/", development_views.development_extend_view, name="development_extend"),
    path("development/<int:pk>/confirm/", development_views.development_confirm_view, name="development_confirm"),
    path("development/<int:pk>/stop/", development_views.development_stop_view, name="development_stop"),
    # Relationship transfers and letters, mobile members, dues, care: each area's own URLconf.
    path("transfers/", include("dangjian.members.urls_transfers")),
    path("mobile/", include("dangjian.members.urls_mobile")),
    path("dues/", include("dangjian.members.urls_dues")),
    path("care/", include("dangjian.members.urls_care")),
    path("<int:pk>/", views.member_detail_view, name="member_detail"),
    path("<int:pk>/edit/", views.member_edit_view, name="member_edit"),
    path("<int:pk>/tab/relationship/", views.member_tab_relationship_view, name="member_tab_relationship"),
    path("<int:pk>/tab/life/", views.member_tab_life_view, name="member_tab_life"),
    path("<int:pk>/tab/dues/", views.member_tab_dues_view, name="member_tab_dues"),
    path("<int:pk>/tab/care/", views.member_tab_care_view, name="member_tab_care"),
    path("<int:pk>/unmask/", views.member_unmask_view, name="member_unmask"),
]
