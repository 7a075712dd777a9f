"""Template context shared by every page: the navigation and the grant switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import scope
from .navigation import NavBar


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": NavBar(request),
        "grants": scope.user_grants(user),
        "active_grant": scope.active_grant(user),
    }
