"""Admin pages of oversight: cases, their actions, scan runs and reminders are read here, scoped
like the pages. Cases are worked on the platform's pages, whose services keep the version and
the outcome rules; scans run from the page, the task or the command; reminders are computed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from dangjian.core import scope
from dangjian.core.admin import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import Case, CaseAction, Reminder, ScanRun


class CaseActionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseAction
    extra = 0
    fields = ["at", "kind", "note", "by"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["member", "kind", "status", "branch", "assignee", "opened_at", "outcome", "closed_at"]
    list_filter = ["kind", "status", "outcome"]
    search_fields = ["member__name", "member__name_initials", "summary"]
    list_select_related = ["member", "branch", "assignee"]
    date_hierarchy = "opened_at"
    raw_id_fields = ["member", "transfer", "mobile", "scan"]
    inlines = [CaseActionInline]


@admin.register(CaseAction)
class CaseActionAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "case", "kind", "by"]
    list_filter = ["kind"]
    list_select_related = ["case__member", "by"]
    date_hierarchy = "at"


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["org_unit", "as_of", "started_at", "finished_at", "members_scanned", "opened_total", "by"]
    list_select_related = ["org_unit", "by"]
    date_hierarchy = "started_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "org_unit", "kind", "title", "due_on", "created_at", "read_at", "emailed_at", "resolved_at"]
    list_filter = ["kind"]
    search_fields = ["title"]
    list_select_related = ["user", "org_unit"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Reminders are personal: an organizer sees their own here, not those of the people below.
        queryset = super().get_queryset(request)
        return queryset if scope.is_unrestricted(request.user) else queryset.filter(user=request.user)
