"""Template context shared by every page: the navigation and the grant switcher."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from . import scope
from .navigation import NAV_GROUPS, visible_items


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
        entries.append({"label": item.label, "url": url, "icon": item.icon, "active": False, "group": item.group})
    if matched:
        # Only the most specific entry is marked: /members/development/ is not also /members/.
        entries[max(matched)[1]]["active"] = True
    return {
        "nav_entries": _grouped(entries),
        "grants": scope.user_grants(user),
        "active_grant": scope.active_grant(user),
    }


def _grouped(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gather grouped entries into one drop-down per group, placed where its first entry stood;
    a group with a single visible entry stays a plain link."""
    groups: dict[str, dict[str, Any]] = {}
    result: list[dict[str, Any]] = []
    for entry in entries:
        group = entry["group"]
        if not group:
            result.append(entry)
            continue
        if group not in groups:
            groups[group] = {"label": group, "icon": NAV_GROUPS.get(group, "list"), "active": False, "children": []}
            result.append(groups[group])
        groups[group]["children"].append(entry)
        groups[group]["active"] = groups[group]["active"] or entry["active"]
    # ("children", not "items": a template's `entry.items` would find the dict's own method.)
    return [entry["children"][0] if len(entry.get("children", ())) == 1 else entry for entry in result]
