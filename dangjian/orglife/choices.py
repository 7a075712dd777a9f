"""Enumerations of organizational life: meeting kinds, attendance, frequencies, tasks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingKind(models.TextChoices):
    GENERAL = "general_meeting", _("支部党员大会")
    COMMITTEE = "committee_meeting", _("支部委员会")
    GROUP = "group_meeting", _("党小组会")
    LECTURE = "party_lecture", _("党课")
    THEMED_DAY = "themed_day", _("主题党日")
    LIFE = "life_meeting", _("组织生活会")
    APPRAISAL = "member_appraisal", _("民主评议党员")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("计划")
    HELD = "held", _("已召开")
    CANCELLED = "cancelled", _("已取消")


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("出席")
    EXCUSED = "excused", _("请假")
    ABSENT = "absent", _("缺席")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    HALF_YEARLY = "half_yearly", _("每半年")
    YEARLY = "yearly", _("每年")


# Months in each period of a frequency.
FREQUENCY_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


class Quorum(models.TextChoices):
    """How many must be present for a meeting to be valid."""

    NONE = "none", _("不设法定人数")
    MORE_THAN_HALF = "more_than_half", _("应到有表决权党员过半数")
    AT_LEAST_HALF = "at_least_half", _("委员半数以上（含半数）")


# The required frequencies as the rules of 三会一课 set them; the data migration seeds
# MeetingRule rows from this table, and the district edits the rows.
DEFAULT_MEETING_RULES: dict[str, tuple[str, int, str]] = {
    MeetingKind.GENERAL: (Frequency.QUARTERLY, 1, "支部党员大会一般每季度召开一次。"),
    MeetingKind.COMMITTEE: (Frequency.MONTHLY, 1, "支部委员会一般每月召开一次。"),
    MeetingKind.GROUP: (Frequency.MONTHLY, 1, "党小组会一般每月召开一次。"),
    MeetingKind.LECTURE: (Frequency.QUARTERLY, 1, "党员每季度至少上一次党课。"),
    MeetingKind.THEMED_DAY: (Frequency.MONTHLY, 1, "每月相对固定一天开展主题党日。"),
    MeetingKind.LIFE: (Frequency.YEARLY, 1, "组织生活会一般每年召开一次。"),
    MeetingKind.APPRAISAL: (Frequency.YEARLY, 1, "民主评议党员一般每年开展一次。"),
}

QUORUM_BY_KIND = {
    MeetingKind.GENERAL: Quorum.MORE_THAN_HALF,
    MeetingKind.COMMITTEE: Quorum.AT_LEAST_HALF,
}


class TaskStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")
