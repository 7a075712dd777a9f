"""Admin pages for dues (imported by members/admin.py): scoped like the pages and read-only,
because every change goes through the services (bracket versions, the ledger's locks, approval
by someone other than the requester)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from dangjian.core.admin import NoRevertMixin, ReadOnlyAdminMixin, ScopedAdminMixin, staff_may

from .models import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule


@admin.register(DuesRule)
class DuesRuleAdmin(ReadOnlyAdminMixin, NoRevertMixin, SimpleHistoryAdmin):
    """The brackets are platform-wide: read here, changed on the rules page by the district."""

    list_display = ["income_class", "upper_bound", "rate_percent", "fixed_amount", "version", "updated_at"]
    list_filter = ["income_class"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DuesBase)
class DuesBaseAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["member", "year", "income_class", "monthly_income", "monthly_amount", "set_by", "updated_at"]
    list_filter = ["year", "income_class"]
    search_fields = ["member__name", "member__name_initials"]
    list_select_related = ["member", "set_by"]


@admin.register(DuesMonth)
class DuesMonthAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["member", "month", "amount_due", "status", "payment", "relief"]
    list_filter = ["status", "month"]
    search_fields = ["member__name", "member__name_initials"]
    list_select_related = ["member", "payment", "payment__member", "relief", "relief__member"]
    date_hierarchy = "month"


@admin.register(DuesPayment)
class DuesPaymentAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["member", "amount", "paid_on", "kind", "method", "receipt_number", "recorded_by"]
    list_filter = ["kind", "method"]
    search_fields = ["member__name", "member__name_initials", "receipt_number"]
    list_select_related = ["member", "recorded_by"]
    date_hierarchy = "paid_on"


@admin.register(DuesRelief)
class DuesReliefAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["member", "kind", "start_month", "end_month", "reduced_amount", "status", "requested_by"]
    list_filter = ["kind", "status"]
    search_fields = ["member__name", "member__name_initials"]
    list_select_related = ["member", "requested_by"]
