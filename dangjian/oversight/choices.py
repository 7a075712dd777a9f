"""Enumerations of oversight: the kinds of blind-spot case, their states and outcomes, and the
kinds of reminder."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    NO_LIFE = "six_month_no_life", _("连续六个月未参加组织生活")
    NO_DUES = "six_month_no_dues", _("连续六个月未交纳党费")
    NO_WORK = "six_month_no_work", _("连续六个月未做党组织分配的工作")
    NOMINAL = "nominal_member", _("“挂名”党员迹象")
    POCKET = "pocket_member", _("口袋党员（介绍信过期未报到）")
    LOST_CONTACT = "lost_contact", _("失联党员（六个月未联系上）")


# The kinds the six-month rule opens (the Party constitution's "six months without good reason").
SIX_MONTH_KINDS = (CaseKind.NO_LIFE, CaseKind.NO_DUES, CaseKind.NO_WORK)


class CaseStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    WORKING = "working", _("处理中")
    CLOSED = "closed", _("已办结")


class CaseOutcome(models.TextChoices):
    CONTACTED = "contacted", _("已联系，说明情况")
    RESUMED = "resumed", _("已恢复参加组织生活")
    JUSTIFIED = "justified", _("有正当理由")
    REMOVAL_PROPOSED = "removal_proposed", _("提请支部党员大会按自行脱党处理")
    RESOLVED_ELSEWHERE = "resolved_elsewhere", _("已转接或已报到")


class NominalSignal(models.TextChoices):
    PAYS_NEVER_ATTENDS = "pays_never_attends", _("按时交纳党费但从不参加组织生活")
    LIVES_ELSEWHERE = "lives_elsewhere", _("在本支部登记、居住在其他社区")


class ActionKind(models.TextChoices):
    NOTE = "note", _("工作记录")
    CONTACT = "contact", _("联系谈话")
    VISIT = "visit", _("上门走访")
    ASSIGN = "assign", _("指定责任人")
    CLOSE = "close", _("办结")
    REOPEN = "reopen", _("重新打开")


class ReminderKind(models.TextChoices):
    LETTER_EXPIRING = "letter_expiring", _("介绍信即将过期")
    MEETINGS_OWED = "meetings_owed", _("本期应开会议")
    OPEN_CASES = "open_cases", _("待处理盲点")
    ARREARS = "arrears", _("党费欠交")
    PIPELINE_DUE = "pipeline_due", _("发展党员到期")
    TERM_ENDING = "term_ending", _("委员会任期届满")
    MOBILE_CONTACT = "mobile_contact", _("流动党员待联系")
    CARE_VISIT = "care_visit", _("帮扶回访到期")
    RISK_OPEN = "risk_open", _("维稳隐患待办")
    ROUND_DUE = "round_due", _("走访轮次将结束")
    OPINION_OVERDUE = "opinion_overdue", _("意见建议逾期")
