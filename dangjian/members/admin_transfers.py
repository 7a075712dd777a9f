"""Admin pages for transfers and mobile members (imported by members/admin.py).

All read-only and scoped like the pages: letters take their numbers, change state and move
members only through the services, and contacts move the last contact date and close cases.
The encrypted numbers never reach an admin page; their masked forms do. The letter number
sequence is internal to the numbering service and has no admin page.
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from dangjian.core.admin import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import ContactLog, MobileMember, Transfer


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["letter_number", "name", "direction", "status", "branch", "to_branch", "issued_on", "expires_on"]
    list_filter = ["direction", "status"]
    search_fields = ["name", "letter_number"]
    list_select_related = ["branch", "to_branch"]
    date_hierarchy = "issued_on"
    exclude = ["id_number", "phone"]
    readonly_fields = ["id_number_masked", "phone_masked"]

    @admin.display(description="公民身份号码")
    def id_number_masked(self, transfer: Transfer) -> str:
        return transfer.id_number_masked

    @admin.display(description="联系电话")
    def phone_masked(self, transfer: Transfer) -> str:
        return transfer.phone_masked


class ContactLogInline(admin.TabularInline):
    model = ContactLog
    fields = ["contacted_on", "channel", "result", "notes", "by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MobileMember)
class MobileMemberAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["member", "direction", "status", "place", "since", "last_contact_on"]
    list_filter = ["direction", "status", "reason"]
    search_fields = ["member__name", "place", "card_number"]
    list_select_related = ["member"]
    exclude = ["contact_phone"]
    readonly_fields = ["contact_phone_masked"]
    inlines = [ContactLogInline]

    @admin.display(description="联系电话")
    def contact_phone_masked(self, mobile: MobileMember) -> str:
        return mobile.contact_phone_masked


@admin.register(ContactLog)
class ContactLogAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["mobile", "contacted_on", "channel", "result", "by"]
    list_filter = ["channel", "result"]
    list_select_related = ["mobile__member", "by"]
    date_hierarchy = "contacted_on"
