"""Oversight: blind-spot cases (盲点) that the six-month scan and the letter and contact checks
open, the work done on each, the scan runs, and each user's reminders."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.models import OrgUnit, User, district_key
from dangjian.members.models import Member

from .choices import ActionKind, CaseKind, CaseOutcome, CaseStatus, ReminderKind


class Case(models.Model):
    """A member who may have slipped out of reach, with the evidence that says so, worked by the
    branch and the community to an outcome. At most one case of a kind is open per member."""

    scope_path = "branch__path"

    kind = models.CharField(_("类型"), max_length=30, choices=CaseKind.choices)
    status = models.CharField(_("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="cases")
    branch = models.ForeignKey(OrgUnit, verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="cases")
    district = district_key()
    # The months the evidence covers (first days), and what was found: {"months": [...],
    # "records": [...], "signal": ...}.
    period_start = models.DateField(_("起始月份"), null=True, blank=True)
    period_end = models.DateField(_("截止月份"), null=True, blank=True)
    evidence = models.JSONField(_("依据"), default=dict)
    summary = models.CharField(_("摘要"), max_length=200)
    transfer = models.ForeignKey(
        "members.Transfer",
        verbose_name=_("转接"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    mobile = models.ForeignKey(
        "members.MobileMember",
        verbose_name=_("流动党员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    assignee = models.ForeignKey(
        User, verbose_name=_("责任人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases"
    )
    outcome = models.CharField(_("处理结果"), max_length=30, choices=CaseOutcome.choices, blank=True)
    outcome_note = models.TextField(_("结果说明"), blank=True)
    opened_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        User, verbose_name=_("办结人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scan = models.ForeignKey(
        "ScanRun", verbose_name=_("扫描批次"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("盲点")
        verbose_name_plural = _("盲点")
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["branch", "status", "kind"], name="case_branch_status_kind")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind"], condition=~Q(status=CaseStatus.CLOSED), name="case_one_open_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.branch.district_id
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    @staticmethod
    def scope_self(user: User) -> Q:
        """Cases are the organization's working files: a member sees none, not even their own."""
        return Q(pk__in=[])


class CaseAction(models.Model):
    """One step of work on a case: a talk, a visit, a note, the closing."""

    scope_path = "case__branch__path"

    case = models.ForeignKey(Case, verbose_name=_("盲点"), on_delete=models.CASCADE, related_name="actions")
    district = district_key()
    kind = models.CharField(_("类型"), max_length=20, choices=ActionKind.choices)
    note = models.TextField(_("内容"))
    by = models.ForeignKey(User, verbose_name=_("经办人"), null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("处理记录")
        verbose_name_plural = _("处理记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.case.district_id
        super().save(*args, **kwargs)

    @staticmethod
    def scope_self(user: User) -> Q:
        """Work on cases is not shown to members."""
        return Q(pk__in=[])


class ScanRun(models.Model):
    """One run of the blind-spot scan: as of which month, how long, what it found."""

    scope_path = "org_unit__path"

    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("扫描范围"), on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("截止月份"))
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    opened = models.JSONField(_("新发现"), default=dict)
    members_scanned = models.PositiveIntegerField(_("扫描党员数"), default=0)
    by = models.ForeignKey(
        User, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("盲点扫描")
        verbose_name_plural = _("盲点扫描")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.org_unit} · {self.as_of:%Y-%m}"

    @property
    def opened_total(self) -> int:
        return sum(self.opened.values())

    @staticmethod
    def scope_self(user: User) -> Q:
        """Scan runs are not shown to members."""
        return Q(pk__in=[])


class ScanConsidered(models.Model):
    """A member the scan run under way applies its rules to, with what the rules read of them:
    a temporary table of the database session, filled and dropped by each run (`scan.Scan`), so
    that the rules start from the members considered instead of finding them again each. Never
    a table of the schema, never shown."""

    member = models.OneToOneField(
        Member, primary_key=True, db_column="id", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    name = models.CharField(max_length=50)
    branch = models.ForeignKey(OrgUnit, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    district = models.ForeignKey(OrgUnit, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    residence_community = models.ForeignKey(
        OrgUnit, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # Away on an outflow: left to the lost-contact rule by the attendance rules.
    away = models.BooleanField()

    class Meta:
        managed = False
        db_table = "oversight_scan_considered"

    def __str__(self) -> str:
        return self.name


class Reminder(models.Model):
    """Something falling due for a user acting on a unit: refreshed by the reminder task, shown
    in the reminder centre with a count in the header, mailed once when it first appears."""

    scope_path = "org_unit__path"

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="reminders")
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=30, choices=ReminderKind.choices)
    # What the reminder is about, stable across refreshes ("transfer:12", "meetings:B1:2026-Q4").
    key = models.CharField(_("标识"), max_length=120)
    title = models.CharField(_("内容"), max_length=200)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    due_on = models.DateField(_("到期日"), null=True, blank=True)
    created_at = models.DateTimeField(_("提醒时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("消除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = [models.F("due_on").asc(nulls_last=True), "-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "org_unit", "key"], name="reminder_unique_key")]
        indexes = [models.Index(fields=["user", "resolved_at", "read_at"], name="reminder_user_open")]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def scope_self(user: User) -> Q:
        return Q(user=user)
