"""The navigation bar: one list of entries, each shown only to roles that may use it.

Entries with a `group` are shown together in that group's drop-down menu (NAV_GROUPS gives its
icon); a group with one visible entry shows as that entry alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import scope
from .templatetags.page_urls import page_url


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    cap: scope.Cap | None = None
    # The URL prefix that marks the entry active (the longest matching prefix wins, so
    # "/members/development/" is not also "/members/").
    prefix: str = ""
    staff_only: bool = False
    group: str = ""


# Drop-down groups of the navigation bar and their icons, in the order of their first entry.
NAV_GROUPS: dict[str, str] = {
    "组织": "diagram-3",
    "党员": "person-vcard",
    "组织生活": "calendar-check",
    "党费": "cash-coin",
    "盲点": "binoculars",
    "调研": "search-heart",
}


NAV_ITEMS: list[NavItem] = [
    NavItem("首页", "core:home", "house", None, prefix="/$"),
    NavItem("组织架构", "core:org_tree", "diagram-3", scope.Cap.ORG_VIEW, prefix="/org/", group="组织"),
    NavItem(
        "委员会与换届",
        "core:committees_ending",
        "people",
        scope.Cap.COMMITTEE_VIEW,
        prefix="/committees/",
        group="组织",
    ),
    NavItem("党员名册", "members:member_list", "person-vcard", scope.Cap.MEMBER_VIEW, prefix="/members/", group="党员"),
    NavItem(
        "发展党员",
        "members:development_list",
        "person-up",
        scope.Cap.MEMBER_VIEW,
        prefix="/members/development/",
        group="党员",
    ),
    NavItem(
        "组织关系转接",
        "members:transfer_list",
        "arrow-left-right",
        scope.Cap.MEMBER_VIEW,
        prefix="/members/transfers/",
        group="党员",
    ),
    NavItem(
        "流动党员", "members:mobile_list", "geo-alt", scope.Cap.MEMBER_VIEW, prefix="/members/mobile/", group="党员"
    ),
    NavItem("帮扶", "members:care_list", "heart", scope.Cap.MEMBER_VIEW, prefix="/members/care/", group="党员"),
    NavItem("三会一课", "orglife:meeting_list", "calendar3", scope.Cap.MEETING_VIEW, prefix="/life/", group="组织生活"),
    NavItem(
        "合规统计",
        "orglife:compliance",
        "clipboard-check",
        scope.Cap.MEETING_VIEW,
        prefix="/life/compliance/",
        group="组织生活",
    ),
    NavItem(
        "党员任务", "orglife:task_list", "list-task", scope.Cap.MEETING_VIEW, prefix="/life/tasks/", group="组织生活"
    ),
    NavItem(
        "频次规则", "orglife:rule_list", "sliders", scope.Cap.MEETING_VIEW, prefix="/life/rules/", group="组织生活"
    ),
    NavItem(
        "党费台账", "members:dues_ledger", "journal-text", scope.Cap.DUES_VIEW, prefix="/members/dues/", group="党费"
    ),
    NavItem(
        "欠交党费",
        "members:dues_arrears",
        "exclamation-circle",
        scope.Cap.DUES_VIEW,
        prefix="/members/dues/arrears/",
        group="党费",
    ),
    NavItem(
        "减免审批",
        "members:dues_relief_list",
        "check2-square",
        scope.Cap.DUES_VIEW,
        prefix="/members/dues/reliefs/",
        group="党费",
    ),
    NavItem("盲点", "oversight:case_list", "binoculars", scope.Cap.CASE_VIEW, prefix="/oversight/cases/", group="盲点"),
    NavItem("盲点扫描", "oversight:scan_list", "radar", scope.Cap.SCAN_RUN, prefix="/oversight/scans/", group="盲点"),
    NavItem("调研概览", "research:overview", "compass", scope.Cap.RESEARCH_VIEW, prefix="/research/", group="调研"),
    NavItem(
        "维稳隐患",
        "research:risk_list",
        "exclamation-triangle",
        scope.Cap.RESEARCH_VIEW,
        prefix="/research/risks/",
        group="调研",
    ),
    NavItem(
        "大型活动",
        "research:event_list",
        "calendar-event",
        scope.Cap.RESEARCH_VIEW,
        prefix="/research/events/",
        group="调研",
    ),
    NavItem(
        "走访",
        "research:round_list",
        "signpost-split",
        scope.Cap.RESEARCH_VIEW,
        prefix="/research/rounds/",
        group="调研",
    ),
    NavItem(
        "意见建议",
        "research:opinion_list",
        "chat-left-text",
        scope.Cap.RESEARCH_VIEW,
        prefix="/research/opinions/",
        group="调研",
    ),
    NavItem(
        "三个脱离指标",
        "research:indicators",
        "graph-up",
        scope.Cap.RESEARCH_VIEW,
        prefix="/research/indicators/",
        group="调研",
    ),
    NavItem("接口文档", "api-docs", "code-slash", scope.Cap.ORG_VIEW, prefix="/api/"),
    NavItem("管理后台", "admin:index", "gear", scope.Cap.ADMIN, prefix="/admin/", staff_only=True),
]


# What decides which entries a user sees: unrestricted (a superuser without a grant), the active
# role, staff or not.
View = tuple[bool, str | None, bool]


def _view(user: Any) -> View | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return scope.is_unrestricted(user), scope.active_role(user), bool(user.is_staff)


@lru_cache(maxsize=64)
def _visible(view: View) -> tuple[NavItem, ...]:
    """The entries of a view of the bar: those `scope.can` allows the role (all of them when
    unrestricted), and staff-only entries for staff."""
    unrestricted, role, staff = view
    caps = scope.ROLE_CAPS.get(role, frozenset()) if role is not None else frozenset()
    return tuple(
        item
        for item in NAV_ITEMS
        if (item.cap is None or unrestricted or item.cap in caps) and (staff or not item.staff_only)
    )


@dataclass
class NavEntry:
    """One link of the bar, or a group's drop-down (`children`)."""

    label: str
    icon: str
    url: str = "#"
    active: bool = False
    children: list[NavEntry] = field(default_factory=list)


def _active_index(view: View, path: str) -> int | None:
    """The visible item `path` belongs to: of those whose prefix it matches, the most specific (only
    /members/development/'s entry is marked on its pages, not also /members/')."""
    matched: list[tuple[int, int]] = []  # (prefix length, item index)
    script_prefix = get_script_prefix()
    for index, item in enumerate(_visible(view)):
        prefix = item.prefix or "/" + page_url(item.url_name).removeprefix(script_prefix)
        if re.match(prefix, path) if prefix.endswith("$") else path.startswith(prefix):
            matched.append((len(prefix), index))
    return max(matched)[1] if matched else None


def _entries(items: tuple[NavItem, ...], active: int | None) -> list[NavEntry]:
    entries = [
        (NavEntry(item.label, item.icon, page_url(item.url_name), index == active), item.group)
        for index, item in enumerate(items)
    ]
    return _grouped(entries)


@lru_cache(maxsize=1024)
def _bar_html(view: View, active: int | None, script_prefix: str, urlconf: str | None) -> str:
    """The bar's list items for one view of the bar with one entry active, written once per
    process (and per script prefix and URL configuration, which its addresses depend on): every
    page shows the bar, and users of a role see the same few bars."""
    return "".join(_entry_html(entry) for entry in _entries(_visible(view), active))


def _grouped(entries: list[tuple[NavEntry, str]]) -> list[NavEntry]:
    """Gather grouped entries into one drop-down per group, placed where its first entry stood;
    a group with a single visible entry stays a plain link."""
    groups: dict[str, NavEntry] = {}
    result: list[NavEntry] = []
    for entry, group in entries:
        if not group:
            result.append(entry)
            continue
        if group not in groups:
            groups[group] = NavEntry(group, NAV_GROUPS.get(group, "list"))
            result.append(groups[group])
        groups[group].children.append(entry)
        groups[group].active = groups[group].active or entry.active
    return [entry.children[0] if len(entry.children) == 1 else entry for entry in result]


class NavBar:
    """The bar's entries for one request, written as the bar's list items when the page prints
    it (an HTMX fragment that does not show the bar costs nothing). The markup of each view of
    the bar (the entries a role sees, the active one, the script prefix) is written once per
    process and reused."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def __str__(self) -> SafeString:
        view = _view(self.request.user)
        if view is None:
            return mark_safe("")
        active = _active_index(view, self.request.path_info)
        return mark_safe(_bar_html(view, active, get_script_prefix(), get_urlconf()))

    __html__ = __str__


def _active(entry: NavEntry) -> str:
    return " active" if entry.active else ""


def _current(entry: NavEntry) -> str:
    return ' aria-current="page"' if entry.active else ""


def _entry_html(entry: NavEntry) -> str:
    label, icon = escape(entry.label), escape(entry.icon)
    if not entry.children:
        return (
            f'<li class="nav-item"><a class="nav-link{_active(entry)}" href="{escape(entry.url)}"{_current(entry)}>'
            f'<i class="bi bi-{icon} me-1"></i>{label}</a></li>'
        )
    items = "".join(
        f'<a class="dropdown-item{_active(child)}" href="{escape(child.url)}"{_current(child)}>'
        f'<i class="bi bi-{escape(child.icon)} me-2"></i>{escape(child.label)}</a>'
        for child in entry.children
    )
    return (
        '<li class="nav-item dropdown">'
        f'<a class="nav-link dropdown-toggle{_active(entry)}" href="#" role="button" data-bs-toggle="dropdown"'
        f' aria-expanded="false"><i class="bi bi-{icon} me-1"></i>{label}</a>'
        f'<div class="dropdown-menu">{items}</div></li>'
    )
