"""Template context shared by every page: the navigation and the grant switcher."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from . import scope
from .navigation import visible_items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries = []
    for item in visible_items(user):
        url = reverse(item.url_name)
        active = (
            bool(re.match(item.prefix, request.path))
            if item.prefix.endswith("$")
            else (request.path.startswith(item.prefix or url))
        )
        entries.append({"label": item.label, "url": url, "icon": item.icon, "active": active})
    return {
        "nav_entries": entries,
        "grants": scope.user_grants(user),
        "active_grant": scope.active_grant(user),
    }
