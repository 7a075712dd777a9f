"""The navigation bar: one list of entries, each shown only to roles that may use it.

Entries with a `group` are shown together in that group's drop-down menu (NAV_GROUPS gives its
icon); a group with one visible entry shows as that entry alone.
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
