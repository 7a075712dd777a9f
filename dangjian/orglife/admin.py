"""The admin for organizational life: scoped like the pages. Meetings, attendance, attachments and
tasks are read here — they change on the platform's pages, whose services fix the figures, the
quorum and the versions. The frequency rules are platform-wide: shown to staff, edited on the
rules page by the district."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from dangjian.core.admin import NoRevertMixin, ReadOnlyAdminMixin, ScopedAdminMixin, staff_may

from .models import Attendance, Meeting, MeetingAttachment, MeetingRule, MemberTask


class AttendanceInline(admin.TabularInline):
    model = Attendance
    fields = ["member", "status", "reason", "held_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("member")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "held_on",
        "branch",
        "kind",
        "title",
        "status",
        "expected_count",
        "present_count",
        "quorum_met",
    ]
    list_filter = ["kind", "status", "quorum_met"]
    search_fields = ["title", "branch__name"]
    list_select_related = ["branch"]
    date_hierarchy = "held_on"
    inlines = [AttendanceInline]


@admin.register(MeetingAttachment)
class MeetingAttachmentAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "meeting", "uploaded_by", "uploaded_at"]
    list_select_related = ["meeting", "uploaded_by"]
    # Files are served only through the scoped download page, never by a direct link.
    exclude = ["file"]


@admin.register(MemberTask)
class MemberTaskAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "member", "assigned_on", "due_on", "status", "done_on"]
    list_filter = ["status"]
    search_fields = ["title", "member__name"]
    list_select_related = ["member"]
    date_hierarchy = "assigned_on"


@admin.register(MeetingRule)
class MeetingRuleAdmin(ReadOnlyAdminMixin, NoRevertMixin, SimpleHistoryAdmin):
    """Platform-wide rows: staff read them with their history; the district edits them on the rules
    page, whose service checks versions."""

    list_display = ["kind", "frequency", "times", "is_required", "version", "updated_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
