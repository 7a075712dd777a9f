"""The development pipeline (发展党员): a person's way from applying to full membership, and
the rules of its intervals, kept as data so that the district may change them."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.choices import OrgKind
from dangjian.core.crypto import EncryptedCharField, blind_index
from dangjian.core.models import OrgUnit

from ..choices import DEFAULT_RULES, OPEN_STAGES, DevelopmentStage, Gender, RuleKey, RuleUnit
from .registry import Member, PersonIdentityMixin, check_id_number


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; a day the target month lacks falls back to its last day
    (31 August + 6 months is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


class DevelopmentRule(models.Model):
    """One rule of the development pipeline (an age or an interval), kept as data: the district
    organizer edits the value, and every check reads the current row."""

    key = models.CharField(_("规则"), max_length=40, choices=RuleKey.choices, unique=True)
    label = models.CharField(_("名称"), max_length=40)
    value = models.PositiveSmallIntegerField(_("数值"))
    unit = models.CharField(_("单位"), max_length=10, choices=RuleUnit.choices)
    description = models.TextField(_("说明"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("发展党员规则")
        verbose_name_plural = _("发展党员规则")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.label}：{self.value_display}"

    @property
    def value_display(self) -> str:
        return f"{self.value} {self.get_unit_display()}"


@dataclass(frozen=True)
class Rules:
    """The rules' current values, read in one query; pass them to the schedule functions."""

    values: dict[str, int]
    units: dict[str, str]

    def __getitem__(self, key: str) -> int:
        return self.values[key]

    def months(self, key: str) -> int:
        """A duration rule in months (a rule kept in years counts twelve to the year)."""
        return self.values[key] * 12 if self.units[key] == RuleUnit.YEARS else self.values[key]


def load_rules() -> Rules:
    """The current rules. Read each time (no process-wide cache: several servers share the data);
    a missing row falls back to the default the data migration seeds."""
    values = {key: value for key, (value, _, _) in DEFAULT_RULES.items()}
    units = {key: unit for key, (_, unit, _) in DEFAULT_RULES.items()}
    for key, value, unit in DevelopmentRule.objects.values_list("key", "value", "unit"):
        values[key] = value
        units[key] = unit
    return Rules(values=values, units=units)


def rule(key: str) -> int:
    """The current value of one rule."""
    row = DevelopmentRule.objects.filter(key=key).values_list("value", flat=True).first()
    return row if row is not None else DEFAULT_RULES[key][0]


@dataclass(frozen=True)
class NextStep:
    """What comes next for a record and the earliest day it may happen (None: no set interval)."""

    label: str
    earliest: datetime.date | None

    def is_due(self, today: datetime.date) -> bool:
        return self.earliest is not None and self.earliest <= today


class Development(PersonIdentityMixin, models.Model):
    """One person on the way to Party membership, through the stages of the pipeline. A record
    is never deleted: it ends confirmed (linked to the Member it became) or stopped, with a reason."""

    scope_path = "branch__path"

    name = models.CharField(_("姓名"), max_length=50)
    name_initials = models.CharField(_("姓名首字母"), max_length=50, editable=False, db_index=True)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices)
    id_number = EncryptedCharField(_("公民身份号码"))
    id_number_index = models.CharField(_("身份号码索引"), max_length=40, editable=False, db_index=True)
    birth_date = models.DateField(_("出生日期"), editable=False)
    phone = EncryptedCharField(_("手机号码"), blank=True)
    phone_index = models.CharField(_("手机号码索引"), max_length=40, blank=True, db_index=True, editable=False)
    branch = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所在党支部"),
        on_delete=models.PROTECT,
        related_name="developments",
        limit_choices_to={"kind": OrgKind.BRANCH},
    )
    stage = models.CharField(
        _("阶段"), max_length=20, choices=DevelopmentStage.choices, default=DevelopmentStage.APPLICANT
    )
    applied_on = models.DateField(_("申请入党日期"))
    activist_on = models.DateField(_("确定为入党积极分子日期"), null=True, blank=True)
    candidate_on = models.DateField(_("确定为发展对象日期"), null=True, blank=True)
    admitted_on = models.DateField(_("接收为预备党员日期"), null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(_("延长预备期（月）"), default=0)
    extensions = models.PositiveSmallIntegerField(_("延长次数"), default=0)
    extended_on = models.DateField(_("延长预备期决定日期"), null=True, blank=True)
    confirmed_on = models.DateField(_("转正日期"), null=True, blank=True)
    member = models.OneToOneField(
        Member,
        verbose_name=_("党员档案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="development",
    )
    stopped_on = models.DateField(_("终止日期"), null=True, blank=True)
    stop_reason = models.CharField(_("终止原因"), max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("所属区"), null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["id_number", "phone"])

    class Meta:
        verbose_name = _("发展党员")
        verbose_name_plural = _("发展党员")
        ordering = ["branch__path", "applied_on", "pk"]
        constraints = [
            # One open record per person; a stopped or confirmed one may be followed by a new one.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=Q(stage__in=[str(stage) for stage in OPEN_STAGES]),
                name="development_open_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "stage"], name="development_branch_stage"),
            models.Index(fields=["stage", "admitted_on"], name="development_stage_admitted"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_stage_display()}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.prepare_identity()
        self.district_id = self.branch.district_id
        super().save(*args, **kwargs)

    @staticmethod
    def scope_self(user: Any) -> Q:
        """Members and residents see no one's development record (the pages also need
        member.view, which they lack); without this they would see their own unit's."""
        return Q(pk__in=[])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def stage_date(self) -> datetime.date | None:
        """The day the record entered its current stage."""
        return {
            DevelopmentStage.APPLICANT: self.applied_on,
            DevelopmentStage.ACTIVIST: self.activist_on,
            DevelopmentStage.CANDIDATE: self.candidate_on,
            DevelopmentStage.PROBATIONARY: self.admitted_on,
            DevelopmentStage.FULL: self.confirmed_on,
            DevelopmentStage.STOPPED: self.stopped_on,
        }.get(self.stage)

    # --- The schedule, from the rules in force ---------------------------------------------

    def candidate_earliest(self, rules: Rules) -> datetime.date | None:
        if self.activist_on is None:
            return None
        return add_months(self.activist_on, rules.months(RuleKey.ACTIVIST_MIN_MONTHS))

    def probation_ends_on(self, rules: Rules) -> datetime.date | None:
        """The first day the probationary member may be confirmed: the probation and any
        extension counted from the day of admission."""
        if self.admitted_on is None:
            return None
        return add_months(self.admitted_on, rules.months(RuleKey.PROBATION_MONTHS) + self.extension_months)

    def next_step(self, rules: Rules) -> NextStep | None:
        if self.stage == DevelopmentStage.APPLICANT:
            return NextStep("确定为入党积极分子", self.applied_on)
        if self.stage == DevelopmentStage.ACTIVIST:
            return NextStep("确定为发展对象", self.candidate_earliest(rules))
        if self.stage == DevelopmentStage.CANDIDATE:
            return NextStep("接收为预备党员", self.candidate_on)
        if self.stage == DevelopmentStage.PROBATIONARY:
            return NextStep("预备党员转正", self.probation_ends_on(rules))
        return None

    # --- Invariants that hold whatever the rules ------------------------------------------

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.id_number:
            try:
                self.birth_date = check_id_number(self.id_number)
            except ValidationError as error:
                errors.setdefault("id_number", []).extend(error.messages)
            else:
                if self.is_open:
                    duplicate = Development.objects.filter(
                        id_number_index=blind_index(self.id_number), stage__in=OPEN_STAGES
                    ).exclude(pk=self.pk)
                    if duplicate.exists():
                        add("id_number", "该公民身份号码已有进行中的发展党员记录。")
        if self.phone and not (self.phone.isdigit() and len(self.phone) == 11 and self.phone.startswith("1")):
            add("phone", "手机号码应为 1 开头的 11 位数字。")
        if self.branch_id and self.branch.kind != OrgKind.BRANCH:
            add("branch", "发展党员只能由党支部负责。")

        today = timezone.localdate()
        steps = [
            ("applied_on", "申请入党日期", None),
            ("activist_on", "确定为入党积极分子日期", "申请入党日期"),
            ("candidate_on", "确定为发展对象日期", "确定为入党积极分子日期"),
            ("admitted_on", "接收为预备党员日期", "确定为发展对象日期"),
            ("confirmed_on", "转正日期", "接收为预备党员日期"),
        ]
        previous: datetime.date | None = None
        for field, label, previous_label in steps:
            day = getattr(self, field)
            if day is None:
                continue
            if day > today:
                add(field, f"{label}不能晚于今天。")
            if previous is not None and day < previous:
                add(field, f"{label}不能早于{previous_label}。")
            previous = day

        required = {
            DevelopmentStage.ACTIVIST: ["activist_on"],
            DevelopmentStage.CANDIDATE: ["activist_on", "candidate_on"],
            DevelopmentStage.PROBATIONARY: ["activist_on", "candidate_on", "admitted_on"],
            DevelopmentStage.FULL: ["activist_on", "candidate_on", "admitted_on", "confirmed_on"],
        }.get(self.stage, [])
        for field in required:
            if getattr(self, field) is None:
                add(field, f"{self._meta.get_field(field).verbose_name}未填写。")
        if self.extended_on is not None:
            if self.extended_on > today:
                add("extended_on", "延长预备期决定日期不能晚于今天。")
            elif self.admitted_on and self.extended_on < self.admitted_on:
                add("extended_on", "延长预备期决定日期不能早于接收为预备党员日期。")
        if (self.extensions == 0) != (self.extension_months == 0):
            add("extension_months", "延长预备期的月数与延长次数不一致。")
        if self.stage == DevelopmentStage.STOPPED:
            if not self.stop_reason.strip():
                add("stop_reason", "请填写终止原因。")
            if self.stopped_on is None:
                add("stopped_on", "请填写终止日期。")
            elif self.stopped_on > today:
                add("stopped_on", "终止日期不能晚于今天。")
            elif self.applied_on and self.stopped_on < self.applied_on:
                add("stopped_on", "终止日期不能早于申请入党日期。")
        if errors:
            raise ValidationError(errors)


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Full years of age on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
