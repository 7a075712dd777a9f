"""Enumerations of the organization tree, committees and roles."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    DISTRICT = "district", _("区")
    SUBDISTRICT = "subdistrict", _("街道")
    COMMUNITY = "community", _("社区")
    PARTY_COMMITTEE = "party_committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    GROUP = "group", _("党小组")


# Which kinds of unit may stand directly under which: the shape of the tree.
ALLOWED_PARENT_KINDS: dict[str, tuple[str, ...]] = {
    OrgKind.DISTRICT: (),
    OrgKind.SUBDISTRICT: (OrgKind.DISTRICT,),
    OrgKind.COMMUNITY: (OrgKind.SUBDISTRICT,),
    OrgKind.PARTY_COMMITTEE: (OrgKind.COMMUNITY,),
    OrgKind.GENERAL_BRANCH: (OrgKind.COMMUNITY, OrgKind.PARTY_COMMITTEE),
    OrgKind.BRANCH: (OrgKind.COMMUNITY, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH),
    OrgKind.GROUP: (OrgKind.BRANCH,),
}

# Party organizations that elect a committee (a group has a leader, not a committee; a district
# and a sub-district are administrative levels whose committees are kept elsewhere).
COMMITTEE_KINDS: tuple[str, ...] = (
    OrgKind.COMMUNITY,
    OrgKind.PARTY_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
)


def child_kinds(kind: str) -> list[str]:
    """The kinds that may be created under a unit of this kind."""
    return [child for child, parents in ALLOWED_PARENT_KINDS.items() if kind in parents]


def term_years(kind: str) -> int:
    """A community Party organization is elected for five years, the others for three."""
    return 5 if kind == OrgKind.COMMUNITY else 3


class OrgStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    MERGED = "merged", _("已合并")
    DISSOLVED = "dissolved", _("已撤销")


class Position(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    ORGANIZATION_MEMBER = "organization_member", _("组织委员")
    PUBLICITY_MEMBER = "publicity_member", _("宣传委员")
    DISCIPLINE_MEMBER = "discipline_member", _("纪检委员")
    YOUTH_MEMBER = "youth_member", _("青年委员")
    WOMEN_MEMBER = "women_member", _("妇女委员")
    COMMITTEE_MEMBER = "committee_member", _("委员")


class Role(models.TextChoices):
    DISTRICT_ORGANIZER = "district_organizer", _("区委组织部")
    SUBDISTRICT_ORGANIZER = "subdistrict_organizer", _("街道党工委")
    COMMUNITY_SECRETARY = "community_secretary", _("社区书记")
    COMMUNITY_CADRE = "community_cadre", _("社区干部")
    BRANCH_SECRETARY = "branch_secretary", _("支部书记")
    MEMBER = "member", _("党员")
    RESIDENT = "resident", _("居民")


# The kind of unit each role is granted on.
ROLE_UNIT_KINDS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT_ORGANIZER: (OrgKind.DISTRICT,),
    Role.SUBDISTRICT_ORGANIZER: (OrgKind.SUBDISTRICT,),
    Role.COMMUNITY_SECRETARY: (OrgKind.COMMUNITY,),
    Role.COMMUNITY_CADRE: (OrgKind.COMMUNITY,),
    Role.BRANCH_SECRETARY: (OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH),
    Role.MEMBER: (OrgKind.BRANCH,),
    Role.RESIDENT: (OrgKind.COMMUNITY,),
}

# Order in which grants are offered: the widest first.
ROLE_ORDER: tuple[str, ...] = tuple(Role.values)


class ImportStatus(models.TextChoices):
    """Where an uploaded import file stands: being checked, checked, refused, confirmed, being
    written, done, or stopped by an error."""

    CHECKING = "checking", _("正在校验")
    VALIDATED = "validated", _("已校验，待确认")
    FAILED = "failed", _("未通过校验")
    CONFIRMED = "confirmed", _("已确认，排队中")
    RUNNING = "running", _("正在导入")
    DONE = "done", _("已导入")
    ERROR = "error", _("导入出错")


# What each kind of import brings in; an app adds its kind here when it adds an import.
IMPORT_KINDS: dict[str, str] = {
    "member_roster": "党员名册",
}
