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
