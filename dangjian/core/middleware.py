"""Request middleware: the active grant, and the two-factor requirement for organizers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import scope
from .choices import Role

ACTIVE_GRANT_SESSION_KEY = "active_grant_id"
ORGANIZER_ROLES = frozenset({Role.DISTRICT_ORGANIZER, Role.SUBDISTRICT_ORGANIZER})


class ActiveGrantMiddleware:
    """Sets the signed-in user's active grant from the session (the one chosen in the header)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            grant = scope.set_active_grant(user, request.session.get(ACTIVE_GRANT_SESSION_KEY))
            request.grant = grant
        else:
            request.grant = None
        return self.get_response(request)


def requires_two_factor(user) -> bool:
    """Organizers must sign in with a second factor unless the deployment turns that off."""
    if not settings.DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS or not user.is_authenticated:
        return False
    return any(grant.role in ORGANIZER_ROLES for grant in scope.user_grants(user))


class TwoFactorRequiredMiddleware:
    """An organizer who has not verified a second factor may only set one up or sign out."""

    ALLOWED_URL_NAMES = ("core:twofactor_setup", "core:logout", "core:login", "core:login_otp")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified() and requires_two_factor(user):
            allowed = {reverse(name) for name in self.ALLOWED_URL_NAMES}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse({"detail": "请先设置并验证双重验证。"}, status=403)
                return redirect("core:twofactor_setup")
        return self.get_response(request)
