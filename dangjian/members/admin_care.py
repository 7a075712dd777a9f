"""Admin pages for care (imported by members/admin.py): care records are read here, with their
history; they are recorded and corrected on the platform's pages, whose service keeps the rules
(an amount for 慰问金, corrections only by the recorder within seven days)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from dangjian.core.admin import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import CareRecord


@admin.register(CareRecord)
class CareRecordAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["member", "cared_on", "hardship", "form", "assistance", "amount", "next_visit_on", "recorded_by"]
    list_filter = ["hardship", "form", "assistance"]
    search_fields = ["member__name", "member__name_initials", "carers"]
    list_select_related = ["member", "recorded_by"]
    date_hierarchy = "cared_on"
    ordering = ["-cared_on", "-pk"]
