"""The admin for the members app: scoped like the pages, and never showing a number in clear.

Members, development records, import batches and the unmask log are read here; they change on
the platform's pages, which mask the numbers and log every showing. Categories are kept here by
the district.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from dangjian.core import scope
from dangjian.core.admin import NoRevertMixin, ReadOnlyAdminMixin, ScopedAdminMixin, staff_may
from dangjian.core.models import ImportBatch

from .models import Development, Member, MemberCategory, UnmaskLog


@admin.register(Member)
class MemberAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "gender", "branch", "membership_type", "standing", "status", "id_number_masked"]
    list_filter = ["membership_type", "standing", "status", "categories"]
    search_fields = ["name", "name_initials"]
    list_select_related = ["branch"]
    # The encrypted fields never reach an admin page; their masked forms do.
    exclude = ["id_number", "phone"]
    readonly_fields = ["id_number_masked", "phone_masked"]

    @admin.display(description="公民身份号码")
    def id_number_masked(self, member: Member) -> str:
        return member.id_number_masked

    @admin.display(description="手机号码")
    def phone_masked(self, member: Member) -> str:
        return member.phone_masked


@admin.register(Development)
class DevelopmentAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "branch", "stage", "applied_on"]
    list_filter = ["stage"]
    search_fields = ["name"]
    list_select_related = ["branch"]
    exclude = ["id_number", "phone"]


@admin.register(UnmaskLog)
class UnmaskLogAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "member", "field", "ip_address"]
    list_filter = ["field"]
    list_select_related = ["user", "member"]
    date_hierarchy = "at"


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "file_name",
        "status",
        "total_rows",
        "new_count",
        "updated_count",
        "created_by",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
    exclude = ["content"]


@admin.register(MemberCategory)
class MemberCategoryAdmin(NoRevertMixin, SimpleHistoryAdmin):
    """Categories are shared by the whole platform: the district keeps them; built-in ones stay."""

    list_display = ["name", "code", "is_builtin", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]

    def _may(self, request: HttpRequest) -> bool:
        return staff_may(request) and (request.user.is_superuser or scope.can(request.user, scope.Cap.RULES_MANAGE))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def get_readonly_fields(self, request: HttpRequest, obj: MemberCategory | None = None) -> list[str]:
        return ["code"] if obj is not None and obj.is_builtin else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Each area of the members app registers its own admin pages.
from . import admin_care, admin_dues, admin_transfers  # noqa: E402, F401
