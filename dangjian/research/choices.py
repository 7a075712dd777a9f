"""Enumerations of research before acting (三个必须调研): stability risks, large events,
research records, visit rounds and visits, opinions and suggestions, and their states."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# --- Stability risks (维稳隐患) ------------------------------------------------------------------


class RiskLevel(models.TextChoices):
    MAJOR = "major", _("重大")
    GENERAL = "general", _("一般")


class RiskCategory(models.TextChoices):
    NEIGHBOURHOOD = "neighbourhood", _("邻里纠纷")
    PROPERTY = "property", _("物业与业主矛盾")
    DEMOLITION = "demolition", _("征收拆迁")
    WAGES = "wages", _("劳资纠纷")
    PETITION = "petition", _("群体性信访")
    SAFETY = "safety", _("公共安全隐患")
    OTHER = "other", _("其他")


class RiskStatus(models.TextChoices):
    REPORTED = "reported", _("已登记")
    RESEARCHING = "researching", _("调研中")
    SOLUTION = "solution", _("已拟定方案")
    RESOLVED = "resolved", _("已化解")
    CLOSED = "closed", _("已关闭")


OPEN_RISK_STATUSES = (RiskStatus.REPORTED, RiskStatus.RESEARCHING, RiskStatus.SOLUTION)

# Days a risk may stay in each open state before it is shown as overdue; the setting
# DANGJIAN_RISK_STATE_DAYS overrides any of them.
DEFAULT_RISK_STATE_DAYS: dict[str, int] = {
    RiskStatus.REPORTED: 3,
    RiskStatus.RESEARCHING: 15,
    RiskStatus.SOLUTION: 30,
}


class RiskOutcome(models.TextChoices):
    """Why a risk was closed without being resolved on the platform."""

    TRANSFERRED = "transferred", _("已移交有关部门处理")
    DISAPPEARED = "disappeared", _("隐患已自然消除")
    DUPLICATE = "duplicate", _("重复登记")
    NOT_A_RISK = "not_a_risk", _("经核实不构成隐患")


class ConsultationMethod(models.TextChoices):
    FORUM = "forum", _("居民座谈会")
    COUNCIL = "council", _("居民议事会")
    DOOR = "door", _("入户征求意见")
    HEARING = "hearing", _("听证会")
    OTHER = "other", _("其他")


# --- Research records (调研) ----------------------------------------------------------------------


class ResearchKind(models.TextChoices):
    RISK = "risk", _("维稳隐患调研")
    EVENT = "event", _("大型活动前调研")
    PERIODIC = "periodic", _("定期调研")


class ResearchMethod(models.TextChoices):
    VISITS = "visits", _("入户走访")
    FORUM = "forum", _("座谈会")
    SURVEY = "survey", _("问卷调查")
    FIELD = "field", _("实地察看")
    INTERVIEW = "interview", _("个别访谈")


# --- Large events (大型活动) --------------------------------------------------------------------


class EventKind(models.TextChoices):
    FESTIVAL = "festival", _("节庆文体活动")
    VOLUNTEER = "volunteer", _("志愿服务活动")
    LECTURE = "lecture", _("宣讲教育活动")
    SERVICE = "service", _("便民服务活动")
    OTHER = "other", _("其他")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    SUBMITTED = "submitted", _("待审批")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已批准")
    REVIEWED = "reviewed", _("已复盘")
    CANCELLED = "cancelled", _("已取消")


# --- Visit rounds and visits (走访) -----------------------------------------------------------


class TargetKind(models.TextChoices):
    MEMBER = "member", _("党员")
    HOUSEHOLD = "household", _("居民户")


class VisitMethod(models.TextChoices):
    DOOR = "door", _("入户走访")
    PHONE = "phone", _("电话访问")
    TALK = "talk", _("约谈")
    FORUM = "forum", _("座谈")
    ONLINE = "online", _("线上联系")


# --- Opinions and suggestions (意见建议) --------------------------------------------------------


class OpinionArea(models.TextChoices):
    """The affair area an opinion concerns. A short list of its own: the affairs catalogue
    (AffairArea) belongs to the workload app; these keys follow its areas where they meet."""

    PARTY_BUILDING = "party_building", _("党建工作")
    CONVENIENCE = "convenience", _("便民服务")
    PROPERTY = "property", _("物业管理")
    ENVIRONMENT = "environment", _("环境卫生")
    SAFETY = "safety", _("社会治安与综合治理")
    ELDERLY = "elderly", _("养老助残")
    EMPLOYMENT = "employment", _("劳动就业")
    FACILITIES = "facilities", _("公共设施")
    CULTURE = "culture", _("文化体育")
    OTHER = "other", _("其他")


class OpinionSource(models.TextChoices):
    VISIT = "visit", _("走访收集")
    ONLINE = "online", _("网上提交")
    PHONE = "phone", _("来电")
    MEETING = "meeting", _("会议座谈")
    LETTER = "letter", _("来信来访")


class SubmitterKind(models.TextChoices):
    RESIDENT = "resident", _("居民")
    MEMBER = "member", _("党员")
    ANONYMOUS = "anonymous", _("匿名")


class OpinionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待分派")
    ASSIGNED = "assigned", _("待答复")
    ANSWERED = "answered", _("已答复，落实中")
    CLOSED = "closed", _("已办结")


OPEN_OPINION_STATUSES = (OpinionStatus.SUBMITTED, OpinionStatus.ASSIGNED, OpinionStatus.ANSWERED)


class AnswerKind(models.TextChoices):
    """The answer to an opinion, kept apart from the progress of what was promised."""

    ACCEPTED = "accepted", _("采纳")
    NOT_ACCEPTED = "not_accepted", _("不予采纳")


class Progress(models.TextChoices):
    """How far the promise made in an accepted answer has been kept."""

    IN_PROGRESS = "in_progress", _("落实中")
    DONE = "done", _("已落实")


SATISFACTION_LABELS = {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "很满意"}
