"""Enumerations of the member registry and the development pipeline."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Education(models.TextChoices):
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中/中专")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士研究生")
    DOCTOR = "doctor", _("博士研究生")


class MembershipType(models.TextChoices):
    FULL = "full", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


class Standing(models.TextChoices):
    """Party standing (党籍), kept apart from full/probationary and from the record's status."""

    NORMAL = "normal", _("正常")
    RETAINED = "retained", _("保留党籍")
    SUSPENDED = "suspended", _("停止党籍")
    LEFT = "left", _("已出党")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    # An inflow mobile member: relationship kept elsewhere, taking part in this branch's life.
    INFLOW = "inflow", _("流入（关系在外）")
    TRANSFERRED_OUT = "transferred_out", _("已转出")
    LOST_CONTACT = "lost_contact", _("失联")
    DECEASED = "deceased", _("已故")
    REMOVED = "removed", _("已除名")


# The article's categories; organizers may add more (MemberCategory rows not built in).
BUILTIN_CATEGORIES = [
    ("enterprise_retiree", "企业离退休"),
    ("labour_relation_ended", "解除劳动关系"),
    ("laid_off", "下岗失业"),
    ("self_employed_mobile", "自主择业流动"),
    ("in_service", "在职党员"),
    ("in_hardship", "困难党员"),
    ("elderly_ill", "年老体弱"),
]

ETHNIC_GROUPS = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 "
    "哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 "
    "达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 "
    "乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 "
    "门巴族 珞巴族 基诺族"
).split()


class RecordKind(models.TextChoices):
    REWARD = "reward", _("奖励")
    PENALTY = "penalty", _("处分")


class UnmaskField(models.TextChoices):
    ID_NUMBER = "id_number", _("公民身份号码")
    PHONE = "phone", _("手机号码")


# --- The development pipeline (发展党员) ---------------------------------------------------------


class DevelopmentStage(models.TextChoices):
    """Where a person stands on the way to membership; `stopped` ends the way without it."""

    APPLICANT = "applicant", _("入党申请人")
    ACTIVIST = "activist", _("入党积极分子")
    CANDIDATE = "candidate", _("发展对象")
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员（已转正）")
    STOPPED = "stopped", _("终止")


# The stages a record is still moving through (its ID number may not be opened twice).
OPEN_STAGES = (
    DevelopmentStage.APPLICANT,
    DevelopmentStage.ACTIVIST,
    DevelopmentStage.CANDIDATE,
    DevelopmentStage.PROBATIONARY,
)


class RuleKey(models.TextChoices):
    """The pipeline's rules that the district keeps as data (DevelopmentRule rows)."""

    APPLICANT_MIN_AGE = "applicant_min_age", _("申请入党最低年龄")
    ACTIVIST_MIN_MONTHS = "activist_min_months", _("积极分子最短培养期")
    PROBATION_MONTHS = "probation_months", _("预备期")
    EXTENSION_MIN_MONTHS = "extension_min_months", _("延长预备期最短")
    EXTENSION_MAX_MONTHS = "extension_max_months", _("延长预备期最长")
    MAX_EXTENSIONS = "max_extensions", _("预备期最多延长次数")


class RuleUnit(models.TextChoices):
    YEARS = "years", _("周岁")
    MONTHS = "months", _("个月")
    TIMES = "times", _("次")


# The rules as the Party's constitution and the work rules for developing members set them; the
# data migration seeds these rows, and `rule()` falls back to them only if a row is missing.
DEFAULT_RULES: dict[str, tuple[int, str, str]] = {
    RuleKey.APPLICANT_MIN_AGE: (18, RuleUnit.YEARS, "年满十八周岁方可申请入党（按申请入党日期计算）。"),
    RuleKey.ACTIVIST_MIN_MONTHS: (12, RuleUnit.MONTHS, "入党积极分子经过一年以上培养教育，方可列为发展对象。"),
    RuleKey.PROBATION_MONTHS: (12, RuleUnit.MONTHS, "预备党员的预备期为一年，自支部大会通过之日算起。"),
    RuleKey.EXTENSION_MIN_MONTHS: (6, RuleUnit.MONTHS, "需要继续考察的，可以延长预备期，最短半年。"),
    RuleKey.EXTENSION_MAX_MONTHS: (12, RuleUnit.MONTHS, "延长预备期最长不超过一年。"),
    RuleKey.MAX_EXTENSIONS: (1, RuleUnit.TIMES, "预备期只能延长一次。"),
}


# --- Relationship transfers (组织关系转接) -----------------------------------------------------


class TransferDirection(models.TextChoices):
    OUT = "transfer_out", _("转出")
    IN = "transfer_in", _("转入")
    WITHIN = "within", _("区内转接")


class TransferStatus(models.TextChoices):
    """An outgoing letter is issued, then reported at the destination, returned, or expires; an
    incoming letter is received, then the member is registered in a branch."""

    ISSUED = "issued", _("已开具")
    REPORTED = "reported", _("已报到")
    RETURNED = "returned", _("已退回")
    EXPIRED = "expired", _("已过期")
    RECEIVED = "received", _("已接收")
    REGISTERED = "registered", _("已编入支部")
    CANCELLED = "cancelled", _("已作废")


# States in which a letter is still travelling.
OPEN_TRANSFER_STATUSES = (TransferStatus.ISSUED, TransferStatus.RECEIVED)


# --- Mobile members (流动党员) -------------------------------------------------------------------


class MobileDirection(models.TextChoices):
    OUTFLOW = "outflow", _("流出")
    INFLOW = "inflow", _("流入")


class MobileStatus(models.TextChoices):
    AWAY = "away", _("流动中")
    ENDED = "ended", _("已结束")


class MobileReason(models.TextChoices):
    WORK = "work", _("务工经商")
    STUDY = "study", _("学习进修")
    FAMILY = "family", _("随迁投亲")
    MEDICAL = "medical", _("异地就医养老")
    OTHER = "other", _("其他")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    MESSAGE = "message", _("短信/微信")
    VISIT = "visit", _("上门走访")
    LETTER = "letter", _("信函")
    ONLINE = "online", _("线上组织生活")


class ContactResult(models.TextChoices):
    REACHED = "reached", _("已联系上")
    NOT_REACHED = "not_reached", _("未联系上")


# --- Dues (党费) --------------------------------------------------------------------------------


class IncomeClass(models.TextChoices):
    """Which bracket table a member's dues follow."""

    IN_WORK = "in_work", _("在职（按月工资收入，税后）")
    RETIREE = "retiree", _("离退休（按月退休费）")
    MINIMAL = "minimal", _("学生、失业、领取低保等")


class DuesMonthStatus(models.TextChoices):
    DUE = "due", _("未交")
    PAID = "paid", _("已交")
    EXEMPT = "exempt", _("免交")


class PaymentKind(models.TextChoices):
    SELF = "self", _("本人交纳")
    PROXY = "paid_by_proxy", _("代缴")
    LATE = "paid_late", _("补缴")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    TRANSFER = "transfer", _("银行转账")
    ONLINE = "online", _("线上交纳")


class ReliefKind(models.TextChoices):
    REDUCTION = "reduction", _("减交")
    EXEMPTION = "exemption", _("免交")


class ApprovalStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


# The bracket rules as the Party's dues rules set them: (income class, upper bound of monthly
# income or None, rate in percent or None, fixed monthly amount or None). The data migration seeds
# DuesRule rows from this table; the district edits the rows.
DEFAULT_DUES_RULES: list[tuple[str, str | None, str | None, str | None]] = [
    (IncomeClass.IN_WORK, "3000.00", "0.5", None),
    (IncomeClass.IN_WORK, "5000.00", "1.0", None),
    (IncomeClass.IN_WORK, "10000.00", "1.5", None),
    (IncomeClass.IN_WORK, None, "2.0", None),
    (IncomeClass.RETIREE, "5000.00", "0.5", None),
    (IncomeClass.RETIREE, None, "1.0", None),
    (IncomeClass.MINIMAL, None, None, "0.20"),
]


# --- Care (帮扶) ---------------------------------------------------------------------------------


class HardshipKind(models.TextChoices):
    POVERTY = "poverty", _("生活困难")
    ELDERLY = "elderly", _("年老体弱")
    ILLNESS = "illness", _("患病")
    DISABILITY = "disability", _("残疾")
    OTHER = "other", _("其他")


class CareForm(models.TextChoices):
    VISIT = "visit", _("上门慰问")
    PHONE = "phone", _("电话问候")
    ASSISTANCE = "assistance", _("帮扶救助")
    SERVICE = "service", _("志愿服务")


class AssistanceKind(models.TextChoices):
    NONE = "none", _("无")
    MONEY = "money", _("慰问金")
    GOODS = "goods", _("慰问品")
    SERVICE = "service", _("服务帮扶")
    REFERRAL = "referral", _("转介救助")
