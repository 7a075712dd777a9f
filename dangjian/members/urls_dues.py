"""Party dues (党费), mounted at /members/dues/ inside the `members` namespace."""

from django.urls import path

from . import dues_views as views

urlpatterns = [
    path("", views.dues_ledger_view, name="dues_ledger"),
    path("open/", views.dues_open_view, name="dues_open"),
    path("rules/", views.dues_rules_view, name="dues_rules"),
    path("rules/edit/", views.dues_rules_edit_view, name="dues_rules_edit"),
    path("bases/", views.dues_bases_view, name="dues_bases"),
    path("bases/edit/", views.dues_bases_edit_view, name="dues_bases_edit"),
    path("bases/template/", views.dues_bases_template_view, name="dues_bases_template"),
    path("bases/import/", views.dues_bases_import_view, name="dues_bases_import"),
    path("batch/", views.dues_batch_view, name="dues_batch"),
    path("member/<int:pk>/", views.dues_member_view, name="dues_member"),
    path("member/<int:pk>/pay/", views.dues_pay_view, name="dues_pay"),
    path("member/<int:pk>/base/", views.dues_member_base_view, name="dues_member_base"),
    path("member/<int:pk>/relief/", views.dues_relief_request_view, name="dues_relief_request"),
    path("reliefs/", views.dues_relief_list_view, name="dues_relief_list"),
    path("reliefs/<int:pk>/", views.dues_relief_detail_view, name="dues_relief_detail"),
    path("reliefs/<int:pk>/approve/", views.dues_relief_approve_view, name="dues_relief_approve"),
    path("reliefs/<int:pk>/refuse/", views.dues_relief_refuse_view, name="dues_relief_refuse"),
    path("arrears/", views.dues_arrears_view, name="dues_arrears"),
    path("arrears/export/", views.dues_arrears_export_view, name="dues_arrears_export"),
]
