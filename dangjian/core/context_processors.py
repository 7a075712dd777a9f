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
    matched: list[tuple[int, int]] = []  # (prefix length, entry index) of each entry the path matches
    for item in visible_items(user):
        url = reverse(item.url_name)
        prefix = item.prefix or url
        active = bool(re.match(prefix, request.path)) if prefix.endswith("$") else request.path.startswith(prefix)
        if active:
            matched.append((len(prefix), len(entries)))
        entries.append({"label": item.label, "url": url, "icon": item.icon, "active": False})
    if matched:
        # Only the most specific entry is marked: /members/development/ is not also /members/.
        entries[max(matched)[1]]["active"] = True
    return {
        "nav_entries": entries,
        "grants": scope.user_grants(user),
        "active_grant": scope.active_grant(user),
    }
