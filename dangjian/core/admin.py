"""The Django admin for every core model, scoped for non-superusers like every page.

Organizers with staff status see only what lies in the scope of their active grant. The tree,
committees and seats are read here (with their history) and changed on the platform's pages,
whose services keep the rules: paths, terms, versions against lost updates. Accounts and grants
are managed here. Nothing is deleted: units close, grants are revoked, seats end.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from . import scope
from .models import BranchCommittee, CommitteeSeat, Grant, OrgUnit, User


class NoRevertMixin:
    """History is shown, never reverted: a revert would save around the services and their
    rules (a unit's parent without its path, a term without its predecessor)."""

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("历史版本只供查看，不能在这里恢复。")
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]


def staff_may(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and (user.is_superuser or (user.is_staff and scope.can(user, scope.Cap.ADMIN)))


class ScopedAdminMixin(NoRevertMixin):
    """Restricts the change list, the object pages and every foreign-key choice to the scope."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope.restrict(super().get_queryset(request), request.user)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        related = db_field.remote_field.model
        if hasattr(related, "scope_path"):
            kwargs["queryset"] = scope.restrict(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return staff_may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdminMixin:
    """Shown and searched here, changed on the platform's pages."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "code", "parent", "status", "established_on"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]
    ordering = ["path"]


class SeatInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CommitteeSeat
    extra = 0
    fields = ["person_name", "position", "started_on", "left_on", "left_reason", "user"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BranchCommittee)
class BranchCommitteeAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["org_unit", "term_number", "term_start", "term_end", "ended_on"]
    list_select_related = ["org_unit"]
    search_fields = ["org_unit__name"]
    inlines = [SeatInline]


@admin.register(CommitteeSeat)
class CommitteeSeatAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["person_name", "position", "committee", "started_on", "left_on"]
    list_filter = ["position"]
    search_fields = ["person_name"]
    list_select_related = ["committee__org_unit"]


@admin.register(Grant)
class GrantAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["user", "role", "org_unit", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__full_name", "org_unit__name"]
    list_select_related = ["user", "org_unit"]
    readonly_fields = ["granted_by"]
    autocomplete_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: Grant, form: Any, change: bool) -> None:
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


class GrantInline(admin.TabularInline):
    model = Grant
    fk_name = "user"
    extra = 0
    fields = ["role", "org_unit", "is_active"]

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "org_unit":
            kwargs["queryset"] = scope.units(request.user).active()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope.restrict(super().get_queryset(request), request.user)

    def get_min_num(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        # An organizer's new account comes with its first grant, or it would fall out of their
        # sight (they see accounts through their grants).
        return 1 if obj is None and not request.user.is_superuser else 0

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any):
        kwargs.setdefault("validate_min", obj is None and not request.user.is_superuser)
        return super().get_formset(request, obj, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(NoRevertMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "full_name", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "full_name"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["full_name", "email"]}),
        ("状态", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("时间", {"fields": ["last_login", "date_joined"]}),
    ]
    inlines = [GrantInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if scope.is_unrestricted(request.user) or request.user.is_superuser:
            return queryset
        # An organizer manages the accounts whose every grant lies in the organizer's scope: an
        # account that also works elsewhere (or above) is managed from a level that sees all of it.
        in_scope = scope.restrict(Grant.objects.all(), request.user).values("user_id")
        outside = Grant.objects.exclude(pk__in=scope.restrict(Grant.objects.all(), request.user)).values("user_id")
        return queryset.filter(pk__in=in_scope, is_superuser=False).exclude(pk__in=outside).exclude(pk=request.user.pk)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_staff", "is_superuser", "groups", "user_permissions", "last_login", "date_joined"]
        return fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return staff_may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
