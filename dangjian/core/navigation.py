"""The navigation bar: one list of entries, each shown only to roles that may use it.

Later modules add their entries to NAV_ITEMS.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import scope


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


NAV_ITEMS: list[NavItem] = [
    NavItem("首页", "core:home", "house", None, prefix="/$"),
    NavItem("组织架构", "core:org_tree", "diagram-3", scope.Cap.ORG_VIEW, prefix="/org/"),
    NavItem("委员会与换届", "core:committees_ending", "people", scope.Cap.COMMITTEE_VIEW, prefix="/committees/"),
    NavItem("党员", "members:member_list", "person-vcard", scope.Cap.MEMBER_VIEW, prefix="/members/"),
    NavItem("发展党员", "members:development_list", "person-up", scope.Cap.MEMBER_VIEW, prefix="/members/development/"),
    NavItem("接口文档", "api-docs", "code-slash", scope.Cap.ORG_VIEW, prefix="/api/"),
    NavItem("管理后台", "admin:index", "gear", scope.Cap.ADMIN, prefix="/admin/", staff_only=True),
]


def visible_items(user) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for item in NAV_ITEMS:
        if item.cap is not None and not scope.can(user, item.cap):
            continue
        if item.staff_only and not user.is_staff:
            continue
        items.append(item)
    return items
