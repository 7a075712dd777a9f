"""The admin site: signed in through the platform's own login, second factor included."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp import devices_for_user


class PlatformAdminSite(admin.AdminSite):
    site_header = "社区党建工作平台 · 管理后台"
    site_title = "社区党建工作平台"
    index_title = "数据管理"

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but refused by has_permission(): sending them to sign in again would loop.
            raise PermissionDenied("管理后台只供区、街道组织部门的管理员使用；已启用双重验证的账号须先完成验证。")
        # The admin's own form would skip the second factor and the lockout page.
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("core:login"))

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        user = request.user
        # Whoever has a second factor must have used it in this session.
        return user.is_verified() or not any(devices_for_user(user, confirmed=True))
